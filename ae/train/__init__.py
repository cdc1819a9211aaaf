"""Training machinery shared by every model: state, jitted step, sharding, checkpoints, runner."""
