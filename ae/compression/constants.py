"""Constants shared by the training modules (jax) and the exact decoder (numpy).

PEDESTAL: the offset of GDN's reparameterized non-negative parameters (Ballé 2018,
"Efficient nonlinear transforms for lossy image compression"; tensorflow-compression's
`NonNegativeParameterization` uses 2^-18): a stored v means max(v, sqrt(min + p))^2 - p.
"""

PEDESTAL = 2.0**-18
