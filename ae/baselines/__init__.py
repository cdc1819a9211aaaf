"""The baselines the learned models are measured against, one module per kind: exact PCA
(`pca`), PCA transform coding written as real files (`pca_codec`), the classical image
codecs through Pillow (`codecs`: JPEG, WebP, JPEG 2000, AVIF, PNG) and the classical
denoisers with BM3D (`denoisers`)."""
