"""A warm DVC process that runs grid points as temporary experiments.

``python -m dvc_hydra.worker`` reads one job a line on stdin and answers on
the stdout it was started with, one JSON event a line. While a job runs, file
descriptors 1 and 2 point at that job's log, so DVC's output and the stage's
land there. The pool in ``workers`` starts a few of these per run.

A job is what ``dvc exp run --temp -S ...`` does, done with DVC's own steps
so that each worker runs exactly its own point: under DVC's repository lock,
stash the point (DVC composes ``params.yaml`` here) and claim that very stash
entry for a temporary executor; then reproduce it without the lock and
collect the experiment ref into the repository. ``dvc exp run --temp``
instead runs whichever entries are in the shared stash, so concurrent runs
can take each other's points.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import IO, Any


class Stop(BaseException):
    """Raised in a worker asked to stop; a BaseException so DVC does not catch it."""


class Signals:
    """SIGTERM and SIGINT raise ``Stop``, except inside ``hold()``, where they wait.

    Stashing a point rewrites the user's work tree and puts it back, and
    collecting writes Git refs: stopping in the middle would leave a mess.
    """

    def __init__(self) -> None:
        self.holding = False
        self.pending = False

    def install(self) -> None:
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.holding:
            self.pending = True
            return
        raise Stop

    @contextmanager
    def hold(self) -> Iterator[None]:
        outer = self.holding
        self.holding = True
        try:
            yield
        finally:
            self.holding = outer
        if self.pending and not outer:
            raise Stop


class Channel:
    """The events a worker sends to its pool, one JSON object a line."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def send(self, event: str, **fields: Any) -> None:
        self.stream.write(json.dumps({"event": event, **fields}) + "\n")
        self.stream.flush()


@contextmanager
def output_to(path: str) -> Iterator[None]:
    """Point file descriptors 1 and 2 (and so every child's output) at ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    log_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (log_fd, *saved):
            os.close(fd)


def claim(repo: Any, job: dict[str, Any]) -> tuple[Any, Any]:
    """Stash the point and take its entry, both under DVC's repository lock."""
    # Limitation: this and ``reproduce`` call DVC's experiment internals (the
    # steps of ``dvc exp run --temp``), matched to DVC 3.x (tested on 3.67.1).
    from dvc.repo import lock_repo
    from dvc.repo.experiments.executor.local import TempDirExecutor

    experiments = repo.experiments
    queue = experiments.tempdir_queue
    with lock_repo(repo):
        # ``pull`` lets DVC fetch a run-cache hit's outputs from the remote.
        entry = experiments.new(
            queue,
            params=job["overrides"],
            name=job["name"],
            targets=None,
            pull=job.get("pull", False),
        )
        executor = queue.init_executor(
            experiments, entry, TempDirExecutor, wdir=queue._standalone_tmp_dir
        )
    return entry, executor


def reproduce(repo: Any, entry: Any, executor: Any, signals: Signals) -> str:
    """Run the claimed point; return the experiment's Git ref."""
    import logging

    from dvc.exceptions import DvcException

    queue = repo.experiments.tempdir_queue
    result = executor.reproduce(
        info=executor.info,
        rev=entry.stash_rev,
        infofile=queue.get_infofile_path(entry.stash_rev),
        log_level=logging.getLogger("dvc").getEffectiveLevel(),
        log_errors=True,
    )
    if not result.exp_hash or result.ref_info is None:
        raise DvcException(f"failed to reproduce experiment {entry.name!r}")
    with signals.hold():
        queue.collect_executor(repo.experiments, executor, result)
    return str(result.ref_info)


def cleanup(repo: Any, entry: Any, executor: Any) -> None:
    """Remove the executor's folder and its info file, as if nothing had run."""
    infofile = repo.experiments.tempdir_queue.get_infofile_path(entry.stash_rev)
    try:
        executor.cleanup(infofile)
    finally:
        shutil.rmtree(os.path.dirname(infofile), ignore_errors=True)


def values_at(repo: Any, rev: str, metrics: bool) -> dict[str, Any]:
    """Params (or metrics) of one commit, by file, as ``dvc exp show`` reads them."""
    show = repo.metrics.show if metrics else repo.params.show
    found = show(revs=[rev], on_error="return").get(rev, {}).get("data", {})
    return {
        path: entry["data"]
        for path, entry in found.items()
        if isinstance(entry, dict) and "data" in entry
    }


def run_job(repo: Any, job: dict[str, Any], signals: Signals, out: Channel) -> None:
    """Run one point as a temporary experiment and report how it went."""
    index = job["index"]
    entry = executor = None
    try:
        with signals.hold():
            entry, executor = claim(repo, job)
        infofile = repo.experiments.tempdir_queue.get_infofile_path(entry.stash_rev)
        leftovers = [executor.root_dir, os.path.dirname(infofile)]
        out.send("claimed", index=index, name=entry.name, leftovers=leftovers)
        ref = reproduce(repo, entry, executor, signals)
    except Exception as exc:
        print(f"dvc-hydra: this point failed: {exc}", file=sys.stderr)
        params = values_at(repo, entry.stash_rev, False) if entry else {}
        out.send("done", index=index, status="failed", params=params)
        return
    finally:
        if entry is not None:
            with signals.hold():
                cleanup(repo, entry, executor)
    rev = repo.scm.get_ref(ref)
    params, metrics = values_at(repo, rev, False), values_at(repo, rev, True)
    out.send(
        "done",
        index=index,
        status="ok",
        ref=ref,
        rev=rev,
        params=params,
        metrics=metrics,
    )


def serve(root: str, log_path: str) -> None:
    """Answer jobs from stdin until it closes or the worker is told to stop."""
    out = Channel(os.fdopen(os.dup(1), "w", encoding="utf-8"))
    # Stages inherit stdin: give them nothing to read, keep the jobs for us.
    jobs = os.fdopen(os.dup(0), encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    signals = Signals()
    signals.install()
    with output_to(log_path):
        # Importing DVC sets up its console logging, as its command line has it.
        from dvc.repo import Repo

        repo = Repo(root, _wait_for_lock=True)
    out.send("ready")
    try:
        for line in jobs:
            job = json.loads(line)
            with output_to(job["log"]):
                run_job(repo, job, signals, out)
    except Stop:
        out.send("stopped")
    finally:
        repo.close()


def main(argv: list[str] | None = None) -> int:
    root, log_path = argv if argv is not None else sys.argv[1:]
    serve(root, log_path)
    return 0


if __name__ == "__main__":
    sys.stdout.flush()
    code = main()
    # Skip interpreter teardown: DVC's Git objects complain in their __del__.
    os._exit(code)
