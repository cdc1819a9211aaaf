"""`python -m ae`: the `ae` command line (see ae/cli.py)."""

from ae.cli import run

if __name__ == "__main__":
  run()
