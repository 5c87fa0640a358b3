"""The rule catalogue: every rule id a finding can carry, its severity, hint and docs.

It sits below io/ and formats/ so that readers and format adapters name their findings
(`make_finding`) without importing rule code: the ids they emit are documented in
`sftprep.catalog.structure`; the rules that look at records live in `sftprep.rules`, and
the registry imports them the first time it is asked for an id it does not hold, or for
every id (``sftprep rules``, ``--select``).

A rule is a small class with a stable kebab-case ``id`` naming the problem, a default
``severity``, a ``hint`` (the fix), and a docstring with the sections What it does / Why
is this bad? / Example / Fix, from which ``sftprep rules`` and ``docs/rules.md`` are
generated. See `sftprep.rules.base` for how record and dataset rules run.

>>> get_rule("json-syntax").severity
<Severity.ERROR: 'error'>
>>> make_finding("json-syntax", "Expecting value", Location("a.jsonl", 3, 2)).location.line
3
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from sftprep.findings import Finding, Severity
from sftprep.model import Location
from sftprep.registry import Registry

if TYPE_CHECKING:
    from sftprep.rules.base import RecordContext

MAX_EXCERPT = 80


def excerpt(text: str | None, limit: int = MAX_EXCERPT) -> str:
    """A one-line excerpt of ``text`` for terminal output."""
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


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
        location = ctx if isinstance(ctx, Location) else ctx.location
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
    rule = RULES.find(rule_id)
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


# Built-ins: the documented reader/schema ids here, the record rules in sftprep.rules.
RULES: Registry[type[Rule]] = Registry("rule", builtins=("sftprep.catalog", "sftprep.rules"))


def register_rule(cls: type[Rule]) -> type[Rule]:
    """Class decorator adding a rule to the catalogue; ids are unique kebab-case."""
    if not cls.id or cls.id != cls.id.lower() or " " in cls.id:
        raise ValueError(f"rule id must be kebab-case: {cls.id!r}")
    return RULES.add(cls.id, cls)


def get_rule(rule_id: str) -> type[Rule]:
    """The rule called ``rule_id``; an unknown id is a usage error listing the known."""
    return RULES.get(rule_id)


def list_rules() -> list[type[Rule]]:
    """All registered rules, sorted by id."""
    return [RULES.get(name) for name in sorted(RULES.names())]


def select_rules(select: list[str] | None, ignore: list[str] | None) -> set[str]:
    """Rule ids enabled by ``--select``/``--ignore`` (unknown ids are a usage error)."""
    for rule_id in [*(select or []), *(ignore or [])]:
        get_rule(rule_id)
    chosen = set(select) if select else set(RULES.names())
    return chosen - set(ignore or [])
