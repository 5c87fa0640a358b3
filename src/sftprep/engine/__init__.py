"""The one execution layer every command runs on.

::

    plan (files, formats, shards) -> run_shard (read, adapt, rules, count, transform)
        -> ShardResult -> merge in file order (numbers, dataset rules) -> the command

`plan_inputs` turns paths (files, directories, globs, an aiDAPTIV+ config) into
`InputFile`s cut into shards; `run` sends every shard to an executor (this process,
local worker processes, or Ray) and yields each one `Merged` in file order. Shards
are cut the same way whatever runs them, and the merge is deterministic, so
``--workers 1``, all cores and a Ray cluster give the same answers.

>>> files = plan_inputs("examples/qa_dataset.jsonl")
>>> [(m.file.records, m.findings) for m in run(files, Job(rules=frozenset({"empty-text"})))]
[(12, [])]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sftprep.engine.executors import (
    EngineError,
    Executor,
    ProcessExecutor,
    RayExecutor,
    SerialExecutor,
    cpu_count,
)
from sftprep.engine.merge import FileRun, Merged, merged_in_order
from sftprep.engine.plan import SHARD_BYTES, InputFile, expand, plan_file, plan_inputs
from sftprep.engine.worker import Job, ShardResult, Task, Transform, run_shard
from sftprep.errors import UsageError

__all__ = [
    "ENGINES",
    "SHARD_BYTES",
    "EngineError",
    "Executor",
    "FileRun",
    "InputFile",
    "Job",
    "Merged",
    "Runner",
    "ShardResult",
    "Task",
    "Transform",
    "expand",
    "plan_file",
    "plan_inputs",
    "run",
    "run_shard",
]

ENGINES = ("local", "ray")
PARALLEL_MIN_BYTES = 8 << 20  # below this, one process is faster than starting workers


@dataclass(frozen=True)
class Runner:
    """How to run: ``workers`` (None: every core, in this process for small inputs),
    ``engine`` (``local`` or ``ray``), ``ray_address``, a progress bar, and the shard
    size files are cut to (the same for every executor, so that they agree)."""

    workers: int | None = None
    engine: str = "local"
    ray_address: str | None = None
    progress: bool = False
    shard_bytes: int = SHARD_BYTES

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise UsageError(f"unknown engine {self.engine!r}; known: {', '.join(ENGINES)}")
        if self.workers is not None and self.workers < 1:
            raise UsageError(f"--workers must be at least 1, not {self.workers}")

    def executor(self, size: int) -> Executor:
        """The executor for inputs of ``size`` bytes."""
        if self.engine == "ray":
            return RayExecutor(self.workers, self.ray_address)
        workers = self.workers if self.workers is not None else cpu_count()
        small = self.workers is None and size < PARALLEL_MIN_BYTES
        if workers <= 1 or small:
            return SerialExecutor()
        return ProcessExecutor(workers)


def run(
    files: list[InputFile], job: Job, runner: Runner | None = None, *, label: str = "reading"
) -> Iterator[Merged]:
    """Every shard of ``files`` processed by ``job`` and merged, in file order."""
    runner = runner or Runner()
    size = sum(f.size for f in files)
    executor = runner.executor(size)
    tasks = (Task(job, f.format, f.detected, shard, f.key_map) for f in files for shard in f.shards)
    results = executor.map(run_shard, tasks)
    try:
        merged = merged_in_order(files, job, results)
        if runner.progress:
            from sftprep.progress import progress_bytes

            merged = progress_bytes(merged, total=size, label=label, size=lambda m: m.shard.size)
        yield from merged
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # stops the tasks in flight while the workers still exist
        executor.close()
