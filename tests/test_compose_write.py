"""How ``compose`` replaces params.yaml: atomically, in place of links, as DVC."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

from dvc_hydra.cli import main

SGD = "conf/train/optimizer/sgd.yaml"


def make_stale(project: Path) -> None:
    sgd = project / SGD
    sgd.write_text(sgd.read_text().replace("lr: 0.001", "lr: 0.01"))


def names(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_mode_of_the_file_is_kept(seed_project, monkeypatch, capsys):
    params = seed_project / "params.yaml"
    params.chmod(0o640)
    make_stale(seed_project)
    monkeypatch.chdir(seed_project)
    before = names(seed_project)

    assert main(["compose"]) == 1

    assert stat.S_IMODE(params.stat().st_mode) == 0o640
    assert "lr: 0.01\n" in params.read_text()
    assert names(seed_project) == before


def test_new_file_gets_the_umask_mode(seed_project, monkeypatch, capsys):
    (seed_project / "params.yaml").unlink()
    monkeypatch.chdir(seed_project)
    previous = os.umask(0o027)
    try:
        assert main(["compose"]) == 1
    finally:
        os.umask(previous)

    assert stat.S_IMODE((seed_project / "params.yaml").stat().st_mode) == 0o640


def test_symlinked_file_is_written_through_to_its_target(
    seed_project, monkeypatch, capsys
):
    target = seed_project / "generated" / "params.yaml"
    target.parent.mkdir()
    (seed_project / "params.yaml").rename(target)
    (seed_project / "params.yaml").symlink_to("generated/params.yaml")
    make_stale(seed_project)
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 1

    assert os.readlink(seed_project / "params.yaml") == "generated/params.yaml"
    assert "lr: 0.01\n" in target.read_text()
    assert names(target.parent) == ["params.yaml"]
    assert capsys.readouterr().err.startswith("params.yaml: rewrote from conf/ (")


def test_failed_write_leaves_the_file_and_no_temporary_file(seed_project):
    """A real write failure: the file size limit makes the write fail (EFBIG)."""
    make_stale(seed_project)
    before = (seed_project / "params.yaml").read_bytes()
    listing = names(seed_project)

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

    result = subprocess.run(
        [sys.executable, "-m", "dvc_hydra", "compose"],
        cwd=seed_project,
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        check=False,
    )

    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "dvc-hydra: params.yaml: cannot write: File too large\n",
    )
    assert (seed_project / "params.yaml").read_bytes() == before
    assert names(seed_project) == listing


def test_newlines_follow_the_platform(seed_project, monkeypatch, capsys):
    """DVC writes params.yaml in text mode: os.linesep ends every line."""
    monkeypatch.setattr(os, "linesep", "\r\n")
    monkeypatch.chdir(seed_project)

    assert main(["compose"]) == 1
    written = (seed_project / "params.yaml").read_bytes()
    assert written.count(b"\r\n") == written.count(b"\n") == 12

    assert main(["compose"]) == 0
    assert capsys.readouterr().err.endswith(
        "  same values, different formatting\n"
        "  review it, then `git add params.yaml` and commit again\n"
    )
