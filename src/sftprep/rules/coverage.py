"""Coverage rules: nothing a record holds is dropped without a word.

The format adapter reads some of a record into the conversation that is counted and
trained; the conversation keeps everything else (``metadata``, a message's
``extra``, ``leftovers``). These rules look at that remainder, key by key, and
report each key *once per file* with how many records hold it and what it holds:

- `unknown-key`: a key the format does not know. A warning when it holds text that
  is not trained (prose not found in the trained text) or looks like a misspelt key;
  an info note when it is metadata, a copy of trained text, media or not text.
- `untrained-fields`: the format's own keys that are not trained (``id``, Dolly's
  ``category``, RAFT's ``question`` inside ``instruction``), in one note per file.
- `mapped-names`: names read through the alias table (``role 'Chatbot' as
  assistant``, a top-level ``system_prompt`` as the system prompt), once per file.

State is per key (counts, the first location, one example), merged over shards.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sftprep.findings import Finding, Severity
from sftprep.formats.aliases import MEDIA_KEYS
from sftprep.formats.base import Capability, capabilities_of
from sftprep.formats.media import is_media_part, media_columns
from sftprep.model import Conversation, Location
from sftprep.rules.base import RecordContext, Rule, Shift, register_rule

_INDEX = re.compile(r"\[\d+\]")
_PROSE_WORDS = 4  # a string of this many words (or `_PROSE_CHARS`) is text, not a label
_PROSE_CHARS = 60
_MAX_STRINGS = 1000  # strings looked at per key and record
_MISSPELT = 0.85  # difflib ratio from which a key is taken for a misspelling of a known one
# One run of printable ASCII: an id, a hash, a URL or a path, never prose (Chinese prose
# has no spaces either, but is not ASCII).
_ONE_WORD = re.compile(r"[\x21-\x7e]+")


def key_shape(path: str) -> str:
    """``messages[3].metainfo`` -> ``messages[*].metainfo``: one name for every record.

    >>> key_shape("conversations[12].content[1]")
    'conversations[*].content[*]'
    """
    return _INDEX.sub("[*]", path)


@dataclass
class KeyTally:
    """What one key holds across the records of a file (or shard)."""

    first: Location
    records: int = 0
    texts: int = 0  # records where it holds text (a string with a letter or digit)
    prose: int = 0  # records where that text reads like prose (not an id or a label)
    lost: int = 0  # records where some prose is not found in the trained text
    longest: int = 0
    rendered: int = 0  # records where it holds a prompt template rendered into text
    example: str = ""
    kinds: str = ""  # the JSON kinds seen, for the message ("string", "object"...)
    on_purpose: bool = False  # the format leaves it out on purpose (DPO's `rejected`)
    beside: int = 0  # records that also hold the known key this one's name is close to

    def either(self, other: KeyTally) -> None:
        """Fold in another place of the same record (``messages[3].x`` beside
        ``messages[1].x``): the record holds text if either does."""
        self.texts = max(self.texts, other.texts)
        self.prose = max(self.prose, other.prose)
        self.rendered = max(self.rendered, other.rendered)
        if other.lost and not self.lost:
            self.example = other.example
        self.lost = max(self.lost, other.lost)
        self.longest = max(self.longest, other.longest)
        self.example = self.example or other.example
        self._kinds(other.kinds)

    def add(self, other: KeyTally) -> None:
        self.records += other.records
        self.beside += other.beside
        self.texts += other.texts
        self.prose += other.prose
        self.lost += other.lost
        self.rendered += other.rendered
        self.longest = max(self.longest, other.longest)
        self.example = self.example or other.example
        self._kinds(other.kinds)

    def _kinds(self, kinds: str) -> None:
        if kinds not in self.kinds.split(", "):
            self.kinds = ", ".join(k for k in (self.kinds, kinds) if k)


def _strings(value: Any, limit: int = _MAX_STRINGS) -> list[str]:
    """The strings inside ``value`` (itself, or nested in lists and objects), up to ``limit``."""
    out: list[str] = []
    stack = [value]
    while stack and len(out) < limit:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return out


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        kind = value.get("type")
        return f"{kind} part" if isinstance(kind, str) else "object"
    if isinstance(value, list):
        return "array"
    return "boolean" if isinstance(value, bool) else "number" if value is not None else "null"


def trained_text(conv: Conversation) -> str:
    """Every text of the conversation that is rendered for training, joined."""
    parts: list[str] = []
    for message in conv.messages:
        parts.extend(p for p in (message.content, message.reasoning, message.name) if p)
        for call in message.tool_calls:
            parts.extend((call.name, call.arguments))
    if conv.tools:
        parts.append(json.dumps(list(conv.tools), ensure_ascii=False))
    return "\n".join(parts)


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SENTENCE_END = (".", "!", "?", "。", "！", "？")


def is_prose(text: str) -> bool:
    """Whether ``text`` (stripped) reads like prose rather than a label or an id: four
    words, a sentence of two or more ("Answer in French."), 60 characters that are not
    one ASCII run (a hash, a URL), or a few CJK characters (no spaces between words).

    >>> [is_prose(t) for t in ("open_qa", "Answer in French.", "这句话很简单，主语是天气。")]
    [False, True, True]
    """
    words = len(text.split())
    if words >= _PROSE_WORDS or (words >= 2 and text.endswith(_SENTENCE_END)):
        return True
    if len(text) >= _PROSE_CHARS and not _ONE_WORD.fullmatch(text):
        return True
    return len(_CJK.findall(text[:200])) >= 6


def tally(value: Any, location: Location, haystack: list[str], conv: Conversation) -> KeyTally:
    """One record's `KeyTally` for one key; ``haystack`` caches `trained_text` lazily."""
    found = KeyTally(location, records=1, kinds=_kind(value))
    for text in _strings(value):
        stripped = text.strip()
        if not any(ch.isalnum() for ch in stripped[:200]) and not stripped[200:]:
            continue
        found.texts = 1
        found.longest = max(found.longest, len(text))
        if not is_prose(stripped):
            found.example = found.example or stripped
            continue
        found.prose = 1
        if not found.rendered and rendered_template(stripped):
            found.rendered = 1
        if not haystack:
            haystack.append(trained_text(conv))
        if stripped not in haystack[0]:
            if not found.lost:
                found.example = stripped
            found.lost = 1
    return found


