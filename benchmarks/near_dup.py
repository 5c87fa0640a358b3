"""Benchmark: what near-duplicate detection costs `sftprep check`, and which library sketches.

Three measurements, each printed with the figures it compares:

1. ``--libraries``: MinHash signatures (128 permutations) of the prompt and answer
   word 3-grams of the first records of a chat file, by rensa (``RMinHash``, batch
   and one object per record, ``CMinHash``) and by datasketch (``MinHash`` with
   ``update_batch``, and ``bulk``), in this process, best of three.
2. ``--time FILE``: ``sftprep check --json`` on FILE with every rule, and with
   ``--ignore near-duplicate``, each in its own child process, alternated ``--rounds``
   times; the medians and their ratio.
3. ``--memory FILE``: peak RSS of ``sftprep check --json`` on FILE (every rule), and
   without near-duplicate, as `check_1gb.py` measures it (``os.wait4`` of the child).

    python benchmarks/near_dup.py --libraries benchmarks/data/chat_200mb.jsonl
    python benchmarks/near_dup.py --time benchmarks/data/chat_200mb.jsonl
    python benchmarks/near_dup.py --memory benchmarks/data/chat_1000mb.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sftprep import similarity as sim


def _texts(path: Path, records: int) -> list[str]:
    texts: list[str] = []
    with path.open("rb") as fh:
        for line in itertools.islice(fh, records):
            messages = json.loads(line)["messages"]
            user = " ".join(m["content"] for m in messages if m["role"] == "user")
            answer = " ".join(m["content"] for m in messages if m["role"] == "assistant")
            texts.extend((user, answer))
    return texts


def _best(fn: object, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def libraries(path: Path, records: int) -> None:
    import datasketch

    texts = _texts(path, records)
    rensa = sim._rensa()  # its pool made with one thread, as the engine's workers use it
    start = time.perf_counter()
    normalised = [sim.normalise(t) for t in texts]
    reading = time.perf_counter() - start
    start = time.perf_counter()
    sets = [sim.shingles(n.split()) for n in normalised]
    shingling = time.perf_counter() - start
    n = sim.NUM_PERM
    encoded = sets

    def sftprep_path() -> None:
        for i in range(0, len(normalised), 1024):  # batches of 512 records, as the rule does
            sim.sketch_rows(normalised[i : i + 1024])

    def rensa_batch() -> None:
        rensa.RMinHash.digest_matrix_from_token_sets(sets, n, sim.SEED).to_rows()

    def rensa_objects() -> None:
        for tokens in sets:
            m = rensa.RMinHash(n, sim.SEED)
            m.update(tokens)
            m.digest()

    def rensa_cminhash() -> None:
        for tokens in sets:
            m = rensa.CMinHash(n, sim.SEED)
            m.update(tokens)
            m.digest()

    def datasketch_update() -> None:
        for tokens in encoded:
            m = datasketch.MinHash(num_perm=n, seed=sim.SEED)
            m.update_batch(tokens)

    def datasketch_bulk() -> None:
        datasketch.MinHash.bulk(encoded, num_perm=n, seed=sim.SEED)

    shingles = sum(len(s) for s in sets)
    print(f"{records} records, {len(sets)} token sets, {shingles} shingles")
    print(f"normalising {len(texts)} texts (sim.normalise): {reading:.2f} s")
    print(f"3-gram shingles as bytes (Python joins, for the libraries' own hashing): "
          f"{shingling:.2f} s")  # fmt: skip
    contenders = [
        ("sftprep: 3-gram hashes in numpy + rensa matrix (sim.sketch_rows)", sftprep_path),
        ("rensa RMinHash.digest_matrix_from_token_sets (batch)", rensa_batch),
        ("rensa RMinHash, one object per set", rensa_objects),
        ("rensa CMinHash, one object per set", rensa_cminhash),
        ("datasketch MinHash.update_batch, one object per set", datasketch_update),
        ("datasketch MinHash.bulk", datasketch_bulk),
    ]
    base = None
    for name, fn in contenders:
        seconds = _best(fn)
        base = base or seconds
        per = seconds / len(sets) * 1e6
        print(f"  {name}: {seconds:.3f} s ({per:.1f} µs per set, {seconds / base:.1f}x)")


def _check(path: Path, *extra: str) -> tuple[float, float, float]:
    """``sftprep check --json`` in a child: (wall seconds, peak RSS MB, CPU seconds).

    The CPU seconds are the child's and its worker processes' (user + system, from
    ``os.wait4``): on a shared machine they move far less with the load than the wall
    time does.
    """
    cmd = [sys.executable, "-m", "sftprep", "check", "--json", "--quiet", str(path), *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"sftprep check failed ({code}): {err.strip()}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def timing(path: Path, rounds: int) -> None:
    runs: dict[str, list[tuple[float, float, float]]] = {"with": [], "without": []}
    for _ in range(rounds):
        runs["without"].append(_check(path, "--ignore", "near-duplicate"))
        runs["with"].append(_check(path))
    size = path.stat().st_size / 2**20
    print(f"file: {size:.0f} MB, {rounds} rounds (alternated); load average at the end "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    medians = {}
    for name, label in (("with", "every rule"), ("without", "--ignore near-duplicate")):
        wall = statistics.median(r[0] for r in runs[name])
        cpu = statistics.median(r[2] for r in runs[name])
        medians[name] = (wall, cpu)
        print(f"check, {label}: wall {wall:.1f} s (runs: {_fmt([r[0] for r in runs[name]])}), "
              f"CPU {cpu:.1f} s (runs: {_fmt([r[2] for r in runs[name]])})")  # fmt: skip
    (wall_a, cpu_a), (wall_b, cpu_b) = medians["with"], medians["without"]
    print(f"near-duplicate adds {100 * (cpu_a - cpu_b) / cpu_b:.1f}% CPU time and "
          f"{100 * (wall_a - wall_b) / wall_b:.1f}% wall time (medians)")  # fmt: skip


def memory(path: Path) -> None:
    seconds, peak, _ = _check(path)
    seconds_off, peak_off, _ = _check(path, "--ignore", "near-duplicate")
    size = path.stat().st_size / 2**20
    print(f"file: {size:.0f} MB")
    print(f"check, every rule:              peak RSS {peak:.0f} MB, {seconds:.1f} s")
    print(f"check, --ignore near-duplicate: peak RSS {peak_off:.0f} MB, {seconds_off:.1f} s")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--libraries", type=Path, metavar="FILE")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--time", type=Path, metavar="FILE")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory", type=Path, metavar="FILE")
    args = parser.parse_args()
    if args.libraries:
        libraries(args.libraries, args.records)
    if args.time:
        timing(args.time, args.rounds)
    if args.memory:
        memory(args.memory)


if __name__ == "__main__":
    main()
