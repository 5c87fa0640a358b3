"""Deterministic, leak-free train/validation/test splits.

Records whose first user message normalises to the same text (lower case, runs of
whitespace and punctuation collapsed) form one *group*, and a group always lands in
one split, so a prompt seen in training never reappears in validation. With
``group="near-duplicates"`` (the default) the clusters of the `near-duplicate` rule
join groups too: a near-copy (a changed name or number, a re-worded answer) lands
in the split of the record it copies. Groups are
ordered by a hash of the seed and the group key (independent of file order) and
dealt into test, then validation, until each reaches its share of records; the rest
is train. With ``stratify`` the dealing happens per value of that top-level field.

Two passes over the input keep memory to one small integer per record. Records are
written unchanged.

>>> normalise_prompt("  What is UP?!  ")
'what is up'
>>> summary = split("data.jsonl", "splits/", val_fraction=0.1, seed=13)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import re
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftprep.build.paths import check_directory, os_errors_as_usage
from sftprep.engine import Job, Runner, plan_inputs, run
from sftprep.errors import UsageError
from sftprep.findings import Finding
from sftprep.formats.aliases import KeyMap
from sftprep.model import Conversation
from sftprep.pipeline import Sample
from sftprep.similarity import available

SPLITS = ("train", "validation", "test")
GROUPINGS = ("near-duplicates", "prompts")
_TRAIN, _VALIDATION, _TEST = 0, 1, 2
_NON_WORD = re.compile(r"[\W_]+")


def normalise_prompt(text: str) -> str:
    """Lower-case ``text`` and collapse every run of whitespace/punctuation to one space."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


def prompt_key(conversation: Conversation | None, raw: Any) -> str:
    """The text that decides a record's group: its normalised first user message.

    Records without a user message fall back to all their message text, then to the
    canonical JSON of the raw record (so exact duplicates still group together).
    """
    if conversation is not None:
        for message in conversation.messages:
            if message.role == "user" and message.text.strip():
                return "u:" + normalise_prompt(message.text)
        text = " ".join(m.text for m in conversation.messages)
        if text.strip():
            return "t:" + normalise_prompt(text)
    return "r:" + json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)


@dataclass
class SplitSummary:
    """What `split` wrote: records per split, groups, strata and the files."""

    path: str
    seed: int
    records: int = 0
    groups: int = 0
    largest_group: int = 0
    grouping: str = "prompts"
    near_duplicates: int = 0  # records joined to another's group as near-copies
    counts: dict[str, int] = field(default_factory=dict)
    strata: dict[str, dict[str, int]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "seed": self.seed,
            "records": self.records,
            "groups": self.groups,
            "largest_group": self.largest_group,
            "grouping": self.grouping,
            "near_duplicates": self.near_duplicates,
            "counts": self.counts,
            "strata": self.strata,
            "files": self.files,
        }


@dataclass
class _Group:
    order: int
    stratum: str
    size: int = 0
    split: int = _TRAIN