class _KeyRule(Rule):
    """Collects a `KeyTally` per key shape of the keys `select` picks, merged per file."""

    def __init__(self) -> None:
        self._tallies: dict[str, KeyTally] = {}
        self._known: frozenset[str] = frozenset()
        self._documented: frozenset[str] = frozenset()
        self._media_keys: tuple[str, ...] = MEDIA_KEYS
        self._format = ""

    def select(self, conv: Conversation, known: frozenset[str]) -> Iterator[tuple[str, Any]]:
        """The ``(path, value)`` pairs of the record this rule reports on."""
        raise NotImplementedError

    def note(self, found: KeyTally, path: str, record: Any) -> None:
        """Add what the rule wants to know of the record itself (nothing by default)."""

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = ctx.conversation
        if conv is None:
            return iter(())
        known: frozenset[str] = getattr(ctx.adapter, "known_keys", frozenset())
        self._known, self._format = known, ctx.format
        self._documented = getattr(ctx.adapter, "metadata", frozenset())
        self._media_keys = getattr(ctx.adapter, "media_keys", MEDIA_KEYS)
        haystack: list[str] = []
        on_purpose: frozenset[str] = getattr(ctx.adapter, "untrained", frozenset())
        record: dict[str, KeyTally] = {}  # one tally per shape: a record counts once
        for path, value in self.select(conv, known):
            if value is None or value == "":
                continue  # nothing there to lose
            found = tally(value, ctx.location, haystack, conv)
            found.on_purpose = path in on_purpose
            self.note(found, path, ctx.record)
            shape = key_shape(path)
            if shape in record:
                record[shape].either(found)
            else:
                record[shape] = found
        for shape, found in record.items():
            current = self._tallies.get(shape)
            if current is None:
                self._tallies[shape] = found
            else:
                current.add(found)
        return iter(())

    def partial(self) -> Any:
        tallies, self._tallies = self._tallies, {}
        return tallies, self._known, self._format

    def absorb(self, partial: Any, shift: Shift) -> Iterator[Finding]:
        tallies, known, name = partial
        self._known, self._format = self._known or known, self._format or name
        for shape, found in tallies.items():
            current = self._tallies.get(shape)
            if current is None:
                found.first = shift(found.first)
                self._tallies[shape] = found
            else:
                current.add(found)
        return iter(())


