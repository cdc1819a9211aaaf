"""The store of trained models: file bundles, stored precision and the search path.

Plain numpy (no jax, no flax), so that listing models and decoding files start fast.
"""
