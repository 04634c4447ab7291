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
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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
        stops = {signal.SIGTERM, signal.SIGINT}
        for number in stops:
            signal.signal(number, self._handle)
        # The pool starts workers with these blocked (see ``workers``).
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.holding:
            self.pending = True
            return
        stop_children()
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
            stop_children()
            raise Stop


def stop_children() -> None:
    """SIGTERM the rest of this worker's process group: the stage it runs.

    The pool signals only the worker, so that DVC's own children (Git, the
    copy of the repository) finish the step that ``hold()`` protects; the
    stage, which nothing protects, must not outlive the worker.
    """
    if os.getpgrp() != os.getpid():  # not started by the pool: no group of ours
        return
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.killpg(0, signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)


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


@dataclass
class Claim:
    """What one job has created so far, and so must remove whatever happens."""

    leftovers: list[str] = field(default_factory=list)
    entry: Any = None
    executor: Any = None


def claim(repo: Any, job: dict[str, Any], taken: Claim, out: Channel) -> None:
    """Stash the point and take its entry, both under DVC's repository lock.

    Every path is announced to the pool before DVC creates it, so the pool
    can remove it even if this process is killed half-way.
    """
    # Limitation: this and ``reproduce`` call DVC's experiment internals (the
    # steps of ``dvc exp run --temp``), matched to DVC 3.x (tested on 3.67.1).
    from dvc.repo import lock_repo
    from dvc.repo.experiments.executor.local import TempDirExecutor

    experiments = repo.experiments
    queue = experiments.tempdir_queue
    os.makedirs(queue._standalone_tmp_dir, exist_ok=True)
    # The executor's copy goes in a folder of our own, known before it exists.
    wdir = tempfile.mkdtemp(prefix="tmp-dvc-hydra-", dir=queue._standalone_tmp_dir)
    taken.leftovers.append(wdir)
    out.send("claiming", index=job["index"], leftovers=taken.leftovers)
    with lock_repo(repo):
        # ``pull`` lets DVC fetch a run-cache hit's outputs from the remote.
        taken.entry = experiments.new(
            queue,
            params=job["overrides"],
            name=job["name"],
            targets=None,
            pull=job.get("pull", False),
        )
        taken.leftovers.extend(info_folders(repo, taken.entry.stash_rev))
        out.send(
            "claimed",
            index=job["index"],
            name=taken.entry.name,
            leftovers=taken.leftovers,
        )
        taken.executor = queue.init_executor(
            experiments, taken.entry, TempDirExecutor, wdir=wdir
        )


def info_folders(repo: Any, stash_rev: str) -> list[str]:
    """The folders of a point's info files: DVC writes one where its queue
    keeps them and ``reproduce`` another where temporary runs keep them."""
    experiments = repo.experiments
    return [
        os.path.dirname(queue.get_infofile_path(stash_rev))
        for queue in (experiments.celery_queue, experiments.tempdir_queue)
    ]


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


def cleanup(repo: Any, taken: Claim) -> None:
    """Remove the executor's folder and the info files, as if nothing had run."""
    try:
        if taken.executor is not None:
            infofile = repo.experiments.tempdir_queue.get_infofile_path(
                taken.entry.stash_rev
            )
            taken.executor.cleanup(infofile)
    finally:
        for path in taken.leftovers:
            shutil.rmtree(path, ignore_errors=True)


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
    taken = Claim()
    try:
        with signals.hold():
            claim(repo, job, taken, out)
        ref = reproduce(repo, taken.entry, taken.executor, signals)
    except Exception as exc:
        print(f"dvc-hydra: this point failed: {exc}", file=sys.stderr)
        entry = taken.entry
        params = values_at(repo, entry.stash_rev, False) if entry else {}
        out.send("done", index=index, status="failed", params=params)
        return
    finally:
        with signals.hold():
            cleanup(repo, taken)
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