def rendered_template(text: str) -> bool:
    """Whether ``text`` holds a prompt template rendered with its fields (two markers)."""
    from sftprep.rules.content import _SCAFFOLD

    return len({m.group(0).strip() for m in _SCAFFOLD.finditer(text[:20_000])}) >= 2


def _records(n: int) -> str:
    return f"{n:,} record{'' if n == 1 else 's'}"


@register_rule
class UnknownKey(_KeyRule):
    """A key the format does not read holds text that is not trained, or looks misspelt.

    **What it does**
    Looks at every key of a record that the format does not know (a top-level column,
    a key inside a message such as ``metainfo``, a content part that is not text) and
    reports each one **once per file**, with the number of records holding it: a
    warning when it holds text that is not trained (prose that appears nowhere in
    the trained conversation) or when its name is close to one of the format's keys
    (``Output`` for ``output``); a note (info) when it is metadata (ids, labels,
    sources, numbers), a copy of trained text (a ``response`` equal to ``output``)
    or media.

    **Why is this bad?**
    Text in a column the trainer does not read is silently left out: a system prompt
    in an unexpected column, a misspelt answer key, a second answer. The model never
    sees it, while the dataset looks complete.

    **Example**
    ```json
    {"prompt": "Summarise the ticket.", "response": "Refund issued.",
     "system_instructions": "You are a support agent for ACME. Be brief."}
    ```

    **Fix**
    Map the column to its place in the conversation (``--map system=system_instructions``),
    rename a misspelt key, pass ``--format`` when the file is in another format, or drop
    the key when it is only metadata.
    """

    id = "unknown-key"
    severity = Severity.WARNING
    group = "structure"
    hint = "read it as a key of the format (--map NAME=KEY), rename a misspelt key, or drop it"

    def select(self, conv: Conversation, known: frozenset[str]) -> Iterator[tuple[str, Any]]:
        # media (an `images` column, image parts) are read: the media rules check them
        media = media_columns(conv, self._media_keys)
        yield from ((k, v) for k, v in conv.metadata.items() if k not in known and k not in media)
        for message in conv.messages:
            for key, value in message.extra.items():
                if not is_media_part(key, value):
                    yield f"{message.field or message.content_field}.{key}", value

    def note(self, found: KeyTally, path: str, record: Any) -> None:
        close = _close_key(path, self._known) if _top_level(path) else []
        found.beside = int(
            bool(close) and isinstance(record, Mapping) and _has(record, close[0], path)
        )

    def finish(self) -> Iterator[Finding]:
        for shape, found in self._tallies.items():
            yield self._finding(shape, found)

    def _finding(self, shape: str, found: KeyTally) -> Finding:
        where = f"`{shape}` ({_records(found.records)})"
        # a key beside the one it resembles is another key (`instructions` beside
        # `instruction`): renaming it would overwrite text
        close = _close_key(shape, self._known) if _top_level(shape) and not found.beside else []
        if close:
            return self.finding(
                found.first,
                f"{where} is not read: a misspelling of `{close[0]}`?",
                field=shape,
                excerpt_text=found.example,
                hint=f"rename `{shape}` to `{close[0]}`",
            )
        if found.rendered:
            return self.finding(
                found.first,
                f"{where} holds a prompt template rendered into text in "
                f"{_records(found.rendered)} (a trainer reading `{shape}` trains on the prompt "
                f"too); sftprep reads the {self._format} format's own keys",
                field=shape,
                excerpt_text=found.example,
                hint="train on the fields (drop the rendered column), or on the rendered text "
                "alone (--format text) if that is the intent",
            )
        if found.lost:
            return self.finding(
                found.first,
                f"{where} holds text that is not trained in {_records(found.lost)} "
                f"(up to {found.longest:,} characters; not part of the {self._format} format)",
                field=shape,
                excerpt_text=found.example,
                hint=map_hint(shape, self._format),
            )
        return self.finding(
            found.first,
            f"{where} is not trained: {_what(found)}",
            field=shape,
            excerpt_text=found.example,
            severity=Severity.INFO,
            hint="nothing to do for metadata; --map NAME=KEY reads a key to train as NAME",
        )


