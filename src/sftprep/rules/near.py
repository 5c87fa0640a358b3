"""Near-duplicates, train/validation leakage and benchmark contamination.

`near-duplicate` and `leakage` sketch every record where its shard is read (MinHash
of the prompt, the answer and the whole record: `sftprep.similarity`), hand the
sketches over with `partial`, and the merge gives them, in file order, to one
instance for the whole dataset (`absorb`), which clusters them in `finish`. So
``--workers`` and ``--engine ray`` give the same clusters. `contamination` looks up
each record's 13-grams in the index of the ``--against`` files, built before the run.
"""

from __future__ import annotations

import functools
import itertools
import pickle
import tempfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from sftprep import similarity as sim
from sftprep.findings import Finding, Severity
from sftprep.formats.keys import canonical_json
from sftprep.model import Conversation, Location
from sftprep.rules.base import RecordContext, Rule, Shift, register_rule

BATCH = 512  # records sketched together (one call into the sketch library)
VIEW_CHARS = 300  # text kept per record for the side-by-side view of the largest clusters
VIEW_CLUSTERS = 3
VIEW_MEMBERS = 3

Where = tuple[str, int | None, int | None]


@functools.lru_cache(maxsize=1)
def _missing() -> str | None:
    return sim.available()


def texts(conv: Conversation | None) -> tuple[str, str]:
    """``(prompt, answer)``: the text of the turns given to the model (users, tools) and
    of the assistant's turns. System prompts are left out: one shared system prompt
    would make every record of a dataset look alike."""
    if conv is None:
        return "", ""
    prompt: list[str] = []
    answer: list[str] = []
    for message in conv.messages:
        if message.role == "system":
            continue
        (answer if message.role == "assistant" else prompt).append(message.text)
        for call in message.tool_calls:
            answer.append(call.arguments)
    return "\n".join(prompt), "\n".join(answer)


@dataclass
class Chunk:
    """Sketches of a batch of one shard's records, as the worker hands them over."""

    path: str
    records: array[int]
    lines: array[int]
    digests: list[int]
    sizes: list[int]
    reference: bytes  # 1 per record of an --against file
    sketches: Any  # numpy uint8 (n, kinds, NUM_PERM)
    has: Any  # numpy bool (n, kinds)
    views: bytes  # each record's text for the view, UTF-8, each ended by a NUL byte
    view_starts: array[int]  # where each record's text starts in ``views``