def split(
    path: str | Path,
    out_dir: str | Path,
    *,
    val_fraction: float,
    test_fraction: float = 0.0,
    seed: int,
    stratify: str | None = None,
    format: str | None = None,
    key_map: KeyMap | None = None,
    ext: str | None = None,
    runner: Runner | None = None,
    group: str = "near-duplicates",
) -> SplitSummary:
    """Split ``path`` into ``out_dir``/train, validation (and test when ``test_fraction``).

    Files keep the input's extension unless ``ext`` is given. Raises `UsageError` for
    bad fractions or when a record cannot be parsed (run `sftprep fix` first: every
    record must land in exactly one split). ``group`` is ``near-duplicates`` (prompt
    groups joined by near-duplicate clusters) or ``prompts``.
    """
    _check_fractions(val_fraction, test_fraction)
    if group not in GROUPINGS:
        raise UsageError(f"unknown --group {group!r}; known: {', '.join(GROUPINGS)}")
    source_path = Path(path)
    suffix = "." + (ext or source_path.suffix.lstrip(".")).lower()
    if suffix == ".":
        raise UsageError(f"{source_path}: no extension; pass --ext jsonl (or json, csv, parquet)")

    names = SPLITS if test_fraction > 0 else SPLITS[:2]
    out = Path(out_dir)
    _check_destination(source_path, out, [out / f"{name}{suffix}" for name in names])
    missing = available() if group == "near-duplicates" else None
    near = group == "near-duplicates" and missing is None
    record_group, groups, joined = _group_records(
        source_path, format=format, key_map=key_map, seed=seed, stratify=stratify, runner=runner,
        near=near,
    )  # fmt: skip
    _deal(groups, val_fraction, test_fraction)
    _keep_train(groups)

    assignment = bytes(groups[g].split for g in record_group)
    summary = SplitSummary(str(source_path), seed, records=len(assignment), groups=len(groups))
    summary.grouping = "prompts and near-duplicates" if near else "prompts"
    if missing is not None:
        summary.grouping += f" (near-duplicates skipped: {missing})"
    summary.near_duplicates = joined
    summary.largest_group = max((g.size for g in groups), default=0)
    summary.counts = {name: assignment.count(i) for i, name in enumerate(names)}
    if stratify is not None:
        summary.strata = _strata_counts(groups, names)

    from sftprep.io.write import write_records

    with os_errors_as_usage(out):
        out.mkdir(parents=True, exist_ok=True)
        for index, name in enumerate(names):
            target = out / f"{name}{suffix}"
            write_records(target, _records_for(source_path, assignment, index))
            summary.files[name] = str(target)
    return summary


def _check_destination(source: Path, out: Path, files: list[Path]) -> None:
    """``out`` is (or can become) a directory, and no split file would replace the input."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"-o {out} is a file; give a directory for the split files")
    check_directory(out, f"-o {out}")
    for file in files:
        if file.resolve() == source.resolve():
            raise UsageError(
                f"-o {out} would replace the input {source} with the {file.stem} split; "
                "choose another directory (the input is never modified)"
            )


def _keep_train(groups: list[_Group]) -> None:
    """Train is never empty: with too few groups the last one dealt elsewhere goes back."""
    if not groups or any(g.split == _TRAIN for g in groups):
        return
    min(groups, key=lambda g: (g.split != _TEST, -g.order)).split = _TRAIN


def _check_fractions(val_fraction: float, test_fraction: float) -> None:
    for name, value in (("--val-fraction", val_fraction), ("--test-fraction", test_fraction)):
        if not 0 <= value < 1:
            raise UsageError(f"{name} must be in [0, 1), got {value}")
    if val_fraction + test_fraction >= 1:
        raise UsageError(
            f"--val-fraction + --test-fraction must leave records for train "
            f"(got {val_fraction} + {test_fraction})"
        )


@dataclass(frozen=True)
class GroupKey:
    """The per-record part of `split` (a `Transform`): the digest of the record's group
    key, and its value of the ``stratify`` field (None when it has no such field)."""

    stratify: str | None = None

    def apply(self, sample: Sample, findings: list[Finding], ctx: Any) -> tuple[bytes, Any]:
        key = prompt_key(sample.conversation, sample.raw)
        digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        raw = sample.raw
        has = self.stratify is not None and isinstance(raw, Mapping) and self.stratify in raw
        return digest, (_stratum(sample, self.stratify) if has else None)


def _group_records(
    path: Path,
    *,
    format: str | None,
    key_map: KeyMap | None,
    seed: int,
    stratify: str | None,
    runner: Runner | None,
    near: bool = False,
) -> tuple[array[int], list[_Group], int]:
    """First pass (on the engine): the group index of every record, the groups, and the
    number of records whose group near-duplicates joined to another's."""
    runner = runner or Runner()
    files = plan_inputs(path, format=format, key_map=key_map, shard_bytes=runner.shard_bytes)
    rules = {"json-syntax", "invalid-utf8"} | ({NEAR} if near else set())
    job = Job(rules=frozenset(rules), transform=GroupKey(stratify))
    near_rule: Any = None
    record_group: array[int] = array("q")
    index_of: dict[bytes, int] = {}
    groups: list[_Group] = []
    broken: list[Finding] = []
    seed_bytes = str(seed).encode()
    stratified = 0  # records that have the --stratify field
    for merged in run(files, job, runner, label="grouping"):
        near_rule = merged.file.shared.get(NEAR, near_rule)
        broken.extend(
            f for f in merged.findings if f.location.record is not None and f.rule != NEAR
        )
        for digest, stratum in merged.result.outputs or ():
            index = index_of.get(digest)
            if index is None:
                index = index_of[digest] = len(groups)
                order = int.from_bytes(
                    hashlib.blake2b(seed_bytes + b"\0" + digest, digest_size=8).digest(), "big"
                )
                groups.append(_Group(order, "" if stratum is None else stratum))
            groups[index].size += 1
            record_group.append(index)
            stratified += stratum is not None
    if broken:
        first = broken[0]
        raise UsageError(
            f"{len(broken)} record(s) in {path} cannot be parsed (first at {first.location}: "
            f"{first.message}); run `sftprep fix` first so every record lands in one split"
        )
    if stratify is not None and record_group and not stratified:
        raise UsageError(
            f"--stratify {stratify}: no record has a top-level `{stratify}` field "
            "(give the name of a field the records carry, e.g. category)"
        )
    clusters = getattr(near_rule, "clusters", None)
    if near_rule is not None:
        near_rule.close()
    if clusters is None:  # fewer than two records
        return record_group, groups, 0
    return _join_near(record_group, groups, clusters.label.tolist())


