"""Precision and recall of `near-duplicate` on the labelled pairs of tests/rules/nearkit.py.

Writes the generated records to a temporary JSONL file, clusters them with the rule (as
`sftprep check` does) and prints precision, recall and the pairs found per kind of edit,
as a Markdown table (the figures of docs/near-duplicates.md).

    python benchmarks/near_quality.py                     # default threshold 0.8
    python benchmarks/near_quality.py --threshold 0.7 0.8 0.9
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "rules"))
from nearkit import cluster_labels, labelled_set, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threshold", type=float, nargs="*", default=[0.8])
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    records, pairs = labelled_set(seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "labelled.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        for threshold in args.threshold:
            start = time.perf_counter()
            labels = cluster_labels(path, threshold=threshold)
            seconds = time.perf_counter() - start
            precision, recall, by_how = scores(labels, pairs)
            positives = sum(1 for p in pairs if p[2])
            tp = sum(f for how, (f, _) in by_how.items() if not how.startswith("negative"))
            fp = sum(f for how, (f, _) in by_how.items() if how.startswith("negative"))
            print(f"threshold {threshold}: {len(pairs)} pairs ({positives} near-copies), "
                  f"{len(records)} records, {seconds:.1f} s")  # fmt: skip
            print(f"precision {precision:.4f} (true {tp}, false {fp}), recall {recall:.4f} "
                  f"({tp} of {positives})\n")  # fmt: skip
            print("| pair | found in one cluster |\n| --- | ---: |")
            for how, (found, total) in by_how.items():
                print(f"| {how} | {found} / {total} |")
            print()


if __name__ == "__main__":
    main()
