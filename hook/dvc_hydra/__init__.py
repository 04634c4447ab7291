"""Compose DVC's params.yaml from a Hydra config tree, outside `dvc exp run`."""

from __future__ import annotations

__version__ = "0.1.0"
