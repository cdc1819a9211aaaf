"""Strided and transposed convolutions: custom gradients against autodiff, chunking, flax parity."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from ae.layers import Conv, conv_math, conv_transpose, strided_conv


@pytest.fixture(params=[0, 10**6], ids=["xla_conv", "patch_product"])
def small_output(request, monkeypatch):
  """Runs a test with every convolution as XLA's, then every one as a patch product."""
  monkeypatch.setattr(conv_math, "SMALL_OUTPUT", request.param)
  return request.param


def _grads(fn, x, w, g):
  return jax.grad(lambda x, w: jnp.sum(fn(x, w) * g), argnums=(0, 1))(x, w)


@pytest.mark.parametrize(
  "k,s,h,w", [(5, 2, 8, 6), (3, 2, 4, 4), (4, 2, 6, 2), (3, 1, 5, 4), (7, 3, 6, 9), (1, 2, 4, 2)]
)
def test_strided_conv_gradients_match_autodiff(k, s, h, w, small_output):
  kx, kw, kg = jax.random.split(jax.random.PRNGKey(k * 10 + s), 3)
  x, kernel = jax.random.normal(kx, (3, h, w, 2)), jax.random.normal(kw, (k, k, 2, 5))
  g = jax.random.normal(kg, (3, h // s, w // s, 5))
  np.testing.assert_array_equal(strided_conv(x, kernel, s), conv_math.conv_same(x, kernel, s))
  got = _grads(lambda x, w: strided_conv(x, w, s), x, kernel, g)
  want = _grads(lambda x, w: conv_math.conv_same(x, w, s), x, kernel, g)
  for a, b in zip(got, want):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_sizes_not_divisible_by_the_stride_fall_back_to_autodiff():
  x, kernel = jnp.ones((1, 5, 7, 2)), jnp.ones((3, 3, 2, 4))
  got = _grads(lambda x, w: strided_conv(x, w, 2), x, kernel, jnp.ones((1, 3, 4, 4)))
  want = _grads(lambda x, w: conv_math.conv_same(x, w, 2), x, kernel, jnp.ones((1, 3, 4, 4)))
  for a, b in zip(got, want):
    np.testing.assert_allclose(a, b, rtol=1e-5)
  with pytest.raises(ValueError, match="B, H, W, C"):
    strided_conv(jnp.ones((5, 7, 2)), kernel, 2)


@pytest.mark.parametrize("budget", [1, 3 * 4 * 4 * 4 * 4, 10**9])
def test_chunked_kernel_gradient_equals_the_whole_batch(budget, small_output):
  ku, kg, kw = jax.random.split(jax.random.PRNGKey(3), 3)
  u, g, w = (
    jax.random.normal(ku, (6, 8, 8, 3)),
    jax.random.normal(kg, (6, 4, 4, 4)),
    jax.random.normal(kw, (5, 5, 3, 4)),
  )
  _, vjp = jax.vjp(lambda k: conv_math.conv_same(u, k, 2), w)
  np.testing.assert_allclose(
    conv_math.kernel_grad(u, g, w, 2, budget), vjp(g)[0], rtol=1e-4, atol=1e-4
  )


def test_batch_chunk_is_the_largest_divisor_in_budget():
  assert conv_math.batch_chunk(8, 100, 10**6) == 8
  assert conv_math.batch_chunk(8, 100, 450) == 4
  assert conv_math.batch_chunk(6, 100, 500) == 3
  assert conv_math.batch_chunk(7, 100, 650) == 1  # 7 is prime
  assert conv_math.batch_chunk(8, 10**9, 10) == 1


def test_transposed_conv_gradient_with_chunks_matches_autodiff(monkeypatch, small_output):
  monkeypatch.setattr(conv_math, "CHUNK_BYTES", 1)  # one example per chunk
  kx, kw, kg = jax.random.split(jax.random.PRNGKey(4), 3)
  x, w, g = (
    jax.random.normal(kx, (4, 3, 5, 2)),
    jax.random.normal(kw, (5, 5, 3, 2)),
    jax.random.normal(kg, (4, 6, 10, 3)),
  )
  got = _grads(lambda x, w: conv_transpose(x, w, 2), x, w, g)
  want = _grads(lambda x, w: conv_math.dilated_transpose(x, w, 2), x, w, g)
  for a, b in zip(got, want):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_conv_layer_has_flax_conv_parameters_and_outputs():
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 8, 10, 3))
  ours, theirs = Conv(6, 5, 2), nn.Conv(6, (5, 5), strides=2)
  params = ours.init(jax.random.PRNGKey(1), x)
  flax_params = theirs.init(jax.random.PRNGKey(1), x)
  jax.tree.map(np.testing.assert_array_equal, params, flax_params)
  np.testing.assert_array_equal(ours.apply(params, x), theirs.apply(params, x))


