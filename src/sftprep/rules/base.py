"""What a rule is, and the registry of rules.

A rule is a small class with a stable kebab-case ``id`` naming the problem, a
default ``severity``, a ``hint`` (the fix), and a docstring with the sections
What it does / Why is this bad? / Example / Fix, from which ``sftprep rules`` and
``docs/rules.md`` are generated. A fresh instance is made for every run, so a rule
may keep state across records (``duplicate`` remembers what it has seen).

``scope`` says who emits it: ``"record"`` rules look at each `RecordContext` in
`check`; ``"reader"`` and ``"schema"`` rules are emitted by the readers and the
format adapters and only documented here; ``"token"`` rules run when a tokenizer
is given.

**Rules that need the whole dataset** (duplicates, label skew, keys reported once
per file) see the records of one *shard* at a time, possibly in another process.
Their `check` only collects state and yields nothing; `partial` hands that state
over (picklable), and the merge gives each shard's partial, in file order, to one
instance of the rule per file through `absorb`, with the shard's position in the
file, so that record and line numbers become the file's. `absorb` yields the
findings a shard's records settle (a copy of an earlier record), `finish` those
that need every record (a label never used). The same steps run whether the
shards are read in this process, in worker processes or on a Ray cluster, so
every executor gives the same findings.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from sftprep.errors import UsageError
from sftprep.findings import Finding, Severity
from sftprep.formats.keys import record_digest
from sftprep.model import Conversation, Location, MediaRef

MAX_EXCERPT = 80


def excerpt(text: str | None, limit: int = MAX_EXCERPT) -> str:
    """A one-line excerpt of ``text`` for terminal output."""
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass
class RecordContext:
    """Everything a rule may look at for one record.

    ``kind`` is the format's kind (``sft``, ``preference``, ``prompts``, ...: see
    `sftprep.formats.base.Format`); rules about answers judge only ``sft`` records.
    """

    record: Any
    location: Location
    format: str
    conversation: Conversation | None
    options: Mapping[str, Any] = field(default_factory=dict)
    kind: str = "sft"
    adapter: Any = None  # the format adapter that read the record (its keys, its kind)
    _renderings: dict[int, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def digest(self) -> bytes:
        """`record_digest` of the raw record, computed once for every rule that needs it."""
        return record_digest(self.record)

    @cached_property
    def media(self) -> tuple[tuple[MediaRef, Any], ...]:
        """Every media reference of the record with what probing it found (a
        `sftprep.io.media.MediaInfo`), probed once for every rule and count that needs it;
        ``options["media"]`` (`MediaOptions`) says where relative paths are and how deep."""
        conv = self.conversation
        if conv is None or not (conv.metadata or any(m.extra for m in conv.messages)):
            return ()  # media live in metadata columns or message parts: none here
        # formats import this module: import them when a record is first asked
        from sftprep.formats.aliases import MEDIA_KEYS
        from sftprep.formats.media import media_refs
        from sftprep.io.media import MediaOptions, probe

        refs = media_refs(conv, getattr(self.adapter, "media_keys", MEDIA_KEYS))
        if not refs:
            return ()
        options = self.options.get("media") or MediaOptions()
        return tuple((ref, probe(ref, self.location.path, options)) for ref in refs)

    def rendering(self, tokenizer: Any) -> Any:
        """The conversation rendered by ``tokenizer`` (a `Rendering`, or the `RenderError`
        raised), computed once per record for every rule and count that needs it."""
        found = self._renderings.get(id(tokenizer))
        if found is None:
            from sftprep.tokens.base import tokenizer_failure

            assert self.conversation is not None
            try:
                found = tokenizer.render_turns(self.conversation)
            except BaseException as exc:  # a Rust panic is a BaseException
                failure = tokenizer_failure(exc)
                if failure is None:
                    raise
                found = failure
            self._renderings[id(tokenizer)] = found
        return found


@dataclass(frozen=True, slots=True)
class Shift:
    """Where a shard starts in its file: records and lines before it."""

    records: int = 0
    lines: int = 0

    def __call__(self, location: Location) -> Location:
        return location.shift(self.records, self.lines)


class Rule:
    """Base class; subclasses set the class attributes and override `check`."""

    id: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.ERROR
    hint: ClassVar[str] = ""
    scope: ClassVar[str] = "record"
    group: ClassVar[str] = "content"
    # What the state of `absorb`/`finish` covers: each ``file``, or the whole ``dataset``
    # (every file checked together: a copy in another shard file is a duplicate too).
    span: ClassVar[str] = "file"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        """Yield findings for one record; schema/reader rules yield nothing here."""
        return iter(())

    def partial(self) -> Any:
        """The state `check` collected over one shard, for `absorb` (None: stateless)."""
        return None

    def absorb(self, partial: Any, shift: Shift) -> Iterator[Finding]:
        """Take the `partial` of the file's next shard; yield the findings it settles."""
        return iter(())

    def finish(self) -> Iterator[Finding]:
        """Yield findings that need the whole dataset (called once at the end)."""
        return iter(())

    def finding(
        self,
        ctx: RecordContext | Location,
        message: str,
        *,
        field: str | None = None,
        excerpt_text: str | None = None,
        severity: Severity | None = None,
        hint: str | None = None,
    ) -> Finding:
        location = ctx.location if isinstance(ctx, RecordContext) else ctx
        return make_finding(
            self.id,
            message,
            location,
            field=field,
            excerpt_text=excerpt_text,
            severity=severity or self.severity,
            hint=self.hint if hint is None else hint,
        )

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary_line(cls) -> str:
        return cls.doc().splitlines()[0] if cls.__doc__ else ""


