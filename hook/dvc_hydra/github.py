"""GitHub Actions' environment files: step outputs and the job summary.

Outside Actions (the variables unset) nothing is written.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def set_outputs(**values: str | Path | None) -> None:
    """Append ``name=value`` lines to ``$GITHUB_OUTPUT``; None values are skipped."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as stream:
        for name, value in values.items():
            if value is not None:
                stream.write(_output_line(name, str(value)))


def _output_line(name: str, value: str) -> str:
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    # A multi-line value needs a delimiter that cannot occur inside it.
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def step_summary_path() -> Path | None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    return Path(target) if target else None