class _Sketching(Rule):
    """Shared state of the clustering rules: sketch per shard, absorb in order, cluster."""

    group = "dataset"
    span = "dataset"

    def __init__(self) -> None:
        self._parts = sim.Parts()
        self._pending: list[tuple[Location, int, int, bool, str]] = []
        self._chunks: list[Chunk] = []
        self.threshold = sim.DEFAULT_THRESHOLD
        # merge side
        self._store: sim.SketchStore | None = None
        self._paths: list[str] = []
        self._file = array("H")
        self._record = array("q")
        self._line = array("q")
        self._reference = bytearray()
        self._views: IO[bytes] | None = None
        self._view_at = array("Q")
        self.view: list[dict[str, Any]] = []
        self._first_path: str | None = None
        self.clusters: sim.Clusters | None = None

    # --- worker side -------------------------------------------------------------------
    def wants(self, ctx: RecordContext) -> bool:
        return True

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        self.threshold = float(ctx.options.get("near_threshold") or sim.DEFAULT_THRESHOLD)
        if not self.wants(ctx):
            return iter(())
        if self._first_path is None:
            self._first_path = ctx.location.path
        if _missing() is not None:
            return iter(())
        prompt, answer = texts(ctx.conversation)
        if ctx.conversation is None:  # not an object: its JSON text stands for it
            answer = canonical_json(ctx.record)
        self._parts.add(prompt, answer)
        reference = ctx.location.path in ctx.options.get("against", ())
        view = f"{prompt[:VIEW_CHARS]}\n{answer[:VIEW_CHARS]}".strip()[:VIEW_CHARS]
        size = len(prompt) + len(answer)
        self._pending.append((ctx.location, sim.digest8(ctx.digest), size, reference, view))
        if len(self._pending) >= BATCH:
            self._flush()
        return iter(())

    def _flush(self) -> None:
        if not self._pending:
            return
        sketches, has = self._parts.sketch()
        pending, self._pending, self._parts = self._pending, [], sim.Parts()
        first = pending[0][0]
        views = [p[4].encode("utf-8", "surrogatepass") + b"\0" for p in pending]
        self._chunks.append(
            Chunk(
                first.path,
                array("q", [-1 if p[0].record is None else p[0].record for p in pending]),
                array("q", [-1 if p[0].line is None else p[0].line for p in pending]),
                [p[1] for p in pending],
                [p[2] for p in pending],
                bytes(int(p[3]) for p in pending),
                sketches,
                has,
                b"".join(views),
                array("Q", itertools.accumulate((len(v) for v in views[:-1]), initial=0)),
            )
        )

    def partial(self) -> Any:
        self._flush()
        chunks, self._chunks = self._chunks, []
        return self.threshold, chunks, self._first_path

    # --- merge side --------------------------------------------------------------------
    def absorb(self, partial: Any, shift: Shift) -> Iterator[Finding]:
        threshold, chunks, path = partial
        self.threshold = threshold
        if self._first_path is None:
            self._first_path = path
        for chunk in chunks:
            self._absorb(chunk, shift)
        return iter(())

    def _absorb(self, chunk: Chunk, shift: Shift) -> None:
        if self._store is None:
            self._store = sim.SketchStore()
            self._views = tempfile.TemporaryFile(prefix="sftprep-views-")  # noqa: SIM115
        if not self._paths or self._paths[-1] != chunk.path:
            self._paths.append(chunk.path)
        self._store.add(chunk.sketches, chunk.has, chunk.digests, chunk.sizes)
        n = len(chunk.digests)
        self._file.extend(array("H", [len(self._paths) - 1]) * n)
        self._record.extend(_shifted(chunk.records, shift.records))
        self._line.extend(_shifted(chunk.lines, shift.lines))
        self._reference.extend(chunk.reference)
        assert self._views is not None
        self._views.seek(0, 2)
        base = self._views.tell()
        self._views.write(chunk.views)
        self._view_at.extend(array("Q", [base + start for start in chunk.view_starts]))

    def where(self, i: int) -> Where:
        line, record = self._line[i], self._record[i]
        return (
            self._paths[self._file[i]],
            None if line < 0 else line,
            (None if record < 0 else record),
        )

    def sizes(self) -> array[int]:
        """Characters of prompt and answer text of every record absorbed."""
        return self._store.sizes if self._store is not None else array("I")

    def location(self, i: int) -> Location:
        return Location(*self.where(i))

    def text(self, i: int) -> str:
        assert self._views is not None
        self._views.seek(self._view_at[i])
        data = self._views.read(VIEW_CHARS * 4 + 1)
        return data.split(b"\0", 1)[0].decode("utf-8", "surrogatepass")

    def note(self) -> Iterator[Finding]:
        """One note when the sketch library is missing (nothing was sketched)."""
        reason = _missing()
        if reason is not None and self._first_path is not None:
            message = f"near-duplicate detection skipped: {reason}"
            yield self.finding(Location(self._first_path), message, severity=Severity.INFO)

    def direct(self, pairs: list[tuple[int, int]]) -> list[tuple[str, float]]:
        """For each (record, named record) pair: the first kind (record, prompt, answer)
        whose estimated similarity reaches the threshold, and that estimate (the whole
        record's when none does: the two are linked through other members)."""
        import numpy as np

        store = self._store
        assert store is not None
        if not pairs:
            return []
        a = np.array([p[0] for p in pairs], dtype=np.int64)
        b = np.array([p[1] for p in pairs], dtype=np.int64)
        chosen: list[tuple[str, float] | None] = [None] * len(pairs)
        record_scores = np.zeros(len(pairs))
        for kind, name in enumerate(sim.KINDS):
            matrix = store.matrix(kind)
            has = store.has_kind(kind)
            scores = sim.estimate(matrix[a], matrix[b])
            if kind == 0:
                record_scores = scores
            ok = has[a] & has[b] & (scores >= self.threshold)
            for i in np.nonzero(ok)[0].tolist():
                if chosen[i] is None:
                    chosen[i] = (name, float(scores[i]))
            del matrix
        return [c or ("record", float(record_scores[i])) for i, c in enumerate(chosen)]

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        if self._views is not None:
            self._views.close()


def _shifted(values: array[int], by: int) -> array[int]:
    """``values`` moved by ``by`` (-1, unknown, stays -1)."""
    if not by:
        return values
    return array("q", [v + by if v >= 0 else -1 for v in values])


def _part(name: str, score: float) -> str:
    what = "whole record" if name == "record" else name
    return f"{what} ≈{score:.2f}"


