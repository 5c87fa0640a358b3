"""Where shards run: in this process, in local worker processes, or on a Ray cluster.

Every executor runs the same function (`run_shard`) on the same tasks and gives the
results back in task order, so the merge sees the same sequence whatever ran it.
Only a few tasks are in flight at once (twice the workers), so memory stays bounded.

Failures become one line naming the shard: a worker process that dies (killed, out
of memory) is `BrokenProcessPool` here, a worker crash on Ray a `RayError`; both
turn into an `EngineError` with the file and byte range. Ctrl-C cancels what is
queued and stops the workers; none is left behind.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from sftprep.engine.worker import ShardResult, Task
from sftprep.errors import SftprepError, UsageError

IN_FLIGHT_PER_WORKER = 2
ShardFunc = Callable[[Task], ShardResult]


class EngineError(SftprepError):
    """A shard could not be processed: a worker died, or a Ray node could not read it."""


class Executor(Protocol):
    """Runs ``func`` on every task; results come back in task order."""

    workers: int

    def map(
        self, func: Callable[[Task], ShardResult], tasks: Iterable[Task]
    ) -> Iterator[ShardResult]: ...

    def close(self) -> None: ...


def in_order(
    window: deque[tuple[Task, Any]],
    tasks: Iterable[Task],
    workers: int,
    submit: Callable[[Task], Any],
) -> Iterator[tuple[Task, Any]]:
    """Each task with its handle (a future, a Ray reference), in task order, keeping
    `IN_FLIGHT_PER_WORKER` per worker submitted ahead. ``window`` holds the handles in
    flight, for the caller to cancel when it stops early."""
    queue = iter(tasks)
    while True:
        while len(window) < workers * IN_FLIGHT_PER_WORKER:
            task = next(queue, None)
            if task is None:
                break
            window.append((task, submit(task)))
        if not window:
            return
        yield window.popleft()


class SerialExecutor:
    """Every shard in this process, one after the other (``--workers 1``, small inputs)."""

    workers = 1

    def map(
        self, func: Callable[[Task], ShardResult], tasks: Iterable[Task]
    ) -> Iterator[ShardResult]:
        return (func(task) for task in tasks)

    def close(self) -> None:
        pass


def _init_worker() -> None:
    # Ctrl-C goes to the whole process group: the parent alone decides what happens.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent's SIGTERM handler unwinds the parent's writes; a worker just stops.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A worker's errors travel to the parent with its results; what it could still print
    # itself is the traceback of a pipe closed under it when the parent stops the pool
    # (a sibling died, Ctrl-C), which would break the promise of a one-line error.
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)


class ProcessExecutor:
    """Local worker processes (fork on Linux: tokenizers and tables are shared copy-on-write)."""

    def __init__(self, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
        self.workers = workers
        self._pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker)
        # Start the workers now, before a progress bar's thread exists: forking a process
        # that runs threads can deadlock the child.
        self._pool.submit(int).result()

    def map(
        self, func: Callable[[Task], ShardResult], tasks: Iterable[Task]
    ) -> Iterator[ShardResult]:
        from concurrent.futures.process import BrokenProcessPool

        window: deque[tuple[Task, Any]] = deque()
        try:
            for task, future in in_order(window, tasks, self.workers, self._submit(func)):
                try:
                    yield future.result()
                except BrokenProcessPool:
                    raise EngineError(
                        f"a worker process died while reading {task.shard.describe()} "
                        "(killed, or out of memory?); nothing was written"
                    ) from None
        except BaseException:
            for _, future in window:
                future.cancel()
            self.close(kill=True)
            raise

    def _submit(self, func: ShardFunc) -> Callable[[Task], Any]:
        return lambda task: self._pool.submit(func, task)

    def close(self, *, kill: bool = False) -> None:
        if kill:
            processes = getattr(self._pool, "_processes", None) or {}
            for process in list(processes.values()):
                if process.is_alive():
                    process.kill()
        self._pool.shutdown(wait=not kill, cancel_futures=True)


class RayExecutor:
    """Ray tasks, each reading its shard itself (its path must be visible on every node).

    Connects to ``address`` (or ``RAY_ADDRESS``) when given, else starts a local Ray
    on this machine's loopback with ``workers`` CPUs; a Ray started here is shut down
    on `close`.
    """

    def __init__(self, workers: int | None, address: str | None = None) -> None:
        ray = import_ray()
        self._started = False
        if not ray.is_initialized():
            address = address or os.environ.get("RAY_ADDRESS") or None
            if address is None:
                # Keep a local Ray on loopback: nothing but this machine is contacted.
                os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
            kwargs: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
            if address is None:
                # "local": a new Ray of our own, never one `ray start` left on this machine
                kwargs.update(num_cpus=workers, include_dashboard=False)
            try:
                ray.init(address=address or "local", **kwargs)
            except Exception as exc:  # connection refused, version mismatch...
                raise UsageError(
                    f"cannot start or reach Ray at {address or 'local'}: {_one_line(exc)}"
                ) from None
            self._started = True
        self.workers = max(1, int(ray.cluster_resources().get("CPU", workers or 1)))
        self._ray = ray
        self._remote = ray.remote(_ray_run_shard)

    def map(
        self, func: Callable[[Task], ShardResult], tasks: Iterable[Task]
    ) -> Iterator[ShardResult]:
        ray = self._ray
        window: deque[tuple[Task, Any]] = deque()
        try:
            for task, ref in in_order(window, tasks, self.workers, self._remote.remote):
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    where = task.shard.describe()
                    raise EngineError(
                        f"a Ray task failed while reading {where}: {_ray_cause(exc)}"
                    ) from None
                if isinstance(result, str):
                    raise EngineError(result)
                yield result
        except BaseException:
            for _, ref in window:
                ray.cancel(ref, force=True)
            raise

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()


def _ray_run_shard(task: Task) -> ShardResult | str:
    """`run_shard` on a Ray node; a path the node cannot see is a message, not a crash."""
    import socket

    from sftprep.engine.worker import run_shard

    if not os.path.exists(task.shard.path) and not _is_hub(task):
        return (
            f"{task.shard.path} is not visible on Ray node {socket.gethostname()}: every node "
            "reads its shards itself, so put the data on storage all nodes mount"
        )
    return run_shard(task)


def _is_hub(task: Task) -> bool:
    return task.shard.reader == "<hf-hub>"


def _ray_cause(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)
    return _one_line(cause if isinstance(cause, BaseException) else exc)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError("--engine ray needs Ray: pip install 'sftprep[ray]'") from None
    return ray


def cpu_count() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
