"""A pool of warm DVC worker processes, fed one grid point at a time.

Each worker (``dvc_hydra.worker``) runs in its own session, so a Ctrl-C in
the terminal reaches only this process, which then stops every worker
itself: SIGTERM to the worker (which stops its stage), a grace period for
DVC to remove its temporary folder, then SIGKILL to the worker's whole
process group and our own clean-up of the paths it announced.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvc_hydra.errors import DvcHydraError
from dvc_hydra.plan import Point
from dvc_hydra.results import PointResult, log_tail

GRACE_SECONDS = 15.0
Report = Callable[[PointResult], None]


@dataclass
class Worker:
    """One worker process and the point it is running, if any."""

    process: subprocess.Popen[bytes]
    log: Path
    ready: bool = False
    point: Point | None = None
    started: float = 0.0
    name: str | None = None
    leftovers: list[str] = field(default_factory=list)
    stopping: str | None = None  # the status its point gets: timeout, interrupted
    kill_at: float | None = None
    buffer: bytes = b""

    def send(self, point: Point, log: Path, pull: bool) -> None:
        job = {
            "index": point.index,
            "name": point.name,
            "overrides": point.overrides,
            "log": str(log),
            "pull": pull,
        }
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(job) + "\n").encode())
        self.process.stdin.flush()
        self.point, self.started, self.name = point, time.monotonic(), point.name
        self.leftovers = []

    def stop(self, status: str) -> None:
        """Ask the worker to stop (it stops its stage); kill it after a grace.

        Only the worker hears SIGTERM: DVC's children in a step the worker
        holds off signals for (Git, the copy) must be left to finish it.
        """
        if self.stopping is not None or self.process.poll() is not None:
            return
        self.stopping = status
        self.kill_at = time.monotonic() + GRACE_SECONDS
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Block SIGINT and SIGTERM; they arrive when the block ends.

    The worker inherits the block and lifts it itself (``worker.main``).
    """
    stops = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _signal_group(process: subprocess.Popen[bytes], number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, number)


