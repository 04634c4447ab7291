from __future__ import annotations

from dvc_hydra.cli import main

raise SystemExit(main())
