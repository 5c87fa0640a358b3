"""The contract every format adapter fulfils, and the format registry.

A format is a small class with a ``name``, the keys it requires and allows, and
three methods: `matches` scores how well a raw record fits (0..1), `validate`
yields shape findings (``missing-key``, ``unknown-key``, ``wrong-type``) and
`to_conversation` turns the record into the canonical `Conversation` (never
raising: whatever is malformed was reported by `validate`). `from_conversation`
writes one back, raising `LossyConversionError` where the format cannot carry it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from sftprep.errors import LossyConversionError, UsageError
from sftprep.findings import Finding
from sftprep.model import Conversation, Location


class Format:
    """Base adapter. ``required`` lists key groups: a record needs one key of each group."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    required: ClassVar[tuple[tuple[str, ...], ...]] = ()
    optional: ClassVar[frozenset[str]] = frozenset()

    @property
    def known_keys(self) -> frozenset[str]:
        return frozenset(k for group in self.required for k in group) | self.optional

    def matches(self, record: Any) -> float:
        """Score in [0, 1]: share of required groups present, minus a little per unknown key."""
        if not isinstance(record, Mapping) or not self.required:
            return 0.0
        keys = set(record)
        hit = sum(1 for group in self.required if keys & set(group))
        if hit == 0:
            return 0.0
        unknown = len(keys - self.known_keys)
        return hit / len(self.required) - 0.01 * min(unknown, 10)

    def missing_key_field(self, group: tuple[str, ...], record: Mapping[str, Any]) -> str:
        """The field a `missing-key` finding for ``group`` names: its first key, unless the
        record's other keys show which spelling it uses (prompt-completion's ``query``)."""
        return group[0]

    def key_notes(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        """How the sampled records spell this format, for the detection evidence; empty for
        the usual keys, so that only an alias (``query``, input-only alpaca) is mentioned."""
        return []

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        """Shape findings for one record; the default checks top-level keys."""
        from sftprep.formats.schema import check_keys

        yield from check_keys(self, record, location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        raise NotImplementedError

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        raise LossyConversionError(f"writing the {self.name} format is not supported")


FORMATS: dict[str, type[Format]] = {}


def register_format(cls: type[Format]) -> type[Format]:
    """Class decorator adding a format adapter to the registry."""
    if cls.name in FORMATS:
        raise ValueError(f"format {cls.name!r} is already registered")
    FORMATS[cls.name] = cls
    return cls


def get_format(name: str) -> Format:
    _load_builtin_formats()
    if name not in FORMATS:
        raise UsageError(f"unknown format {name!r}; known: {', '.join(sorted(FORMATS))}")
    return FORMATS[name]()


def list_formats() -> list[str]:
    _load_builtin_formats()
    return sorted(FORMATS)


def _load_builtin_formats() -> None:
    import sftprep.formats  # noqa: F401
