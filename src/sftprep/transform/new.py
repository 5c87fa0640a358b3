"""`new`: write a starter dataset for a task, in any format that can carry it.

A task's records are stored once, in their native format; other formats are made
by the format adapters (native -> `Conversation` -> target format), so `new` is
also a small demonstration of `convert`.

>>> new_dataset("qa", "starter.jsonl")
NewSummary(task='qa', format='qa', records=12, out='starter.jsonl')
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sftprep.errors import LossyConversionError, UsageError
from sftprep.formats.base import Capability, get_format, list_formats
from sftprep.model import Conversation, Location, Message
from sftprep.transform.convert import write_as
from sftprep.transform.paths import check_outputs, os_errors_as_usage
from sftprep.transform.tasks import Task, get_task


@dataclass(frozen=True)
class NewSummary:
    task: str
    format: str
    records: int
    out: str

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "format": self.format, "records": self.records, "out": self.out}


def task_records(task: str | Task, format: str | None = None, n: int | None = None) -> list[Any]:
    """The first ``n`` records of ``task`` in ``format`` (default: the task's own default)."""
    spec = get_task(task) if isinstance(task, str) else task
    format = format or spec.default_format
    available = len(spec.records)
    if n is not None and not 1 <= n <= available:
        raise UsageError(f"-n must be between 1 and {available} for the {spec.name} task")
    records = spec.records[: n or available]
    if format == spec.native:
        return [dict(r) for r in records]
    native, out = get_format(spec.native), get_format(format)
    converted = []
    for index, record in enumerate(records):
        conversation = native.to_conversation(record, Location(f"<task {spec.name}>", None, index))
        if Capability.SYSTEM_TURN in out.capabilities:  # conversations carry it
            conversation = with_system(conversation, spec.system)
        try:
            converted.append(write_as(conversation, out))
        except LossyConversionError as exc:
            fits = ", ".join(formats_for(spec))
            raise UsageError(
                f"the {spec.name} task cannot be written as {format} ({exc}); formats that "
                f"carry it: {fits}"
            ) from exc
    return converted


def with_system(conversation: Conversation, system: str) -> Conversation:
    """``conversation`` opened by the task's system prompt, unless it has one already."""
    if not system or conversation.roles[:1] == ("system",):
        return conversation
    # content_field "system": the formats with a top-level system key (sharegpt) use it.
    prompt = Message("system", system, content_field="system")
    return replace(conversation, messages=(prompt, *conversation.messages))


def formats_for(task: str | Task) -> list[str]:
    """Formats every record of ``task`` converts to without loss."""
    spec = get_task(task) if isinstance(task, str) else task
    native = get_format(spec.native)
    convs = [
        native.to_conversation(r, Location("<task>", None, i)) for i, r in enumerate(spec.records)
    ]
    fits = []
    for name in list_formats():
        fmt = get_format(name)
        try:
            for conv in convs:
                write_as(conv, fmt)
        except LossyConversionError:  # includes formats that cannot be written at all
            continue
        fits.append(name)
    return fits


def new_dataset(
    task: str, out: str | Path, *, format: str | None = None, n: int | None = None
) -> NewSummary:
    """Write the starter dataset of ``task`` to ``out`` (file type from the extension)."""
    from sftprep.io.write import write_records

    spec = get_task(task)
    records = task_records(spec, format, n)
    check_outputs(None, [("-o", out)])
    with os_errors_as_usage(out):
        write_records(out, records)
    return NewSummary(spec.name, format or spec.default_format, len(records), str(out))
