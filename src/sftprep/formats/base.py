"""The contract every format adapter fulfils, and the format registry.

A format is a small class with a ``name``, the keys it requires and allows, and
three methods: `matches` scores how well a raw record fits (0..1), `validate`
yields shape findings (``missing-key``, ``wrong-type``) and `to_conversation`
turns the record into the canonical `Conversation` (never raising: whatever is
malformed was reported by `validate`), keeping whatever it does not read in the
conversation's ``metadata``/``extra``/``leftovers`` so that rules can report it.
`from_conversation` writes one back, raising `LossyConversionError` where the
format cannot carry it.

``kind`` says what the data is for: ``sft`` (prompts and answers to train on),
``pretraining`` (raw text), ``preference`` (chosen/rejected or KTO-labelled
answers), ``prompts`` (prompts without answers, for RL) or ``tasks`` (task
definitions with nested instances). Rules about answers only judge ``sft`` data.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any, ClassVar

from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.formats.aliases import MEDIA_KEYS, SYSTEM_KEYS, key_note, system_key, system_text
from sftprep.model import Conversation, Location, Message, PlainTurn
from sftprep.registry import Registry

SFT = "sft"


class Capability(enum.Flag):
    """What a format's records hold: rules and writers ask for a capability instead of
    comparing format names, so a new format says what it is in one place.

    >>> Capability.TURNS in get_format("sharegpt").capabilities
    True
    >>> Capability.TURNS in get_format("alpaca").capabilities
    False
    """

    NONE = 0
    # Whole conversations, roles chosen per message (messages, sharegpt): conversation
    # shape rules apply. Single-turn formats always give user -> assistant.
    TURNS = enum.auto()
    # The system prompt is a turn of the conversation (messages, sharegpt; not Gemini's
    # separate systemInstruction): a conversation without one is noted.
    SYSTEM_TURN = enum.auto()
    # Raw text to continue, no roles or turns (pretraining): turn rules skip it.
    RAW_TEXT = enum.auto()
    # Texts are joined exactly as written: markers in them are the format's convention.
    VERBATIM = enum.auto()
    # Media sit in a record-level column with placeholders (LLaMA-Factory), not in parts.
    MEDIA_COLUMN = enum.auto()


class Format:
    """Base adapter. ``required`` lists key groups: a record needs one key of each group."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    required: ClassVar[tuple[tuple[str, ...], ...]] = ()
    optional: ClassVar[frozenset[str]] = frozenset()
    kind: ClassVar[str] = SFT
    capabilities: ClassVar[Capability] = Capability.NONE
    # Keys read on purpose as not trained (DPO's `rejected`): noted, never a warning.
    untrained: ClassVar[frozenset[str]] = frozenset()
    # The format's own metadata keys (ids, categories): documented as not trained, so not
    # reported (every other key that is not trained is, once per file).
    metadata: ClassVar[frozenset[str]] = frozenset({"id"})
    # A conversation-wide system prompt may sit in a top-level column (`SYSTEM_KEYS`)...
    reads_system: ClassVar[bool] = True
    # ...and is written back there (False: as the first turn, as OpenAI chat has it).
    writes_system_column: ClassVar[bool] = True
    # Role spellings the format itself uses beside the canonical ones (Gemini's `model`):
    # valid as written, so `fix` keeps them.
    native_roles: ClassVar[frozenset[str]] = frozenset()

    @property
    def media_keys(self) -> tuple[str, ...]:
        """The record-level columns holding media (`sftprep.formats.media.media_refs`)."""
        return MEDIA_KEYS

    @cached_property
    def known_keys(self) -> frozenset[str]:
        keys = frozenset(k for group in self.required for k in group) | self.optional
        return keys | frozenset(SYSTEM_KEYS) if self.reads_system else keys

    def system_turns(self, record: Mapping[str, Any], notes: list[str]) -> tuple[Message, ...]:
        """The record's top-level system prompt as a system message (none when absent)."""
        key = system_key(record) if self.reads_system else None
        if key is None:
            return ()
        note = key_note(key, "system", "the system prompt")
        if note is not None:
            notes.append(note)
        return (Message("system", system_text(record[key]), content_field=key),)

    @staticmethod
    def pop_system(
        conversation: Conversation, *, top_level_only: bool = False
    ) -> tuple[dict[str, str], tuple[Message, ...]]:
        """A leading system message as the top-level key it was read from (``system`` when it
        came from a list of turns, unless ``top_level_only``), and the other messages."""
        messages = conversation.messages
        if not messages or messages[0].role != "system":
            return {}, messages
        first = messages[0]
        if first.content_field in SYSTEM_KEYS:
            return {first.content_field: first.text}, messages[1:]
        return ({}, messages) if top_level_only else ({"system": first.text}, messages[1:])

    def plain_turns(self, record: Any) -> list[PlainTurn] | None:
        """The record as text-only turns, when it is nothing more (no tools, parts or
        aliases), so that counting needs no `Conversation`; None otherwise (the default).
        Counting such turns must equal counting `to_conversation` (tests check it)."""
        return None

    def sft_target_error(self, conversation: Conversation) -> str | None:
        """Why this record must not become an SFT target (a KTO undesirable answer), or None."""
        return None

    def matches(self, record: Any) -> float:
        """Score in [0, 1]: share of required groups present, minus a little per unknown key,
        more for one holding text (a reading that leaves text unread is a worse reading)."""
        if not isinstance(record, Mapping) or not self.required:
            return 0.0
        keys = set(record)
        hit = sum(1 for group in self.required if keys & set(group))
        if hit == 0:
            return 0.0
        unknown = [record[k] for k in keys - self.known_keys]
        texts = sum(1 for v in unknown if isinstance(v, str) and len(v.split(None, 3)) > 3)
        penalty = min(0.01 * (len(unknown) - texts) + 0.05 * texts, 0.3)
        return hit / len(self.required) - penalty

    def fits(self, record: Any) -> bool:
        """Whether ``record`` is an object with one key of every required group (see
        `matches` for how well it reads)."""
        if not isinstance(record, Mapping) or not self.required:
            return False
        return all(any(k in record for k in group) for group in self.required)

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
        from sftprep.formats._common import check_text_keys
        from sftprep.formats.schema import check_keys

        yield from check_keys(self, record, location)
        if self.reads_system and isinstance(record, Mapping):
            blocks = [k for k in SYSTEM_KEYS if isinstance(record.get(k), list)]
            plain = [k for k in SYSTEM_KEYS if k not in blocks or system_text(record[k]) is None]
            yield from check_text_keys(record, plain, location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        raise NotImplementedError

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        raise LossyConversionError(f"writing the {self.name} format is not supported")


# Every module of sftprep.formats that defines an adapter registers it: a new format is
# one new module (plugins register theirs the same way; see `sftprep.registry`).
FORMATS: Registry[type[Format]] = Registry("format", builtins=("sftprep.formats",))


def register_format(cls: type[Format]) -> type[Format]:
    """Class decorator adding a format adapter to the registry."""
    return FORMATS.add(cls.name, cls)


def get_format(name: str) -> Format:
    """A fresh adapter of the format called ``name`` (unknown names list the known)."""
    return FORMATS.get(name)()


def list_formats() -> list[str]:
    return sorted(FORMATS.names())


def capabilities_of(name: str) -> Capability:
    """The capabilities of the registered format ``name`` (none for an unknown name)."""
    found = FORMATS.find(name)
    return found.capabilities if found is not None else Capability.NONE
