"""Dataset rules: problems visible only across records (duplicates).

Both rules see the records of a shard in `check` and settle them in `absorb`, in
file order, against everything absorbed before (see `sftprep.rules.base`). Memory
stays bounded: a 16-byte digest per distinct record (or prompt) and where it was
first seen, never the records themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sftprep.findings import Finding, Severity
from sftprep.formats.keys import canonical_json, digest, same_prompt_key
from sftprep.model import Location
from sftprep.rules._common import is_raw_text
from sftprep.rules.base import RecordContext, Rule, Shift, register_rule

FirstSeen = tuple[str, int | None, int | None]  # (path, line, record) of the first occurrence
_EXCERPT_CHARS = 200  # enough text for a one-line excerpt, however long the record


def _where(first: FirstSeen, here: Location) -> str:
    """The first occurrence as the finding at ``here`` names it: ``record 3 (line 4)``,
    and with its file when it is in another file of the dataset."""
    path, line, record = first
    where = f"record {record}" if line is None else f"record {record} (line {line})"
    return where if path == here.path else f"{where} of {path}"


def _first(location: Location) -> FirstSeen:
    return location.path, location.line, location.record


@register_rule
class Duplicate(Rule):
    """A record is an exact duplicate of an earlier record.

    **What it does**
    Hashes the canonical JSON of every raw record (keys sorted, whitespace ignored)
    and reports each record identical to an earlier one of the dataset (all the files
    checked together, e.g. a folder of shard files), naming the first copy's record
    index and line (and its file, when another). The first copy itself is not reported,
    so the count equals the number of records a de-duplication would drop.

    **Why is this bad?**
    Duplicates are trained on several times per epoch: the model memorises them,
    their topic is over-weighted, and copies that land in both the training and the
    validation split inflate evaluation scores.

    **Example**
    ```json
    {"instruction": "Which sentence is more polite?", "input": "", "output": "The second."}
    ```
    (the same line appears again later in the file)

    **Fix**
    Drop the later copies (``sftprep fix --dedupe`` keeps the first one).
    """

    id = "duplicate"
    severity = Severity.WARNING
    group = "dataset"
    hint = "drop the later copies (keep the first)"
    span = "dataset"

    def __init__(self) -> None:
        self._shard: list[tuple[bytes, Location, str]] = []
        self._seen: dict[bytes, FirstSeen] = {}

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        self._shard.append((ctx.digest, ctx.location, _record_excerpt(ctx)))
        return iter(())

    def partial(self) -> Any:
        shard, self._shard = self._shard, []
        return shard

    def absorb(self, partial: Any, shift: Shift) -> Iterator[Finding]:
        for key, location, shown in partial:
            where = shift(location)
            first = self._seen.get(key)
            if first is None:
                self._seen[key] = _first(where)
            else:
                message = f"exact duplicate of {_where(first, where)}"
                yield self.finding(where, message, excerpt_text=shown)


def _record_excerpt(ctx: RecordContext) -> str:
    conv = ctx.conversation
    if conv is not None:
        for message in conv.messages:
            if message.text.strip():
                return message.text[:_EXCERPT_CHARS]
    return canonical_json(ctx.record)[:_EXCERPT_CHARS]


@register_rule
class DuplicatePrompt(Rule):
    """A prompt was already used by an earlier record.

    **What it does**
    Compares the prompt of every conversation with those of earlier records and
    reports repeats, naming the first record. The prompt is everything the model is
    given before its first reply: the turns before the first assistant reply
    (compared case-insensitively with whitespace collapsed) and the inputs that go
    with them: media (``images``, image parts), documents and ``context``. So the
    same question about two different images is not a repeat. A record that is an
    exact copy of an earlier one is left to `duplicate`. Informational.

    **Why is this bad?**
    Many answers to one prompt over-weight it and, when the answers disagree, teach
    the model to hedge between them; hundreds of copies of "What is up?" make a
    dataset look bigger than it is.

    **Example**
    ```json
    {"prompt": "Who won 59th Super Bowl?", "completion": "The Philadelphia Eagles."}
    ```
    (and later ``{"prompt": "Who won 59th super bowl?", ...}``)

    **Fix**
    Keep one (the best) answer per prompt, or make the prompts genuinely different.
    """

    id = "duplicate-prompt"
    severity = Severity.INFO
    group = "dataset"
    hint = "keep one answer per prompt, or vary the prompts"
    span = "dataset"

    def __init__(self) -> None:
        self._shard: list[tuple[bytes | None, bytes, Location, str | None, str]] = []
        self._seen: dict[bytes, tuple[FirstSeen, str]] = {}  # and the prompt's excerpt
        self._records: set[bytes] = set()

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = ctx.conversation
        prompt = None
        if conv is not None and not is_raw_text(ctx):
            prompt = same_prompt_key(conv)
        if prompt is None:
            self._shard.append((None, ctx.digest, ctx.location, None, ""))
        else:
            key_text, field, shown = prompt
            shown = shown[:_EXCERPT_CHARS]
            self._shard.append((digest(key_text), ctx.digest, ctx.location, field, shown))
        return iter(())

    def partial(self) -> Any:
        shard, self._shard = self._shard, []
        return shard

    def absorb(self, partial: Any, shift: Shift) -> Iterator[Finding]:
        for key, record, location, field, shown in partial:
            if record in self._records:
                continue  # an exact copy: `duplicate` reports it
            self._records.add(record)
            if key is None:
                continue
            where = shift(location)
            seen = self._seen.get(key)
            if seen is None:
                self._seen[key] = (_first(where), shown)
            else:
                first, first_shown = seen
                alike = "" if shown == first_shown else " (up to case and spacing)"
                message = f"same prompt{alike} as {_where(first, where)}"
                yield self.finding(where, message, field=field, excerpt_text=shown)


# Columns that name one record: a repeat means two records claim the same identity.
ID_KEYS = frozenset({"id", "_id", "uid", "idx", "index", "sample_id", "example_id", "record_id"})


@register_rule
class DuplicateId(Rule):
    """Two records carry the same id.

    **What it does**
    Looks at the columns that name a record (``id``, ``uid``, ``idx``, ``index``,
    ``sample_id``, ``example_id``, ``record_id``, ``_id``) and reports each record
    whose value was already used by an earlier record of the dataset, naming the first.
    Records that are exact copies are left to `duplicate`.

    **Why is this bad?**
    An id is how a dataset is joined with its labels, split and de-duplicated: two
    records with one id are an export that repeated or mixed rows, and whatever keys
    on the id (a split by id, a join with scores) silently takes the wrong one.

    **Example**
    ```json
    {"index": "run_003", "prompt": "Go up.", "completion": "Moved up."}
    ```
    (an earlier record of the file has ``"index": "run_003"`` too)

    **Fix**
    Give every record its own id (or drop the column if nothing uses it).
    """

    id = "duplicate-id"
    severity = Severity.WARNING
    group = "dataset"
    hint = "give every record its own id"
    span = "dataset"

    def __init__(self) -> None:
        self._shard: list[tuple[str, bytes, bytes, Location]] = []
        self._seen: dict[tuple[str, bytes], tuple[FirstSeen, bytes]] = {}

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        record = ctx.record
        if isinstance(record, dict):
            for key in ID_KEYS.intersection(record):
                value = record[key]
                if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
                    self._shard.append((key, digest(repr(value)), ctx.digest, ctx.location))
        return iter(())

    def partial(self) -> Any:
        shard, self._shard = self._shard, []
        return shard

    def absorb(self, partial: Any, shift: Shift) -> Iterator[Finding]:
        for key, value, whole, location in partial:
            where = shift(location)
            first = self._seen.get((key, value))
            if first is None:
                self._seen[key, value] = (_first(where), whole)
            elif first[1] != whole:  # an exact copy is `duplicate`'s
                message = f"`{key}` is the same as in {_where(first[0], where)}"
                yield self.finding(where, message, field=key)
