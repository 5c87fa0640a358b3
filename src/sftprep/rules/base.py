"""How rules run: the context a rule sees for one record, and rules over a shard.

What a rule *is* (`Rule`: id, severity, hint, docs) and the registry of rules live in
`sftprep.catalog`, below io/ and formats/ so that they can name findings; the three
names a rule module needs (`Rule`, `Shift`, `register_rule`) are re-exported here. A fresh
instance of every rule is made for each run, so a rule may keep state across records
(``duplicate`` remembers what it has seen).

``scope`` says who emits it: ``"record"`` rules look at each `RecordContext` in
`check`; ``"reader"`` and ``"schema"`` rules are emitted by the readers and the
format adapters and only documented (`sftprep.catalog.structure`); ``"token"`` rules
run when a tokenizer is given.

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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sftprep.catalog.base import Rule, Shift, register_rule
from sftprep.findings import Finding
from sftprep.formats.base import Capability, capabilities_of
from sftprep.formats.keys import record_digest
from sftprep.model import Conversation, Location, MediaRef

__all__ = ["RecordContext", "Rule", "Shift", "register_rule", "run_rules"]


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
    def capabilities(self) -> Capability:
        """What the record's format holds: its adapter's `Capability`, else that of the
        format registered under ``format``."""
        if self.adapter is not None:
            return getattr(self.adapter, "capabilities", Capability.NONE)  # type: ignore[no-any-return]
        return capabilities_of(self.format)

    @cached_property
    def raw_text(self) -> bool:
        """Whether the record is raw text, not a conversation (turn rules skip it); asked
        by many rules per record, so answered once."""
        return Capability.RAW_TEXT in self.capabilities

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


def run_rules(rules: Sequence[Rule], contexts: Iterable[RecordContext]) -> list[Finding]:
    """Every finding of ``rules`` over ``contexts`` read as one shard, in the order the
    engine gives them: per record, then what the shard settles, then the dataset's.

    >>> from sftprep.catalog import get_rule
    >>> run_rules([get_rule("duplicate")()], [])
    []
    """
    found = [f for ctx in contexts for rule in rules for f in rule.check(ctx)]
    for rule in rules:
        found.extend(rule.absorb(rule.partial(), Shift()))
    for rule in rules:
        found.extend(rule.finish())
    return found
