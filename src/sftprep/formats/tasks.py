"""`tasks`: instruction tasks with nested instances (self-instruct and Alpaca seed tasks).

A seed-task file holds task definitions, each with its examples under
``instances``: ``{"instruction": ..., "instances": [{"input": ..., "output": ...}],
"is_classification": false}``. Such files seed data generation; each instance is
one example. A record is read as its instruction with its first instance
(instruction + input -> output), so it is checked and counted like an Alpaca row;
the other instances are kept as ``leftovers`` and reported (`untrained-fields`),
and `not-sft-data` says once per file what the file is and how many instances
are not read.

>>> conv = TasksFormat().to_conversation(
...     {"instruction": "Add.", "instances": [{"input": "2+2", "output": "4"}]}, Location("t"))
>>> [m.content for m in conv.messages]
['Add.\\n\\n2+2', '4']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.catalog import make_finding
from sftprep.findings import Finding
from sftprep.formats._common import as_text, check_text_keys
from sftprep.formats.alpaca import join_prompt
from sftprep.formats.base import Format, register_format
from sftprep.formats.schema import json_kind
from sftprep.model import Conversation, Location, Message

INSTANCE_KEYS = frozenset({"input", "output"})


@register_format
class TasksFormat(Format):
    name = "tasks"
    description = "instruction tasks with nested instances (self-instruct seed tasks)"
    required = (("instruction",), ("instances",))
    optional = frozenset({"id", "name", "is_classification"})
    metadata = optional
    kind = "tasks"

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        yield from check_text_keys(record, ("instruction",), location)
        instances = record.get("instances")
        if "instances" in record and not isinstance(instances, list):
            kind = json_kind(instances)
            yield make_finding(
                "wrong-type",
                f"`instances` should be a list of input/output objects, got {kind}",
                location,
                field="instances",
            )
            return
        for i, instance in enumerate(instances or []):
            field = f"instances[{i}]"
            if not isinstance(instance, Mapping):
                kind = json_kind(instance)
                yield make_finding(
                    "wrong-type",
                    f"`{field}` should be an object, got {kind}",
                    location,
                    field=field,
                )
            elif "output" not in instance:
                yield make_finding(
                    "missing-key", f"`{field}` has no `output`", location, field=f"{field}.output"
                )
            else:
                yield from check_text_keys(instance, ("input", "output"), location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        notes: list[str] = []
        system = self.system_turns(record, notes)
        instances = record.get("instances")
        items = instances if isinstance(instances, list) else []
        first = items[0] if items and isinstance(items[0], Mapping) else {}
        prompt = join_prompt(as_text(record.get("instruction")), as_text(first.get("input")))
        messages = (
            *system,
            Message("user", prompt, content_field="instruction"),
            Message("assistant", as_text(first.get("output")), content_field="instances[0].output"),
        )
        leftovers = {f"instances[{i}]": item for i, item in enumerate(items) if i > 0}
        leftovers.update(
            {f"instances[0].{k}": v for k, v in first.items() if k not in INSTANCE_KEYS}
        )
        read = {"instruction", "instances", *(m.content_field for m in system)}
        return Conversation(
            messages,
            location=location,
            format=self.name,
            fields={"instruction": record["instruction"]}
            if isinstance(record.get("instruction"), str)
            else {},
            metadata={k: v for k, v in record.items() if k not in read},
            leftovers=leftovers,
            notes=tuple(notes),
        )