class Pool:
    """Run points on at most ``size`` workers; ``report`` hears each result."""

    def __init__(
        self,
        root: Path,
        size: int,
        tmp: Path,
        report: Report,
        timeout: float | None = None,
        pull: bool = False,
    ) -> None:
        self.root, self.size, self.tmp = root, size, tmp
        self.report, self.timeout, self.pull = report, timeout, pull
        self.workers: list[Worker] = []
        self.selector = selectors.DefaultSelector()
        self.pending: deque[Point] = deque()
        self.closing = False
        self.started = 0

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._shut_down()

    def start(self, count: int) -> None:
        """Start up to ``count`` workers now: DVC takes a second to import."""
        while len(self.workers) < min(count, self.size):
            self._start()

    def run(self, points: Sequence[Point]) -> None:
        self.pending.extend(points)
        self.start(len(points))
        while self.pending or self._busy():
            self._step()

    def _busy(self) -> list[Worker]:
        return [worker for worker in self.workers if worker.point is not None]

    def _start(self) -> None:
        # A Ctrl-C between starting the process and recording it would leave
        # a worker nobody stops: it waits until the worker is known.
        with _interrupts_held():
            self._start_worker()

    def _start_worker(self) -> None:
        self.started += 1
        log = self.tmp / f"worker-{self.started}.log"
        with open(log, "wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "dvc_hydra.worker", str(self.root), str(log)],
                cwd=self.root,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                start_new_session=True,
            )
        worker = Worker(process, log)
        self.workers.append(worker)
        assert process.stdout is not None
        os.set_blocking(process.stdout.fileno(), False)
        self.selector.register(process.stdout, selectors.EVENT_READ, worker)

    def _step(self) -> None:
        for worker in self.workers:
            if worker.ready and worker.point is None and self.pending:
                point = self.pending.popleft()
                log = self.tmp / f"point-{point.index + 1}.log"
                try:
                    worker.send(point, log, self.pull)
                except BrokenPipeError:  # it died: _exited will replace it
                    self.pending.appendleft(point)
        for key, _ in self.selector.select(timeout=self._wait()):
            self._read(key.data)
        self._enforce_deadlines()

    def _wait(self) -> float:
        """Seconds until the next deadline: a timeout or the end of a grace."""
        now, deadlines = time.monotonic(), []
        for worker in self.workers:
            if worker.kill_at is not None:
                deadlines.append(worker.kill_at)
            elif worker.point is not None and self.timeout is not None:
                deadlines.append(worker.started + self.timeout)
        return max(0.0, min(deadlines) - now) if deadlines else 5.0

    def _read(self, worker: Worker) -> None:
        assert worker.process.stdout is not None
        chunk = worker.process.stdout.read()
        if chunk:
            worker.buffer += chunk
            *lines, worker.buffer = worker.buffer.split(b"\n")
            for line in lines:
                self._handle(worker, json.loads(line))
            return
        if chunk is None:  # nothing to read after all
            return
        self._exited(worker)

    def _handle(self, worker: Worker, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "ready":
            worker.ready = True
        elif kind == "claiming":
            worker.leftovers = event["leftovers"]
        elif kind == "claimed":
            worker.name, worker.leftovers = event["name"], event["leftovers"]
        elif kind == "done" and worker.point is not None:
            self._finish(worker, event)

    def _finish(self, worker: Worker, event: dict[str, Any]) -> None:
        point = worker.point
        assert point is not None
        log = self.tmp / f"point-{point.index + 1}.log"
        result = PointResult(
            index=point.index,
            name=worker.name,
            overrides=point.overrides,
            status=_status(event, worker.stopping),
            ref=event.get("ref"),
            rev=event.get("rev"),
            params=event.get("params", {}),
            metrics=event.get("metrics", {}),
            duration=round(time.monotonic() - worker.started, 3),
            log=log_tail(log) if event or worker.stopping else _crash_log(worker, log),
        )
        worker.point = None
        self.report(result)

    def _exited(self, worker: Worker) -> None:
        """The worker closed its channel: it stopped, crashed or finished."""
        assert worker.process.stdout is not None
        self.selector.unregister(worker.process.stdout)
        # Whatever the worker left running (a stage ignoring SIGTERM) goes too;
        # the group's id cannot be reused while any member is alive.
        _signal_group(worker.process, signal.SIGKILL)
        worker.process.wait()
        worker.process.stdout.close()
        if worker.process.stdin is not None:
            with contextlib.suppress(OSError):
                worker.process.stdin.close()
        self.workers.remove(worker)
        _remove_leftovers(worker)
        if worker.point is not None:
            self._finish(worker, {})
        if not worker.ready and not self.closing:
            raise DvcHydraError(
                "a DVC worker process did not start:\n" + log_tail(worker.log),
                hint="is DVC installed in this Python? (`python -m pip install dvc`)",
            )
        if self.pending and not self.closing:
            self._start()

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for worker in self.workers:
            if worker.kill_at is not None and now >= worker.kill_at:
                _signal_group(worker.process, signal.SIGKILL)
            elif (
                worker.point is not None
                and worker.stopping is None
                and self.timeout is not None
                and now >= worker.started + self.timeout
            ):
                print(
                    f"dvc-hydra: point {worker.point.index + 1} ran longer than "
                    f"{self.timeout:g}s; stopping it",
                    file=sys.stderr,
                )
                worker.stop("timeout")

    def _shut_down(self) -> None:
        """Stop every worker, interrupting any point still running."""
        self.closing = True
        for worker in self.workers:
            if worker.point is not None or not worker.ready:
                worker.stop("interrupted")
            elif worker.process.stdin is not None:
                worker.process.stdin.close()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            while self.workers:
                for key, _ in self.selector.select(timeout=self._wait()):
                    self._read(key.data)
                self._enforce_deadlines()
        finally:
            signal.signal(signal.SIGINT, previous)
            self.selector.close()


def _status(event: dict[str, Any], stopping: str | None) -> str:
    """``ok`` as the worker says; else why we stopped it, else ``failed``."""
    said = event.get("status")
    if said == "ok" or stopping is None:
        return str(said or "failed")
    return stopping


def _crash_log(worker: Worker, log: Path) -> str:
    """The point's log, then what the worker said as it died."""
    return f"{log_tail(log)}\n{log_tail(worker.log)}".strip()


def _remove_leftovers(worker: Worker) -> None:
    """A killed worker cannot clean up: remove the folders it announced."""
    # Limitation: a worker killed after the grace period while it was still
    # stashing its point (which holds off SIGTERM) may leave that stash entry.
    for path in worker.leftovers:
        shutil.rmtree(path, ignore_errors=True)
