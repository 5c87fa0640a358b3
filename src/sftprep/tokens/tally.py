"""Per-record token counts of a shard, kept compact so that shards travel and merge cheaply.

A `TokenTally` holds, for the counted records of one shard, their record index and
line (numbered from the shard's start), turns, and for each tokenizer the total and
trainable tokens in ``array('i')`` (4 bytes a value), per-field statistics and what
truncation to ``max_tokens`` loses. Records that cannot be counted are tallied by
kind (``json-syntax``, ``not-an-object``, ``no-messages``, ``template-error``); a record
one tokenizer cannot render is skipped for all of them, so side-by-side numbers
cover the same records. `TokenStats.add_tally` merges tallies in file order.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sftprep.model import Conversation, PlainTurn
from sftprep.stats import StatsByKey
from sftprep.tokens.base import BaseTokenizer, Counts, RenderError, Rendering, tokenizer_failure
from sftprep.tokens.media import MediaTally

MAX_ERRORS_KEPT = 20


def _ints() -> array[int]:
    return array("i")


@dataclass
class Counted:
    """One tokenizer's numbers for the counted records of a shard, in order."""

    total: array[int] = field(default_factory=_ints)
    trainable: array[int] = field(default_factory=_ints)
    fields: StatsByKey = field(default_factory=StatsByKey)
    record_fields: list[dict[str, int]] | None = None
    lost_tokens: int = 0  # trainable tokens truncation to max_tokens drops
    left_nothing: int = 0  # records over max_tokens with no trainable token left


@dataclass
class TokenTally:
    """The token counts of one shard; record and line numbers are relative to it."""

    record: array[int] = field(default_factory=_ints)  # record index of each counted row
    line: array[int] = field(default_factory=_ints)
    turns: array[int] = field(default_factory=_ints)
    counted: list[Counted] = field(default_factory=list)
    errors: list[tuple[int, int, str, str]] = field(default_factory=list)  # record, line, kind, msg
    error_count: dict[str, int] = field(default_factory=dict)
    # The counted records' media, one row each: made at the first record that has any
    # (text-only data carries none), the rows before it padded with zeros.
    media: MediaTally | None = None

    @classmethod
    def new(cls, tokenizers: int, *, record_fields: bool = False) -> TokenTally:
        tally = cls(counted=[Counted() for _ in range(tokenizers)])
        for counted in tally.counted:
            counted.record_fields = [] if record_fields else None
        return tally

    def error(self, record: int, line: int, kind: str, message: str) -> None:
        self.error_count[kind] = self.error_count.get(kind, 0) + 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append((record, line, kind, message))

    def add_turns(
        self,
        tokenizers: Sequence[BaseTokenizer],
        limits: Sequence[int | None],
        turns: Sequence[PlainTurn],
        record: int,
        line: int,
    ) -> None:
        """Count one record read as text-only turns (`Format.plain_turns`)."""
        every = []
        for tokenizer, limit in zip(tokenizers, limits, strict=True):
            try:
                every.append(tokenizer.count_turns(turns, max_tokens=limit))
            except BaseException as exc:  # a Rust panic is a BaseException
                failure = tokenizer_failure(exc)
                if failure is None:
                    raise
                self.error(record, line, "tokenizer-error", f"{tokenizer.name}: {failure}")
                return
        self.record.append(record)
        self.line.append(line)
        self.turns.append(len(turns))
        for counts, limit, counted in zip(every, limits, self.counted, strict=True):
            counted.total.append(counts.total)
            counted.trainable.append(counts.trainable)
            if limit is not None and counts.total > limit and counts.kept is not None:
                counted.lost_tokens += counts.trainable - counts.kept
                counted.left_nothing += counts.kept == 0
            if counted.record_fields is not None:
                counted.record_fields.append({})
        if self.media is not None:
            self.media.add_none()

    def add_media(self, media: Sequence[tuple[Any, Any]], families: tuple[str, ...] = ()) -> None:
        """The media of the record counted last (``(MediaRef, MediaInfo)`` pairs);
        ``families`` are image token families counted besides the built-in ones."""
        if media and self.media is None:
            self.media = MediaTally(extra=families)
            self.media.pad(len(self.record) - 1)
        if self.media is not None:
            self.media.add(media)

    def add(
        self,
        tokenizers: Sequence[BaseTokenizer],
        limits: Sequence[int | None],
        conversation: Conversation,
        record: int,
        line: int,
        rendered: Callable[[BaseTokenizer], Rendering | RenderError] | None = None,
    ) -> bool:
        """Count one conversation with every tokenizer (``rendered`` gives a rendering
        already made for the rules, so the record is not rendered twice); False when it
        could not be counted (then `add_media` must not follow)."""
        if not conversation.messages:  # nothing to train on: counted by no tokenizer
            self.error(record, line, "no-messages", "the record has no messages to count")
            return False
        results: list[tuple[Counts, tuple[int, int] | None, dict[str, int]]] = []
        for tokenizer, limit in zip(tokenizers, limits, strict=True):
            try:
                counts = count_one(tokenizer, conversation, limit, rendered)
                per_field = tokenizer.count_fields(conversation) if conversation.fields else {}
            except BaseException as exc:  # a Rust panic is a BaseException
                failure = tokenizer_failure(exc)
                if failure is None:
                    raise
                self.error(record, line, "template-error", f"{tokenizer.name}: {failure}")
                return False
            lost = None
            if limit is not None and counts.total > limit:
                kept = counts.kept if counts.kept is not None else 0
                lost = (counts.trainable - kept, kept)
            results.append((counts, lost, per_field))
        self.record.append(record)
        self.line.append(line)
        self.turns.append(len(conversation.messages))
        for (counts, lost, per_field), counted in zip(results, self.counted, strict=True):
            counted.total.append(counts.total)
            counted.trainable.append(counts.trainable)
            if lost is not None:
                counted.lost_tokens += lost[0]
                counted.left_nothing += lost[1] == 0
            for key, n in per_field.items():
                counted.fields.add(key, n)
            if counted.record_fields is not None:
                counted.record_fields.append(per_field)
        return True


def count_one(
    tokenizer: BaseTokenizer,
    conversation: Conversation,
    limit: int | None,
    rendered: Callable[[BaseTokenizer], Rendering | RenderError] | None = None,
) -> Counts:
    """``tokenizer``'s `Counts` of ``conversation`` (raises `RenderError`), from a rendering
    when one is at hand, else by the backend's own count (no ids built)."""
    if rendered is not None:
        rendering = rendered(tokenizer)
        if isinstance(rendering, RenderError):
            raise rendering
        kept = None if limit is None else rendering.trainable_within(limit)
        return Counts(rendering.total, rendering.trainable, len(conversation.messages), kept)
    if limit is None:
        return tokenizer.count_conversation(conversation)
    return tokenizer.count_conversation(conversation, max_tokens=limit)