def _has(record: Mapping[str, Any], key: str, unknown: str) -> bool:
    """``record`` holds ``key``, or its singular or plural (`conversation` read as
    `conversations`): then ``unknown``, resembling it, is another key
    (`conversation_hash`)."""
    stem = key.casefold().rstrip("s")
    return any(
        k == key or (k != unknown and isinstance(k, str) and k.casefold().rstrip("s") == stem)
        for k in record
    )


def _top_level(path: str) -> bool:
    return "." not in path and "[" not in path


@functools.lru_cache(maxsize=4096)
def _close_key(key: str, known: frozenset[str]) -> list[str]:
    """The known key ``key`` may be a misspelling of: the same but for case, or close by
    `difflib` (a plural or singular of it is another key: `outputs`, `answers`)."""
    lowered = {k.casefold(): k for k in known}
    if key.casefold() in lowered:
        return [lowered[key.casefold()]]
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=_MISSPELT)
    if close and key.casefold().rstrip("s") == close[0].casefold().rstrip("s"):
        return []
    return close


# What a column holds, guessed from its name, and the name each format reads it under.
_ROLE_WORDS = {  # tried in this order: `instructions` is a system prompt, not a question
    "system": ("system", "persona", "preamble", "instructions", "role_play", "roleplay"),
    "assistant": ("answer", "output", "response", "target", "completion", "reply", "solution"),
    "user": ("question", "prompt", "input", "query", "instruction", "problem", "request"),
}
_FORMAT_NAMES = {
    "alpaca": {"assistant": "output", "user": "input"},
    "dolly": {"assistant": "response", "user": "context"},
    "qa": {"assistant": "cot_answer", "user": "question"},
    "prompt-completion": {"assistant": "completion", "user": "prompt"},
}


def map_hint(key: str, format: str) -> str:
    """How to train an unread column: a `--map` for a top-level key the format could
    read under another name, else what else to do."""
    if not _top_level(key):
        return "move the text into the conversation, or drop it if it is not to be trained"
    low = key.casefold()
    role = next((r for r, words in _ROLE_WORDS.items() if any(w in low for w in words)), None)
    if role == "system":
        return f"read it as the system prompt (--map system={key}), or drop it"
    if Capability.TURNS in capabilities_of(format) or role is None:
        return (
            f"read it under a name the format trains (--map NAME={key}), move it into the "
            "conversation, or drop it"
        )
    name = _FORMAT_NAMES.get(format, {}).get(role, role)
    return f"read it as {name} (--map {name}={key}) if it is the {role}'s text, or drop it"


def _what(found: KeyTally) -> str:
    """What a key that loses no text holds, in words."""
    if "part" in found.kinds:
        return f"{found.kinds} (media and other parts are not counted)"
    if found.prose:
        return "a copy of text that is trained"
    if found.texts:
        return "metadata (short labels or ids)"
    return f"not text ({found.kinds})"


