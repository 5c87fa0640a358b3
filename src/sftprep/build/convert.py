"""`convert`: rewrite a dataset in another format, or in the shape a training platform reads.

Every record goes through the canonical `Conversation`: the input adapter reads it,
the output adapter writes it. Where the output cannot carry something (tool calls
into ``qa``, a conversation into a single-turn format without a history field), the
adapter raises `LossyConversionError` and the record goes to the rejects file with
that reason; nothing is dropped silently and ``records_in == records_out +
rejected`` always holds. With a target profile the converted record is also checked
against the platform's rules, and metadata keys the platform rejects are removed
(and counted).

>>> summary = convert("alpaca.json", "chat.jsonl", to="messages")  # doctest: +SKIP
>>> summary.records_in == summary.records_out + summary.rejected  # doctest: +SKIP
True
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftprep.build.paths import check_outputs, os_errors_as_usage
from sftprep.build.rejects import LOST_RECORD_RULES, RawLines, Rejects, errors
from sftprep.errors import LossyConversionError, UsageError
from sftprep.findings import Finding
from sftprep.formats.base import Format, get_format
from sftprep.model import Conversation
from sftprep.pipeline import Sample, iter_samples, open_sources
from sftprep.rules.base import RecordContext

LOSSY = "lossy-conversion"
NOT_SFT_TARGET = "not-sft-target"  # a KTO undesirable completion: no SFT target


@dataclass
class ConvertSummary:
    """Counts of a conversion; ``records_in == records_out + rejected``."""

    path: str
    out: str
    to: str
    source_format: str = ""
    target: str | None = None
    records_in: int = 0
    records_out: int = 0
    rejected: int = 0
    rejected_by_rule: dict[str, int] = field(default_factory=dict)
    removed_keys: Counter[str] = field(default_factory=Counter)
    # Keys holding text the output format does not train, carried as extra keys.
    untrained_text: Counter[str] = field(default_factory=Counter)
    rejects_path: str | None = None
    companion_files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "out": self.out,
            "from": self.source_format,
            "to": self.to,
            "target": self.target,
            "records_in": self.records_in,
            "records_out": self.records_out,
            "rejected": self.rejected,
            "rejected_by_rule": self.rejected_by_rule,
            "removed_keys": dict(self.removed_keys),
            "untrained_text": dict(self.untrained_text),
            "rejects_path": self.rejects_path,
            "companion_files": self.companion_files,
        }


def default_rejects_path(out: str | Path) -> Path:
    """``data.jsonl`` -> ``data.rejects.jsonl`` beside it."""
    p = Path(out)
    return p.with_name(f"{p.stem}.rejects.jsonl")


def check_paths(
    path: str | Path | None,
    out: str | Path,
    rejects: str | Path | None,
    *,
    config: str | Path | None = None,
    companions: tuple[Path, ...] = (),
) -> None:
    """The input is never overwritten, outputs are distinct files, each can be written."""
    inputs = [p for p in (path, config) if p is not None]
    outputs: list[tuple[str, str | Path | None]] = [("-o", out), ("--rejects", rejects)]
    outputs += [(f"companion file {c.name}", c) for c in companions]
    check_outputs(inputs, outputs)


def convert(
    path: str | Path | None,
    out: str | Path,
    *,
    to: str | None = None,
    format: str | None = None,
    config: str | Path | None = None,
    rejects: str | Path | None = None,
    target: str | None = None,
    keep_undesirable: bool = False,
) -> ConvertSummary:
    """Convert ``path`` into ``out`` (type from its extension); returns the counts.

    ``to`` is the output format (default: the target's shape). Rejected records go to
    ``rejects`` (default ``<out stem>.rejects.jsonl``, written only when needed).
    Preference data becomes SFT data only through its desirable answers: a KTO
    completion labelled false is rejected unless ``keep_undesirable``, and DPO's
    rejected answers are removed (and counted).
    """
    from sftprep.targets import get_target

    profile = get_target(target).fresh() if target else None
    if to is None:
        if profile is None:
            raise UsageError("give --to FORMAT or --target NAME")
        to = profile.shape
    elif profile is not None and to not in profile.accepts:
        raise UsageError(
            f"{profile.title} does not read {to}; it reads {', '.join(profile.accepts)}"
        )
    out_format = get_format(to)
    rejects_path = Path(rejects) if rejects is not None else default_rejects_path(out)
    if profile is not None:
        profile.check_output(Path(out), to)
    companions = profile.companion_paths(Path(out)) if profile is not None else ()
    check_paths(path, out, rejects_path, config=config, companions=companions)
    summary = ConvertSummary(str(path or config), str(out), to, target=target)

    from sftprep.io.write import write_records

    with Rejects() as spool, os_errors_as_usage(out):
        records = _convert_records(
            path, format, config, out_format, profile, spool, summary, keep_undesirable
        )
        write_records(out, records)
        summary.rejected = spool.count
        summary.rejected_by_rule = dict(spool.by_rule)
        if spool.count:
            write_rejects(spool, rejects_path, out)
            summary.rejects_path = str(rejects_path)
        if profile is not None:
            files = profile.companion_files(Path(out), to, summary.records_out)
            for companion, text in files.items():
                write_text(companion, text)
                summary.companion_files.append(str(companion))
    return summary


def write_rejects(spool: Rejects, rejects: str | Path, out: str | Path) -> None:
    """Write the rejects; if that fails, remove ``out`` so no half result is left behind."""
    try:
        spool.write(rejects)
    except BaseException:
        Path(out).unlink(missing_ok=True)
        raise


def _convert_records(
    path: str | Path | None,
    format: str | None,
    config: str | Path | None,
    out_format: Format,
    profile: Any,
    spool: Rejects,
    summary: ConvertSummary,
    keep_undesirable: bool = False,
) -> Iterator[Any]:
    for source in open_sources(path, format=format, config=config):
        summary.source_format = source.format.name
        lines = RawLines(source.path)
        try:
            for item in iter_samples(source):
                if isinstance(item, Finding):
                    if item.rule in LOST_RECORD_RULES and item.location.record is not None:
                        summary.records_in += 1
                        raw = lines.text(item.location.line)
                        spool.add_findings(
                            raw if raw is not None else item.excerpt, item.location, [item]
                        )
                    continue
                summary.records_in += 1
                record = convert_sample(
                    item, source.format, out_format, profile, spool, summary, keep_undesirable
                )
                if record is not None:
                    summary.records_out += 1
                    yield record
        finally:
            lines.close()


def convert_sample(
    sample: Sample,
    source_format: Format,
    out_format: Format,
    profile: Any,
    spool: Rejects,
    summary: ConvertSummary | None = None,
    keep_undesirable: bool = False,
) -> dict[str, Any] | None:
    """One record in ``out_format`` (and fit for ``profile``), or None after rejecting it."""
    problems = errors(sample.findings)
    if problems or sample.conversation is None:
        spool.add_findings(sample.raw, sample.location, problems)
        return None
    conversation = sample.conversation
    adapter = sample.adapter or source_format
    becomes_sft = adapter.kind != "sft" and (out_format.kind == "sft" or profile is not None)
    if becomes_sft:
        reason = None if keep_undesirable else adapter.sft_target_error(conversation)
        if reason is not None:
            spool.add(sample.raw, sample.location, [NOT_SFT_TARGET], [reason])
            return None
        conversation = _without(conversation, adapter.untrained, summary)
    if summary is not None:
        _count_untrained_text(conversation, out_format, summary)
    try:
        if profile is not None:
            conversation = profile.adapt(conversation)
        # With a target, always write the canonical shape: the raw record may spell things
        # the platform does not read (tools as JSON text, content as typed parts).
        unchanged = profile is None and conversation is sample.conversation
        if out_format.name == source_format.name and unchanged:
            record = copy.deepcopy(dict(sample.raw))
        else:
            record = write_as(conversation, out_format)
    except LossyConversionError as exc:
        spool.add(sample.raw, sample.location, [LOSSY], [str(exc)])
        return None
    if profile is None:
        return record
    removed = profile.prepare(record, conversation)
    written = out_format.to_conversation(record, sample.location)
    ctx = RecordContext(record, sample.location, out_format.name, written)
    problems = errors(list(profile.check(ctx)))
    if problems:
        spool.add_findings(sample.raw, sample.location, problems)
        return None
    if summary is not None:
        summary.removed_keys.update(removed)
    profile.accept(record)
    return record


def _without(
    conversation: Conversation, keys: frozenset[str], summary: ConvertSummary | None
) -> Conversation:
    """``conversation`` without the metadata ``keys`` (DPO's rejected answers), counted."""
    removed = [k for k in keys if k in conversation.metadata]
    if not removed:
        return conversation
    if summary is not None:
        summary.removed_keys.update(removed)
    metadata = {k: v for k, v in conversation.metadata.items() if k not in keys}
    return dataclasses.replace(conversation, metadata=metadata)


def _count_untrained_text(
    conversation: Conversation, out_format: Format, summary: ConvertSummary
) -> None:
    """Count metadata keys holding text that is not trained: the output carries them as
    extra keys that its trainer will not read either, and the summary says so."""
    from sftprep.rules.coverage import tally

    haystack: list[str] = []
    for key, value in conversation.metadata.items():
        if key in out_format.known_keys:
            continue
        if tally(value, conversation.location, haystack, conversation).lost:
            summary.untrained_text[key] += 1


def write_as(conversation: Conversation, fmt: Format) -> dict[str, Any]:
    """``conversation`` as a record of ``fmt``; `LossyConversionError` if anything is lost.

    The adapter raises where it knows it cannot carry something; the record must be valid
    in ``fmt`` (no error from the format's own checks); then it is read back and its
    content compared with the original (text, reasoning, tool calls and
    definitions, weights), so a loss the adapter did not anticipate is refused too. What
    is not compared: tool call ids and how calls are grouped into turns (formats without
    ids pair calls and results by position), and how a prompt is split into fields.
    """
    record = fmt.from_conversation(conversation)
    invalid = errors(list(fmt.validate(record, conversation.location)))
    if invalid:
        # e.g. a metadata key that clashes with one of the format's own fields
        where = f"{invalid[0].field}: " if invalid[0].field else ""
        raise LossyConversionError(
            f"{fmt.name} record would be invalid ({where}{invalid[0].message})"
        )
    back = fmt.to_conversation(record, conversation.location)
    lost = lost_content(conversation, back)
    if lost:
        raise LossyConversionError(f"{fmt.name} would lose {lost}")
    return record


def content_events(conversation: Conversation) -> list[tuple[Any, ...]]:
    """The training content of a conversation as a flat list of comparable events."""
    events: list[tuple[Any, ...]] = []
    for message in conversation.messages:
        if message.reasoning:
            events.append(("reasoning", message.reasoning))
        if message.text:
            trained = 0 if message.weight == 0 and not isinstance(message.weight, bool) else 1
            events.append(("text", message.role, message.text, trained))
        for call in message.tool_calls:
            events.append(("call", call.name, _normal_json(call.arguments)))
    if conversation.tools:
        events.append(("tools", json.dumps(list(conversation.tools), sort_keys=True)))
    return events


_LOSS_NAMES = {
    "reasoning": "the reasoning text",
    "call": "tool calls",
    "tools": "the tool definitions",
    "text": "message text, roles or weights",
}


def lost_content(before: Conversation, after: Conversation) -> str | None:
    """What of ``before`` is missing or changed in ``after`` (None when nothing)."""
    old, new = content_events(before), content_events(after)
    if old == new:
        return None
    for kind in ("reasoning", "call", "tools", "text"):
        if [e for e in old if e[0] == kind] != [e for e in new if e[0] == kind]:
            return _LOSS_NAMES[kind]
    return "the order of the turns"


def _normal_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except ValueError:
        return text


def write_text(path: Path, text: str) -> None:
    """Write a small text file atomically (companion YAML/JSON files)."""
    from sftprep.io.write import atomic_open

    with atomic_open(path, "w") as fh:
        fh.write(text)