NEAR = "near-duplicate"


def _join_near(
    record_group: array[int], groups: list[_Group], label: list[int]
) -> tuple[array[int], list[_Group], int]:
    """Join the groups of records in one near-duplicate cluster (``label[i]``: the first
    record of record ``i``'s cluster) into one group, so a cluster never straddles
    splits; also the number of records that are near-copies of an earlier one. The
    joined group keeps the first group's stratum and the smallest order."""
    parent = list(range(len(groups)))

    def root(g: int) -> int:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    joined = unions = 0
    for record, first in enumerate(label):
        if first == record:
            continue
        joined += 1
        a, b = root(record_group[first]), root(record_group[record])
        if a != b:
            unions += 1
            parent[max(a, b)] = min(a, b)
    if not unions:
        return record_group, groups, joined
    index: dict[int, int] = {}
    merged: list[_Group] = []
    for g, group in enumerate(groups):
        r = root(g)
        if r not in index:
            index[r] = len(merged)
            merged.append(_Group(groups[r].order, groups[r].stratum))
        target = merged[index[r]]
        target.order = min(target.order, group.order)
        target.size += group.size
    remap = [index[root(g)] for g in range(len(groups))]
    return array("q", (remap[g] for g in record_group)), merged, joined


def _stratum(sample: Sample, stratify: str | None) -> str:
    if stratify is None or not isinstance(sample.raw, Mapping):
        return ""
    value = sample.raw.get(stratify)
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _deal(groups: list[_Group], val_fraction: float, test_fraction: float) -> None:
    """Give each group a split: per stratum, fill test then validation up to their shares."""
    by_stratum: dict[str, list[_Group]] = {}
    for group in groups:
        by_stratum.setdefault(group.stratum, []).append(group)
    for members in by_stratum.values():
        total = sum(g.size for g in members)
        want = {_TEST: round(total * test_fraction), _VALIDATION: round(total * val_fraction)}
        have = {_TEST: 0, _VALIDATION: 0}
        # Sorting by the seeded hash (then the stratum-local position) is what makes the
        # deal reproducible for a seed and independent of the input order.
        for group in sorted(members, key=lambda g: g.order):
            for split_id in (_TEST, _VALIDATION):
                if have[split_id] + group.size <= want[split_id]:
                    group.split = split_id
                    have[split_id] += group.size
                    break


def _strata_counts(groups: list[_Group], names: tuple[str, ...]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for group in groups:
        row = counts.setdefault(group.stratum, dict.fromkeys(names, 0))
        row[names[group.split]] += group.size
    return dict(sorted(counts.items()))


def _records_for(path: Path, assignment: bytes, split_id: int) -> Iterator[Any]:
    """Second pass: the raw records of one split, in input order, unchanged."""
    from sftprep.io import RawRecord, read

    index = 0
    for item in read(path):
        if not isinstance(item, RawRecord):
            continue
        if assignment[index] == split_id:
            yield item.value
        index += 1
