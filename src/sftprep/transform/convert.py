"""`convert`: rewrite a dataset in another format, or in the shape a training platform reads.

Every record goes through the canonical `Conversation`: the input adapter reads it,
the output adapter writes it. Where the output cannot carry something (tool calls
into ``qa``, a conversation into a single-turn format without a history field), the
adapter raises `LossyConversionError` and the record goes to the rejects file with
that reason; nothing is dropped silently and ``records_in == records_out +
rejected`` always holds. With a target profile the converted record is also checked
against the platform's rules, and metadata keys the platform rejects are removed
(and counted).

>>> summary = convert("examples/qa_dataset.jsonl", "chat.jsonl", to="messages")
>>> summary.records_in == summary.records_out + summary.rejected
True
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftprep.engine import Job, Merged, Runner, plan_inputs, run
from sftprep.errors import LossyConversionError, UsageError
from sftprep.findings import Finding
from sftprep.formats.aliases import SYSTEM_KEYS, KeyMap
from sftprep.formats.base import SFT, Capability, Format, get_format
from sftprep.formats.keys import canonical_json
from sftprep.formats.media import embed_parts, media_as_column, rebase_media
from sftprep.formats.turns import part_index
from sftprep.model import Conversation, Location
from sftprep.pipeline import Sample
from sftprep.rules.base import RecordContext
from sftprep.transform.paths import check_outputs, os_errors_as_usage
from sftprep.transform.rejects import (
    LOST_RECORD_RULES,
    RawLines,
    Rejects,
    errors,
    reason_of,
    with_raw_lines,
)

LOSSY = "lossy-conversion"
MIXED_FORMAT = "mixed-format"
NO_ANSWER = "no-assistant-turn"
NOT_SFT_TARGET = "not-sft-target"  # a KTO undesirable completion: no SFT target
# Formats whose turns take no content parts: media parts become an `images` column with
# `<image>` placeholders, as LLaMA-Factory reads both (docs/media.md).


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
    key_map: KeyMap | None = None,
    config: str | Path | None = None,
    rejects: str | Path | None = None,
    target: str | None = None,
    keep_undesirable: bool = False,
    runner: Runner | None = None,
    embed_media: bool = False,
) -> ConvertSummary:
    """Convert ``path`` into ``out`` (type from its extension); returns the counts.

    ``to`` is the output format (default: the target's shape). Rejected records go to
    ``rejects`` (default ``<out stem>.rejects.jsonl``, written only when needed).
    Preference data becomes SFT data only through its desirable answers: a KTO
    completion labelled false is rejected unless ``keep_undesirable``, and DPO's
    rejected answers are removed (and counted). ``embed_media`` writes the local image
    files of content parts as ``data:`` URIs (OpenAI and Together take no local paths).
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
    get_format(to)  # an unknown format fails here, before any work
    rejects_path = Path(rejects) if rejects is not None else default_rejects_path(out)
    if profile is not None:
        profile.check_output(Path(out), to)
    companions = profile.companion_paths(Path(out)) if profile is not None else ()
    check_paths(path, out, rejects_path, config=config, companions=companions)
    summary = ConvertSummary(str(path or config), str(out), to, target=target)

    runner = runner or Runner()
    files = plan_inputs(
        path, format=format, key_map=key_map, config=config, shard_bytes=runner.shard_bytes
    )
    summary.source_format = ", ".join(dict.fromkeys(f.format.name for f in files))
    step = ConvertStep(
        to, target, keep_undesirable, out_dir=str(Path(out).parent), embed_media=embed_media
    )
    job = Job(rules=frozenset(LOST_RECORD_RULES), transform=step)

    from sftprep.io.write import Outputs, write_records

    # Every file is complete before any replaces an old one: a failure keeps them all.
    with Rejects() as spool, Outputs() as outputs, os_errors_as_usage(out):
        merge = _Merge(summary, spool, profile)
        records = merge.records(run(files, job, runner, label="converting"))
        write_records(out, records, inputs=input_paths(files), outputs=outputs)
        summary.rejected = spool.count
        summary.rejected_by_rule = dict(spool.by_rule)
        if spool.count:
            spool.write(rejects_path, outputs)
            summary.rejects_path = str(rejects_path)
        if profile is not None and summary.records_out:  # no data: nothing to register
            files_out = profile.companion_files(Path(out), to, summary.records_out)
            for companion, text in files_out.items():
                write_text(companion, text, outputs)
                summary.companion_files.append(str(companion))
        outputs.commit()
    return summary


def input_paths(files: Iterable[Any]) -> list[str]:
    """The local files of planned inputs: no output may replace one of them."""
    return [f.path for f in files]


@dataclass
class Converted:
    """`ConvertStep`'s outcome for one record: the written record (with what the target
    must accept in order, and the keys it removed or left untrained), or a rejection."""

    raw: Any
    location: Location
    record: dict[str, Any] | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    untrained: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class ConvertStep:
    """The per-record part of `convert`, run where the shard is read (a `Transform`)."""

    to: str
    target: str | None = None
    keep_undesirable: bool = False
    out_dir: str | None = None  # relative media paths are rewritten for this folder
    embed_media: bool = False  # local image files of parts written as data: URIs
    _profile: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_profile": None}  # the profile is made where it runs

    def apply(self, sample: Sample, findings: list[Finding], ctx: RecordContext) -> Converted:
        if self._profile is None and self.target is not None:
            from sftprep.targets import get_target

            self._profile = get_target(self.target).fresh()
        return convert_sample(
            sample,
            get_format(self.to),
            self._profile,
            self.keep_undesirable,
            self.out_dir,
            self.embed_media,
        )


class _Merge:
    """The parent's side of `convert`: outcomes in file order, the target's acceptance
    (its dataset-wide state), rejects and counts."""

    def __init__(self, summary: ConvertSummary, spool: Rejects, profile: Any) -> None:
        self.summary, self.spool, self.profile = summary, spool, profile

    def records(self, merged_shards: Iterable[Merged]) -> Iterator[dict[str, Any]]:
        for merged, lines in with_raw_lines(merged_shards):
            self._lost(merged, lines)
            yield from self._written(merged)

    def _lost(self, merged: Merged, lines: RawLines) -> None:
        """Records the reader could not parse: rejected, kept as their text."""
        for finding in merged.findings:
            if finding.rule in LOST_RECORD_RULES and finding.location.record is not None:
                self.summary.records_in += 1
                raw = lines.text(finding.location.line)
                text = raw if raw is not None else finding.excerpt
                self.spool.add_findings(text, finding.location, [finding])

    def _written(self, merged: Merged) -> Iterator[dict[str, Any]]:
        summary = self.summary
        for done in merged.result.outputs or ():
            summary.records_in += 1
            location = merged.shift(done.location)
            if done.record is None:
                self.spool.add(done.raw, location, done.rules, done.reasons)
                continue
            if self.profile is not None:
                try:
                    self.profile.accept(done.record, done.claims)
                except LossyConversionError as exc:
                    self.spool.add(done.raw, location, [LOSSY], [str(exc)])
                    continue
            summary.removed_keys.update(done.removed)
            summary.untrained_text.update(done.untrained)
            summary.records_out += 1
            yield done.record


def convert_sample(
    sample: Sample,
    out_format: Format,
    profile: Any,
    keep_undesirable: bool = False,
    out_dir: str | None = None,
    embed_media: bool = False,
) -> Converted:
    """One record in ``out_format`` (and fit for ``profile``), or why it is rejected;
    relative media paths are rewritten for a file written in ``out_dir``; with
    ``embed_media`` image parts that name local files carry the files as ``data:`` URIs."""
    out = Converted(sample.raw, sample.location)
    # a record in another format than its file's was read in its own: it converts too
    problems = [f for f in errors(sample.findings) if f.rule != MIXED_FORMAT]
    if problems or sample.conversation is None:
        out.rules = [f.rule for f in problems]
        out.reasons = [reason_of(f) for f in problems]
        return out
    conversation = sample.conversation
    adapter = sample.adapter or out_format
    if adapter.kind != SFT and (out_format.kind == SFT or profile is not None):
        reason = None if keep_undesirable else adapter.sft_target_error(conversation)
        if reason is not None:
            out.rules, out.reasons = [NOT_SFT_TARGET], [reason]
            return out
        conversation, out.removed = _without(conversation, adapter.untrained)
    if out_format.kind == SFT and not any(m.role == "assistant" for m in conversation.messages):
        # prompts without an answer (OpenAI RFT rows in `messages` shape): no SFT target
        out.rules, out.reasons = [NO_ANSWER], ["no assistant turn: nothing to train on"]
        return out
    out.untrained = _untrained_text(conversation, out_format)
    try:
        if profile is not None:
            out.claims = profile.claims(conversation)
            conversation = profile.adapt(conversation)
        if Capability.MEDIA_COLUMN in out_format.capabilities:  # no parts: LLaMA-Factory's
            conversation = media_as_column(conversation)
        if embed_media:  # before paths are rebased: they are relative to the input
            conversation = embed_parts(conversation, _reader(sample.location.path))
        if out_dir is not None:
            conversation = rebase_media(
                conversation, os.path.dirname(sample.location.path), out_dir, adapter.media_keys
            )
        # The raw record is copied only when nothing about it changes: with a target, or
        # names read through aliases, the canonical shape is written.
        unchanged = profile is None and conversation is sample.conversation
        same = (
            out_format.name == adapter.name
            and unchanged
            and not conversation.notes
            and (out_format.writes_system_column or not _system_column(conversation))
        )
        record = copy.deepcopy(dict(sample.raw)) if same else write_as(conversation, out_format)
    except LossyConversionError as exc:
        out.rules, out.reasons = [LOSSY], [str(exc)]
        return out
    if profile is not None:
        out.removed += profile.prepare(record, conversation)
        written = out_format.to_conversation(record, sample.location)
        ctx = RecordContext(record, sample.location, out_format.name, written)
        problems = errors(list(profile.check(ctx)))
        if problems:
            out.rules = [f.rule for f in problems]
            out.reasons = [reason_of(f) for f in problems]
            return out
    out.record = record
    return out


def _reader(dataset: str) -> Any:
    """Read a media reference's file, relative paths beside ``dataset``."""
    from sftprep.io.media import resolve

    return lambda ref: resolve(ref.value or "", dataset).read_bytes()


def _system_column(conversation: Conversation) -> bool:
    """Whether the system prompt was read from a top-level column (Anthropic's ``system``)."""
    first = conversation.messages[0] if conversation.messages else None
    return first is not None and first.role == "system" and first.content_field in SYSTEM_KEYS


def _without(conversation: Conversation, keys: frozenset[str]) -> tuple[Conversation, list[str]]:
    """``conversation`` without the metadata ``keys`` (DPO's rejected answers), and those
    removed."""
    removed = [k for k in keys if k in conversation.metadata]
    if not removed:
        return conversation, []
    metadata = {k: v for k, v in conversation.metadata.items() if k not in keys}
    return dataclasses.replace(conversation, metadata=metadata), removed


def _untrained_text(conversation: Conversation, out_format: Format) -> list[str]:
    """Metadata keys holding text that is not trained: the output carries them as extra
    keys that its trainer will not read either, and the summary says so."""
    from sftprep.rules.coverage import tally

    haystack: list[str] = []
    return [
        key
        for key, value in conversation.metadata.items()
        if key not in out_format.known_keys
        and tally(value, conversation.location, haystack, conversation).lost
    ]


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
        for key, value in message.extra.items():
            # a content part (image, audio) moves when the text is written first: its value
            # is what must survive; another unread key must keep its name too
            name = "" if part_index(key) is not None else key
            events.append(("extra", message.role, name, canonical_json(value)))
    if conversation.tools:
        events.append(("tools", json.dumps(list(conversation.tools), sort_keys=True)))
    return events


_LOSS_NAMES = {
    "reasoning": "the reasoning text",
    "call": "tool calls",
    "tools": "the tool definitions",
    "text": "message text, roles or weights",
    "extra": "images, other content parts or keys of the messages",
}


def lost_content(before: Conversation, after: Conversation) -> str | None:
    """What of ``before`` is missing or changed in ``after`` (None when nothing)."""
    old, new = content_events(before), content_events(after)
    if old == new:
        return None
    for kind in ("reasoning", "call", "tools", "text", "extra"):
        if [e for e in old if e[0] == kind] != [e for e in new if e[0] == kind]:
            return _LOSS_NAMES[kind]
    return "the order of the turns"


def _normal_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except (ValueError, RecursionError):
        return text


def write_text(path: Path, text: str, outputs: Any = None) -> None:
    """Write a small text file atomically (companion YAML/JSON files)."""
    from sftprep.io.write import atomic_open

    with atomic_open(path, "w", flag=f"companion file {path.name}", outputs=outputs) as fh:
        fh.write(text)