def run_rules(rules: Sequence[Rule], contexts: Iterable[RecordContext]) -> list[Finding]:
    """Every finding of ``rules`` over ``contexts`` read as one shard, in the order the
    engine gives them: per record, then what the shard settles, then the dataset's.

    >>> run_rules([get_rule("duplicate")()], [])
    []
    """
    found = [f for ctx in contexts for rule in rules for f in rule.check(ctx)]
    for rule in rules:
        found.extend(rule.absorb(rule.partial(), Shift()))
    for rule in rules:
        found.extend(rule.finish())
    return found


def make_finding(
    rule_id: str,
    message: str,
    location: Location,
    *,
    field: str | None = None,
    excerpt_text: str | None = None,
    severity: Severity | None = None,
    hint: str | None = None,
) -> Finding:
    """Build a finding for a registered rule, taking severity and hint from it by default.
    An unknown id is a bug (a typo would be filtered out silently): it raises."""
    _load_builtin_rules()
    rule = RULES.get(rule_id)
    if rule is None:
        raise KeyError(f"make_finding: no rule is registered as {rule_id!r}")
    return Finding(
        rule=rule_id,
        severity=severity or rule.severity,
        message=message,
        location=location,
        field=field,
        hint=rule.hint if hint is None else hint,
        excerpt=excerpt(excerpt_text),
    )


RULES: dict[str, type[Rule]] = {}


def register_rule(cls: type[Rule]) -> type[Rule]:
    """Class decorator adding a rule to the registry; ids are unique kebab-case."""
    if not cls.id or cls.id != cls.id.lower() or " " in cls.id:
        raise ValueError(f"rule id must be kebab-case: {cls.id!r}")
    if cls.id in RULES:
        raise ValueError(f"rule {cls.id!r} is already registered")
    RULES[cls.id] = cls
    return cls


def get_rule(rule_id: str) -> type[Rule]:
    _load_builtin_rules()
    if rule_id not in RULES:
        raise UsageError(f"unknown rule {rule_id!r}; known: {', '.join(sorted(RULES))}")
    return RULES[rule_id]


def list_rules() -> list[type[Rule]]:
    """All registered rules, sorted by id."""
    _load_builtin_rules()
    return [RULES[k] for k in sorted(RULES)]


def select_rules(select: list[str] | None, ignore: list[str] | None) -> set[str]:
    """Rule ids enabled by ``--select``/``--ignore`` (unknown ids are a usage error)."""
    _load_builtin_rules()
    for rule_id in [*(select or []), *(ignore or [])]:
        get_rule(rule_id)
    chosen = set(select) if select else set(RULES)
    return chosen - set(ignore or [])


def _load_builtin_rules() -> None:
    # Importing the package registers every built-in rule module.
    import sftprep.rules  # noqa: F401
