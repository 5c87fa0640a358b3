"""The engine on a big generated chat JSONL: every ratio of issue 11, in one run.

Generates OpenAI ``messages`` records (~500 MB by default, the generator of
``stats_throughput.py``) and runs each command in its own child process, stdout to
/dev/null, measuring wall time and the peak RSS of the whole process tree (parent and
workers, sampled from /proc):

- ``check`` (default: one worker per core) against ``check --workers 1``;
- ``report`` against ``check --tokenizer cl100k_base`` and against ``stats``;
- ``stats`` against a single-core tiktoken ``encode_ordinary`` loop over the very
  strings it encodes (parsed beforehand, in memory: the loop does no I/O at all);
- ``stats`` and ``check`` with ``--engine ray`` (a local Ray started by the command)
  against the default process pool: the overhead of Ray on one machine;
- peak RSS of ``check``, ``stats`` and ``report`` on ~1 GB (the file concatenated).

    python benchmarks/engine.py [--size-mb 500] [--rss-size-mb 1000] [--no-ray]
        [--tokenizer-backend reference]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stats_throughput import (
    DATA,
    encode_loop,
    encode_loop_texts,
    ensure,
    peak_rss,
    repeat,
)

SFTPREP = [sys.executable, "-m", "sftprep"]


def run(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes, all processes) of ``sftprep CMD``."""
    if cmd[0] == "check":  # findings are expected: exit 0 so that peak_rss accepts it
        cmd = [*cmd, "--fail-on", "never"]
    seconds, _parent, tree = peak_rss([*SFTPREP, *cmd])
    return seconds, tree


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def line(name: str, seconds: float, rss: int | None, size_mb: float) -> None:
    memory = f"  peak RSS {rss / 2**20:5.0f} MiB" if rss is not None else ""
    print(f"  {name:<44} {seconds:7.1f} s  {size_mb / seconds:6.1f} MB/s{memory}", flush=True)


def ratio(label: str, value: float, goal: str) -> None:
    print(f"  => {label}: {value:.2f}x  (goal {goal})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=500)
    parser.add_argument("--rss-size-mb", type=float, default=1000, help="0 skips")
    parser.add_argument("--no-ray", action="store_true", help="skip the --engine ray runs")
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument(
        "--tokenizer-backend", default="", help="passed to stats/report/check --tokenizer"
    )
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    backend = ["--tokenizer-backend", args.tokenizer_backend] if args.tokenizer_backend else []
    cores = len(os.sched_getaffinity(0))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {cores} cores, python {sys.version.split()[0]}, load average {load}")

    chat = ensure(args.data_dir / f"chat_{args.size_mb:.0f}mb.jsonl", args.size_mb)
    size = chat.stat().st_size / 1e6
    path = str(chat)
    print(f"\n{chat.name}: {size:.0f} MB; each command once, in its own process", flush=True)

    print("\ncheck: all cores against one worker")
    one, _ = run(["check", path, "--json", "--workers", "1"])
    line("check --workers 1", one, None, size)
    default, _ = run(["check", path, "--json"])
    line("check (default)", default, None, size)
    ratio("check default vs --workers 1", one / default, ">= 1.8x")

    print("\nreport against check --tokenizer and stats")
    html = args.data_dir / "engine_report.html"
    report, _ = run(["report", path, "-o", str(html), *backend])
    line("report", report, None, size)
    checked, _ = run(["check", path, "--json", "--tokenizer", "cl100k_base", *backend])
    line("check --tokenizer cl100k_base", checked, None, size)
    stats, _ = run(["stats", path, "--json", "--quiet", *backend])
    line("stats", stats, None, size)
    ratio("report / check --tokenizer", report / checked, "<= 1.25x")
    ratio("report / stats", report / stats, "<= 3x")

    print("\nstats against a single-core encode_ordinary loop")
    texts = encode_loop_texts(chat)
    loop = timed(encode_loop(texts))
    del texts
    line("encode_ordinary loop (1 core, parsed)", loop, None, size)
    line("stats (default)", stats, None, size)
    ratio("stats vs encode_ordinary loop", loop / stats, ">= 1.8x")

    if not args.no_ray:
        print("\n--engine ray (a local Ray started by the command) against the process pool")
        for command in (["stats", "--quiet"], ["check"]):
            ray, _ = run([command[0], path, "--json", "--engine", "ray", *command[1:]])
            base = stats if command[0] == "stats" else default
            line(f"{command[0]} --engine ray", ray, None, size)
            print(f"  => overhead of ray: {ray - base:+.1f} s ({ray / base:.2f}x the pool)")

    if args.rss_size_mb:
        big = repeat(chat, args.data_dir / f"chat_{args.rss_size_mb:.0f}mb.jsonl", args.rss_size_mb)
        big_mb = big.stat().st_size / 1e6
        print(f"\npeak RSS of every process on {big.name} ({big_mb:.0f} MB), goal < 500 MiB")
        for cmd in (
            ["check", str(big), "--json"],
            ["stats", str(big), "--json", "--quiet", *backend],
            ["report", str(big), "-o", str(html), *backend],
        ):
            seconds, rss = run(cmd)
            line(cmd[0], seconds, rss, big_mb)
    html.unlink(missing_ok=True)
    print(f"\nload average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