@register_rule
class NearDuplicate(_Sketching):
    """A record is a near-copy of an earlier record.

    **What it does**
    Reads the prompt (user turns), the answer (assistant turns) and the whole record
    as word 3-grams (case, punctuation and the value of numbers ignored) and finds the
    records whose MinHash estimate of Jaccard similarity reaches 0.8 on any of the
    three (LSH banding over 128 permutations, a fixed seed; ``--near-threshold``
    changes it). Near-copies form clusters; each record of a cluster after its first is
    reported once, naming the part that matched, its similarity, the cluster and its
    first record. Exact copies are left to `duplicate`. All the files checked together
    are one dataset. Needs ``pip install 'sftprep[near]'`` (rensa, numpy); without it
    one note says the check was skipped.

    **Why is this bad?**
    The same question with a changed name or number, the same answer re-worded by a
    generator and templated records that differ in one slot waste epochs, over-weight
    their topic, and skew evaluation when copies land on both sides of a split.

    **Example**
    ```json
    {"prompt": "Anna has 3 apples and buys 5 more. How many now?", "completion": "8"}
    ```
    (and later ``{"prompt": "Ben has 4 apples and buys 2 more. How many now?", ...}``)

    **Fix**
    Keep one record per cluster (``sftprep fix --dedupe near``), or make the records
    genuinely different.
    """

    id = "near-duplicate"
    severity = Severity.WARNING
    hint = "keep one record per cluster (sftprep fix --dedupe near)"

    def wants(self, ctx: RecordContext) -> bool:
        return ctx.location.path not in ctx.options.get("against", ())

    def finish(self) -> Iterator[Finding]:
        yield from self.note()
        store = self._store
        if store is None or store.count < 2:
            return
        self.clusters = sim.cluster(store, self.threshold)
        groups = sorted(self.clusters.groups().items())
        reported: list[tuple[int, int, int, int]] = []  # member, first, cluster number, size
        for number, (first, members) in enumerate(groups, 1):
            seen = {store.digests[first]}
            for member in members[1:]:
                if store.digests[member] in seen:
                    continue  # an exact copy: `duplicate` reports it
                seen.add(store.digests[member])
                reported.append((member, first, number, len(members)))
        reported.sort()  # file order
        parts = self.direct([(m, f) for m, f, _, _ in reported])
        for (member, first, number, size), (name, score) in zip(reported, parts, strict=True):
            here = self.location(member)
            message = (
                f"near-duplicate of {sim.describe(self.where(first), here.path)} "
                f"({_part(name, score)}); cluster {number}: {size} records"
            )
            yield self.finding(here, message, excerpt_text=self.text(member))
        self.view = self._view(groups)

    def _distinct(self, members: list[int]) -> list[int]:
        """``members`` without exact copies of an earlier member."""
        assert self._store is not None
        digests = self._store.digests
        seen: set[int] = set()
        out: list[int] = []
        for m in members:
            if digests[m] not in seen:
                seen.add(digests[m])
                out.append(m)
        return out

    def _view(self, groups: list[tuple[int, list[int]]]) -> list[dict[str, Any]]:
        """The largest clusters with their first members' texts, for the report."""
        # clusters of exact copies only are `duplicate`'s: not shown
        numbered = [
            (number, members)
            for number, (_, members) in enumerate(groups, 1)
            if len(self._distinct(members)) > 1
        ]
        largest = sorted(numbered, key=lambda item: -len(item[1]))[:VIEW_CLUSTERS]
        return [
            {
                "cluster": number,
                "size": len(members),
                "members": [
                    {"location": str(self.location(i)), "record": self._record[i],
                     "text": self.text(i)}
                    for i in self._distinct(members)[:VIEW_MEMBERS]
                ],
            }
            for number, members in largest
        ]  # fmt: skip