@register_rule
class UntrainedFields(_KeyRule):
    """The format's own keys that are not trained on their own, listed once per file.

    **What it does**
    Lists, in one note per file, the keys the format knows but does not put in the
    trained conversation: RAFT's ``question``, ``context`` and ``oracle_context``
    (already inside its ``instruction``), the instances of a task beyond its first,
    DPO's rejected answers, the reward spec of RL data, with the number of records
    holding each. The format's documented metadata (``id``, Dolly's ``category``) is
    not listed. It is a warning when one of them holds text that appears nowhere in
    the trained conversation (RAFT's ``answer`` differing from its ``cot_answer``).

    **Why is this bad?**
    Usually it is not: these keys are metadata. The note makes the reading visible, so
    that a file in which a real text column is only metadata to the format does not
    pass unnoticed.

    **Example**
    ```json
    {"instruction": "Name a prime.", "context": "", "response": "7", "category": "open_qa"}
    ```

    **Fix**
    Nothing, when the keys are metadata. When one holds text to train on, map it into
    the conversation (``--map``) or convert the file to a format that reads it.
    """

    id = "untrained-fields"
    severity = Severity.INFO
    group = "structure"
    hint = "nothing to do for metadata; --map NAME=KEY reads a key that should be trained as NAME"

    def select(self, conv: Conversation, known: frozenset[str]) -> Iterator[tuple[str, Any]]:
        skip = self._documented | media_columns(conv, self._media_keys)  # media are read
        yield from ((k, v) for k, v in conv.metadata.items() if k in known and k not in skip)
        yield from conv.leftovers.items()

    def finish(self) -> Iterator[Finding]:
        if not self._tallies:
            return
        first = min((t.first for t in self._tallies.values()), key=_order)
        parts = []
        lost = False
        for shape, found in self._tallies.items():
            if found.on_purpose:
                what = "not an SFT target: see not-sft-data"
            elif found.lost:
                lost = True
                what = f"text not trained in {_records(found.lost)}"
            else:
                what = _what(found)
            parts.append(f"`{shape}` ({_records(found.records)}, {what})")
        yield self.finding(
            first,
            f"not trained ({self._format} format's own keys): " + "; ".join(parts),
            severity=Severity.WARNING if lost else None,
        )


def _order(location: Location) -> tuple[int, int]:
    return (location.record or 0, location.line or 0)


@register_rule
class MappedNames(Rule):
    """Names were read through the alias table (roles, system prompt and answer columns).

    **What it does**
    Notes, once per file, every name sftprep understood through its alias table
    rather than as the format's own: roles such as Cohere's ``User``/``Chatbot``,
    Gemini's ``model`` or Llama's ``ipython`` (read as user, assistant, tool), a
    top-level ``system_prompt`` read as the system prompt, ``response`` read as
    Alpaca's ``output``; with the number of records each.

    **Why is this bad?**
    It is not, for sftprep: the text is read and counted. But the trainer you use may
    not know the alias: a chat template given ``Chatbot`` may raise or drop the
    message, so the note says what was assumed.

    **Example**
    ```json
    {"messages": [{"role": "User", "content": "Hi"}, {"role": "Chatbot", "content": "Hello!"}]}
    ```

    **Fix**
    ``sftprep fix`` writes the canonical role names; nothing to do when your trainer
    reads these names itself.
    """

    id = "mapped-names"
    severity = Severity.INFO
    group = "structure"
    hint = "nothing to do if your trainer reads these names too"

    def __init__(self) -> None:
        self._notes: dict[str, tuple[int, Location]] = {}

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = ctx.conversation
        if conv is not None and conv.notes:
            for note in dict.fromkeys(conv.notes):
                count, first = self._notes.get(note, (0, ctx.location))
                self._notes[note] = (count + 1, first)
        return iter(())

    def partial(self) -> Any:
        notes, self._notes = self._notes, {}
        return notes

    def absorb(self, partial: Any, shift: Shift) -> Iterator[Finding]:
        for note, (count, first) in partial.items():
            known = self._notes.get(note)
            self._notes[note] = (
                (count, shift(first)) if known is None else (known[0] + count, known[1])
            )
        return iter(())

    def finish(self) -> Iterator[Finding]:
        if not self._notes:
            return
        first = min((loc for _, loc in self._notes.values()), key=_order)
        listed = ", ".join(f"{note} ({_records(n)})" for note, (n, _) in self._notes.items())
        roles = any(note.startswith("role ") for note in self._notes)
        keys = any(not note.startswith("role ") for note in self._notes)
        fixes = [
            "`sftprep fix` writes the canonical role names" * roles,
            "`sftprep convert --to messages` writes a standard shape" * keys,
        ]
        hint = "; ".join(f for f in fixes if f) + ": nothing to do if your trainer reads these"
        yield self.finding(first, f"names read through the alias table: {listed}", hint=hint)