def test_custom_transposed_conv_gradient_matches_autodiff(small_output):
  kx, kw, kg = jax.random.split(jax.random.PRNGKey(0), 3)
  x = jax.random.normal(kx, (2, 5, 6, 3))
  w = jax.random.normal(kw, (3, 3, 4, 3))
  g = jax.random.normal(kg, (2, 10, 12, 4))
  np.testing.assert_allclose(
    conv_transpose(x, w, 2), conv_math.dilated_transpose(x, w, 2), rtol=1e-5, atol=1e-5
  )
  loss = lambda f: lambda x, w: jnp.sum(f(x, w, 2) * g)
  got = jax.grad(loss(conv_transpose), argnums=(0, 1))(x, w)
  want = jax.grad(loss(conv_math.dilated_transpose), argnums=(0, 1))(x, w)
  for a, b in zip(got, want):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
  "k,s,h,w",
  [
    (5, 2, 4, 6),
    (3, 2, 5, 3),
    (4, 2, 3, 3),
    (3, 1, 4, 4),
    (5, 2, 1, 1),
    (1, 2, 3, 2),
    (7, 3, 3, 2),
  ],
)
def test_subpixel_forward_equals_the_input_dilated_one(k, s, h, w, small_output):
  kx, kw = jax.random.split(jax.random.PRNGKey(k * 10 + s))
  x, kernel = jax.random.normal(kx, (2, h, w, 3)), jax.random.normal(kw, (k, k, 4, 3))
  got = conv_transpose(x, kernel, s)
  assert got.shape == (2, s * h, s * w, 4)
  np.testing.assert_allclose(got, conv_math.dilated_transpose(x, kernel, s), rtol=1e-5, atol=1e-5)


def test_transposed_conv_is_the_adjoint_of_the_strided_conv():
  kx, kw, ku = jax.random.split(jax.random.PRNGKey(1), 3)
  x, w, u = (
    jax.random.normal(kx, (1, 4, 4, 2)),
    jax.random.normal(kw, (3, 3, 5, 2)),
    jax.random.normal(ku, (1, 8, 8, 5)),
  )
  # <A u, x> == <u, A^T x>
  assert float(jnp.vdot(conv_math.conv_same(u, w, 2), x)) == pytest.approx(
    float(jnp.vdot(u, conv_transpose(x, w, 2))), rel=1e-4
  )


@pytest.mark.parametrize(
  "k,s,h,w,pads",
  [
    (5, 2, 4, 4, ((1, 2), (1, 2))),
    (3, 1, 2, 3, ((1, 1), (1, 1))),
    (3, 2, 5, 4, ((0, 1), (2, 0))),
    (1, 1, 3, 3, ((0, 0), (0, 0))),
  ],
)
def test_small_convolutions_as_patch_products_equal_xla(k, s, h, w, pads):
  kx, kw = jax.random.split(jax.random.PRNGKey(h * 7 + w))
  x, kernel = jax.random.normal(kx, (3, h, w, 4)), jax.random.normal(kw, (k, k, 4, 6))
  want = lax.conv_general_dilated(x, kernel, (s, s), pads, dimension_numbers=conv_math.DN)
  assert want.shape[1] * want.shape[2] <= conv_math.SMALL_OUTPUT  # the product path
  np.testing.assert_allclose(conv_math.conv(x, kernel, s, pads), want, rtol=1e-5, atol=1e-5)
