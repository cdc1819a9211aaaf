#!/usr/bin/env bash
# Builds the wheel, installs it alone into a fresh virtual environment and runs the
# product commands from a folder outside the checkout (what a new user gets):
#   bash scripts/check_wheel.sh [VENV_DIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
venv="${1:-$work/venv}"
python3 -m pip wheel -q --no-deps "$repo" -w "$work/dist"
python3 -m venv "$venv"
"$venv/bin/pip" install -q "$work"/dist/ae-*.whl
cd "$work"
ae="$venv/bin/ae"
"$venv/bin/python" - <<'PY'
import numpy as np
from PIL import Image
yy, xx = np.mgrid[0:96, 0:128]
img = np.stack([128 + 90 * np.sin(xx / 9.0), 128 + 80 * np.cos(yy / 7.0), 60 + xx], -1)
Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save("photo.png")
noisy = img + np.random.default_rng(0).normal(0, 20, img.shape)
Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save("noisy.png")
PY
"$venv/bin/python" -c "import ae, sys; assert ae.__file__.startswith(sys.prefix), ae.__file__"
"$ae" --help > /dev/null
"$ae" codecs | grep -q photo-mbt
"$ae" denoisers | grep -q photo-
"$ae" compress photo.png -o photo.ae
"$ae" info photo.ae
"$ae" decompress photo.ae -o decoded.png --reference photo.png
"$ae" denoise noisy.png -o clean.png --sigma=20
"$ae" denoise noisy.png -o clean2.png
test -s decoded.png && test -s clean.png && test -s clean2.png
echo "wheel check passed: $(ls "$work"/dist)"
rm -rf "$work"
