"""What ``dvc.lock`` recorded for ``params.yaml``, to tell when a rerun is due."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dvc_hydra.paramsfile import MISSING
from dvc_hydra.settings import PARAMS_FILE


def stale_locked_params(root: Path, composed: dict[str, Any]) -> list[str]:
    """Stages whose params recorded in ``dvc.lock`` differ from ``composed``.

    ``composed`` is read with PyYAML (YAML 1.1); DVC reads params.yaml as YAML
    1.2, so a few plain scalars differ in type between the two.
    """
    import yaml

    # Limitation: only the root's dvc.lock is read; stages of dvc.yaml files in
    # subfolders, with their own dvc.lock, are not compared.

    try:
        lock = yaml.safe_load((root / "dvc.lock").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    stages = lock.get("stages") if isinstance(lock, dict) else None
    if not isinstance(stages, dict):
        return []

    stale = []
    for name, stage in stages.items():
        params = stage.get("params", {}) if isinstance(stage, dict) else {}
        recorded = params.get(PARAMS_FILE) if isinstance(params, dict) else None
        if not isinstance(recorded, dict):
            continue
        if any(_select(composed, key) != value for key, value in recorded.items()):
            stale.append(str(name))
    return stale


def _select(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return MISSING
    return data
