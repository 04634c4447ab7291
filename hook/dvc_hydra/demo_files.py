"""The bundled seed example: a small DVC + Hydra project shipped in the package."""

from __future__ import annotations

from pathlib import Path


def example_dir() -> Path:
    return Path(__file__).resolve().parent / "example"
