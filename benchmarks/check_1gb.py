"""Benchmark: `sftprep check` on a generated chat JSONL (default 1 GB).

Prints throughput and peak RSS of ``sftprep check`` (and of the reader alone), each
in its own child process, and the ratio to a plain ``json.loads`` loop over the
same file measured in the same run.

    python benchmarks/check_1gb.py --size-mb 1024
    python benchmarks/check_1gb.py --keep benchmarks/data/chat_1gb.jsonl  # reuse the file
    python benchmarks/check_1gb.py --no-system  # a `missing-system` finding on every record
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = [
    "model",
    "data",
    "train",
    "token",
    "batch",
    "learning",
    "rate",
    "answer",
    "question",
    "context",
    "system",
    "user",
    "assistant",
    "gradient",
    "loss",
    "epoch",
    "dataset",
    "sample",
    "value",
    "vector",
    "layer",
    "attention",
]


def generate(path: Path, size_mb: int, seed: int = 0, *, system: bool = True) -> int:
    """Write unique, valid chat records until the file reaches ``size_mb``.

    Without ``system`` every record lacks a system message: one `missing-system`
    finding per record, the worst case for the memory findings take.
    """
    rng = random.Random(seed)
    target = size_mb * 1024 * 1024
    written = records = 0
    with path.open("w", encoding="utf-8") as fh:

        def text(n: int) -> str:
            return " ".join(rng.choice(WORDS) for _ in range(n))

        while written < target:
            messages = [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": f"#{records} " + text(rng.randint(10, 80))},
                {"role": "assistant", "content": text(rng.randint(40, 300))},
            ]
            record = {"messages": messages if system else messages[1:]}
            line = json.dumps(record) + "\n"
            fh.write(line)
            written += len(line)
            records += 1
    return records


def json_loop_seconds(path: Path) -> float:
    start = time.perf_counter()
    with path.open("rb") as fh:
        for line in fh:
            json.loads(line)
    return time.perf_counter() - start


def run_child(args: list[str]) -> tuple[float, float, int, str]:
    """Run one child process; (seconds, its own peak RSS in MB, exit code, stderr).

    ``os.wait4`` gives the rusage of that child alone (``RUSAGE_CHILDREN`` would
    be the largest of all children so far). ``ru_maxrss`` is in KiB on Linux.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, proc.returncode, err


def check_run(path: Path) -> tuple[float, float, int]:
    """``sftprep check --json`` (stdout to /dev/null); (seconds, peak RSS MB, exit code)."""
    cmd = [sys.executable, "-m", "sftprep", "check", "--json", "--quiet", str(path)]
    seconds, peak_mb, code, err = run_child(cmd)
    if code not in (0, 1):  # 1 = findings at --fail-on level; 2 = usage error
        raise SystemExit(f"sftprep check failed ({code}): {err.strip()}")
    return seconds, peak_mb, code


READ_ONLY = "import sys\nfrom sftprep.io import read\nfor _ in read(sys.argv[1]):\n    pass\n"


def reader_run(path: Path) -> tuple[float, float]:
    """``sftprep.io.read`` alone over the file, in a child; (seconds, peak RSS MB)."""
    seconds, peak_mb, code, err = run_child([sys.executable, "-c", READ_ONLY, str(path)])
    if code != 0:
        raise SystemExit(f"reading failed ({code}): {err.strip()}")
    return seconds, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this file")
    parser.add_argument("--no-system", action="store_true", help="records without a system message")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "chat.jsonl"
        if args.keep is None or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            generate(path, args.size_mb, system=not args.no_system)
        with path.open("rb") as fh:
            records = sum(1 for _ in fh)
        size_mb = path.stat().st_size / 2**20
        baseline = json_loop_seconds(path)
        read_seconds, read_peak = reader_run(path)
        seconds, peak_mb, code = check_run(path)
    print(f"file: {size_mb:.0f} MB, {records} records, check exit code {code}")
    print(f"json.loads loop:  {size_mb / baseline:.1f} MB/s")
    print(
        f"sftprep.io.read:  {size_mb / read_seconds:.1f} MB/s ({read_seconds:.1f} s), "
        f"peak RSS {read_peak:.0f} MB, ratio to the json.loads loop {baseline / read_seconds:.2f}"
    )
    print(f"sftprep check:    {size_mb / seconds:.1f} MB/s ({seconds:.1f} s)")
    print(f"ratio check / json.loads loop: {baseline / seconds:.2f}")
    print(f"peak RSS of sftprep check: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