@register_rule
class Leakage(_Sketching):
    """A record is an exact or near copy of a record of an ``--against`` file.

    **What it does**
    With ``sftprep check train.jsonl --against val.jsonl [--against test.jsonl]``,
    reports each checked record that is an exact copy (canonical JSON) or a near-copy
    (the `near-duplicate` clustering: prompt, answer or whole record at Jaccard 0.8 or
    more, also through other near-copies) of a record of an ``--against`` file, naming
    that record. The ``--against`` files themselves are read but not checked.

    **Why is this bad?**
    A validation or test record that was also trained on measures memory, not
    generalisation: the scores it gives are inflated.

    **Example**
    ```json
    {"prompt": "Name the capital of Peru and say what the city is known for.",
     "completion": "Lima is the capital of Peru. It is known for its food."}
    ```
    (in train.jsonl, and the same record with "Give" for "Name" in val.jsonl)

    **Fix**
    Drop the record from one side, or re-split with ``sftprep split`` (it keeps
    near-duplicates on one side).
    """

    id = "leakage"
    severity = Severity.ERROR
    hint = "drop it from one side, or re-split with `sftprep split`"

    def wants(self, ctx: RecordContext) -> bool:
        return bool(ctx.options.get("against"))

    def finish(self) -> Iterator[Finding]:
        yield from self.note()
        store = self._store
        if store is None or not any(self._reference):
            return
        found: dict[int, tuple[int, str]] = {}  # checked record -> (reference record, how)
        first_ref: dict[int, int] = {}
        for i in range(store.count):  # exact copies: equal digests
            if self._reference[i]:
                first_ref.setdefault(store.digests[i], i)
        for i in range(store.count):
            ref = first_ref.get(store.digests[i])
            if not self._reference[i] and ref is not None:
                found[i] = (ref, "exact copy")
        self.clusters = sim.cluster(store, self.threshold)
        near: list[tuple[int, int]] = []
        for members in self.clusters.groups().values():
            refs = [m for m in members if self._reference[m]]
            if refs:
                near.extend((m, refs[0]) for m in members if not self._reference[m]
                            and m not in found)  # fmt: skip
        for (member, ref), (name, score) in zip(near, self.direct(near), strict=True):
            found[member] = (ref, f"near-copy ({_part(name, score)})")
        for member in sorted(found):
            ref, how = found[member]
            here = self.location(member)
            message = f"{how} of {sim.describe(self.where(ref), here.path)}"
            yield self.finding(here, message, excerpt_text=self.text(member))


@functools.lru_cache(maxsize=2)
def load_index(path: str) -> sim.NgramIndex:
    """The n-gram index `check` wrote for the ``--against`` files (once per process)."""
    with open(path, "rb") as fh:
        index: sim.NgramIndex = pickle.load(fh)
    return index


@register_rule
class Contamination(Rule):
    """A record shares 13-word sequences with a record of an ``--against`` file.

    **What it does**
    With ``--against FILE`` (any dataset file: a benchmark's test set exported to
    JSONL or Parquet, a validation split), indexes every 13-word sequence of each of its
    records (case-folded, punctuation dropped, numbers kept; a text of 8 to 12 words
    counts whole) and reports each checked record containing one, naming the
    reference record with the most shared 13-grams. This is the overlap test of the
    GPT-3 paper (Brown et al. 2020, "Language Models are Few-Shot Learners", appendix
    C: 13-gram collisions, a shorter n of at least 8 for benchmarks of short items).
    Nothing is downloaded: the reference is the file you give.

    **Why is this bad?**
    A benchmark's test item (or a large part of it) seen in training inflates the
    model's score on that benchmark: it is remembered, not solved.

    **Example**
    ```json
    {"prompt": "Natalia sold clips to 48 of her friends in April, then half as many in May.",
     "completion": "72"}
    ```
    (checked ``--against gsm8k_test.jsonl``, which holds that question)

    **Fix**
    Drop the record, or at least never evaluate on the benchmark it came from.
    """

    id = "contamination"
    severity = Severity.ERROR
    group = "dataset"
    hint = "drop the record (or do not evaluate on that benchmark)"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        path = ctx.options.get("against_index")
        if not path or ctx.location.path in ctx.options.get("against", ()):
            return
        prompt, answer = texts(ctx.conversation)
        text = f"{prompt}\n{answer}" if ctx.conversation is not None else canonical_json(ctx.record)
        index = path if isinstance(path, sim.NgramIndex) else load_index(path)
        found = index.matches(text)
        if not found:
            return
        ref, count = max(found.items(), key=lambda kv: (kv[1], -kv[0]))
        where = sim.describe(index.where[ref], ctx.location.path)
        if ref in index.short_refs:
            grams = "its whole text"
        else:
            grams = f"{count} 13-gram{'s' if count != 1 else ''}"
        message = f"shares {grams} with {where}"
        if len(found) > 1:
            message += f" (and overlaps {len(found) - 1} other reference record(s))"
        yield self.finding(ctx, message, excerpt_text=text)


def build_index(records: Iterator[tuple[Where, str]]) -> sim.NgramIndex:
    """The n-gram index of the reference texts."""
    index = sim.NgramIndex()
    for where, text in records:
        index.add(text, where)
    return index


def write_index(index: sim.NgramIndex) -> str:
    """Pickle ``index`` to a temporary file every worker can read; its path."""
    with tempfile.NamedTemporaryFile(prefix="sftprep-ngrams-", suffix=".pkl", delete=False) as fh:
        pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return fh.name
