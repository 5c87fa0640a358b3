"""What a target profile is: the shape a training platform reads and the rules it enforces.

A `Target` names a platform (``openai``, ``mistral``...), the formats it accepts,
the ``shape`` `sftprep convert --target` writes, the top-level keys it allows, and
`check`, which yields findings with rule id ``target-<name>``, severity error and a
message stating the platform's own reason (quoted from its docs or loader). The
checks look at the canonical `Conversation`, so they also say, for a record in
another format, whether converting it would be accepted.

>>> from sftprep.targets import get_target
>>> get_target("mistral").shape
'messages'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from sftprep.catalog import excerpt
from sftprep.errors import UsageError
from sftprep.findings import Finding, Severity
from sftprep.model import Conversation, Location
from sftprep.registry import Registry
from sftprep.rules.base import RecordContext, Rule, Shift


class Target:
    """Base profile; subclasses set the class attributes and override the ``check_*`` hooks."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    shape: ClassVar[str] = "messages"
    accepts: ClassVar[tuple[str, ...]] = ("messages",)
    # Top-level keys a record may carry on this platform; None: anything goes.
    allowed_keys: ClassVar[frozenset[str] | None] = None
    sources: ClassVar[tuple[str, ...]] = ()
    hint: ClassVar[str] = ""
    # File types the platform loads; CSV cannot hold a list of messages.
    extensions: ClassVar[tuple[str, ...]] = (".jsonl", ".json", ".parquet")
    # The fewest training examples a file may hold (0: no minimum).
    min_examples: ClassVar[int] = 0

    @property
    def rule_id(self) -> str:
        return f"target-{self.name}"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        """Findings for one record: its format, raw keys (when in an accepted format), content."""
        if ctx.format not in self.accepts:
            yield self.finding(
                ctx.location,
                f"{self.title} reads {_or(self.accepts)} records, not {ctx.format or 'this'}; "
                f"`sftprep convert --target {self.name}` writes {self.shape}",
            )
        elif isinstance(ctx.record, Mapping):
            yield from self.check_record(ctx.record, ctx.format, ctx.location)
        if ctx.conversation is not None:
            yield from self.check_conversation(ctx.conversation, ctx.location)

    def check_record(
        self, record: Mapping[str, Any], format: str, location: Location
    ) -> Iterator[Finding]:
        """Raw-shape rules (keys, value types) for a record already in an accepted format."""
        if self.allowed_keys is not None:
            for key in record:
                if key not in self.allowed_keys:
                    yield self.finding(
                        location,
                        f"{self.title} does not accept the top-level key `{key}` "
                        f"(allowed: {', '.join(sorted(self.allowed_keys))})",
                        field=str(key),
                    )

    def check_conversation(
        self, conversation: Conversation, location: Location
    ) -> Iterator[Finding]:
        """Content rules on the canonical conversation (roles, order, weights, tools...)."""
        return iter(())

    def fresh(self) -> Target:
        """A new instance for one conversion (profiles may keep state, like a system prompt)."""
        return type(self)()

    def adapt(self, conversation: Conversation) -> Conversation:
        """Move what the platform carries elsewhere (a shared system prompt into a config)
        out of the conversation before it is written; raise `LossyConversionError` when the
        platform has no place for it. The default changes nothing."""
        return conversation

    def prepare(self, record: dict[str, Any], conversation: Conversation) -> list[str]:
        """Remove, in place, the metadata keys the platform rejects; returns the removed keys.

        Only keys the format adapter kept as metadata are removed (ids, categories);
        content-bearing keys stay so that `check` can reject what the platform cannot carry.
        """
        if self.allowed_keys is None:
            return []
        removed = [k for k in conversation.metadata if k in record and k not in self.allowed_keys]
        for key in removed:
            del record[key]
        return removed

    def claims(self, conversation: Conversation) -> dict[str, Any]:
        """What this record asks of the whole output (aiDAPTIV+'s one system prompt per
        YAML). Computed where the record is converted; `accept` checks it in file order."""
        return {}

    def accept(self, record: Mapping[str, Any], claims: Mapping[str, Any]) -> None:
        """Called in file order for each record about to be written: note what a companion
        file needs, or raise `LossyConversionError` when ``claims`` conflict with earlier
        records' (the record is then rejected)."""

    def output_extensions(self, format: str) -> tuple[str, ...]:
        """File types ``convert --target`` may write for records in ``format``."""
        return self.extensions

    def check_output(self, out_path: Path, format: str) -> None:
        """Refuse an output file type the platform cannot load (`UsageError`, one line)."""
        allowed = self.output_extensions(format)
        suffix = out_path.suffix.lower()
        if suffix not in allowed:
            raise UsageError(
                f"{self.title} loads {', '.join(allowed)} files, not "
                f"{suffix or 'a file without extension'}; write -o "
                f"{out_path.with_suffix(allowed[0])}"
            )

    def companion_paths(self, out_path: Path) -> tuple[Path, ...]:
        """The paths `companion_files` will write for ``out_path`` (checked up front)."""
        return ()

    def companion_files(self, out_path: Path, format: str, records: int) -> dict[Path, str]:
        """Extra files a platform needs beside the data (dataset YAML, dataset_info.json)."""
        return {}

    def finding(
        self,
        location: Location,
        message: str,
        *,
        field: str | None = None,
        text: str | None = None,
        hint: str | None = None,
    ) -> Finding:
        return Finding(
            rule=self.rule_id,
            severity=Severity.ERROR,
            message=message,
            location=location,
            field=field,
            hint=hint or self.hint,
            excerpt=excerpt(text),
        )

    def rule(self) -> Rule:
        """This profile as a record `Rule`, so `check` can run it beside the built-in rules."""
        # The rule id is per profile, and `Rule.id` is a class attribute: one subclass each.
        cls = type(f"TargetRule[{self.name}]", (_TargetRule,), {"id": self.rule_id})
        return cls(self)


class _TargetRule(Rule):
    """A profile's checks per record, and its minimum number of examples per file."""

    scope = "record"
    group = "target"

    def __init__(self, target: Target) -> None:
        self.target = target
        self._records = 0
        self._file = ""

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        self._records += 1
        self._file = self._file or ctx.location.path
        return self.target.check(ctx)

    def partial(self) -> Any:
        state, (self._records, self._file) = (self._records, self._file), (0, "")
        return state

    def absorb(self, partial: Any, shift: Shift) -> Iterator[Finding]:
        records, file = partial
        self._records += records
        self._file = self._file or file
        return iter(())

    def finish(self) -> Iterator[Finding]:
        least = self.target.min_examples
        if 0 < self._records < least:
            yield self.target.finding(
                Location(self._file),
                f"{self.target.title} needs at least {least} training examples; this file "
                f"has {self._records}",
                hint="add examples (or fine-tune elsewhere)",
            )


def _or(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def first_index(roles: tuple[str, ...], skip: str = "system") -> int:
    """Index of the first message whose role is not ``skip`` (len(roles) when none)."""
    return next((i for i, role in enumerate(roles) if role != skip), len(roles))


# Every module of sftprep.targets that defines a profile registers it: a new target is
# one new module (or a plugin's).
TARGETS: Registry[Target] = Registry("target", builtins=("sftprep.targets",))


def register_target(cls: type[Target]) -> type[Target]:
    """Class decorator adding a target profile (built on first use) to the registry."""
    TARGETS.register(cls.name, cls)
    return cls


def get_target(name: str) -> Target:
    """The profile called ``name``; an unknown name's error lists the known ones."""
    return TARGETS.get(name)


def list_targets() -> list[str]:
    """The names of every target profile, sorted."""
    return sorted(TARGETS.names())
