"""Starter datasets for `sftprep new`: one module per task, each a `Task` of good records.

Every record was written for this project (original text). A task's records are
raw records in its ``native`` format; `sftprep.transform.new` converts them to any
other format through the format adapters, so a template is written once.

>>> get_task("translation").native
'alpaca'
>>> "qa" in list_tasks()
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sftprep.registry import Registry


@dataclass(frozen=True)
class Task:
    """A starter dataset: its records (in ``native`` format) and the format ``new`` writes.

    ``system`` is the system prompt added when the output is a chat format (which has a
    place for it and where a missing one is reported); single-turn formats go without.
    """

    name: str
    description: str
    native: str
    default_format: str
    records: tuple[Mapping[str, Any], ...]
    system: str = ""


# Each module of this package defines one ``TASK`` and registers it: a new task is one
# new module (or a plugin's).
TASKS: Registry[Task] = Registry("task", builtins=("sftprep.transform.tasks",))


def register_task(task: Task) -> Task:
    """Add ``task`` to the registry under its name."""
    return TASKS.add(task.name, task)


def get_task(name: str) -> Task:
    """The task template called ``name`` (unknown names list the known ones)."""
    return TASKS.get(name)


def list_tasks() -> list[str]:
    """The names of every task template, sorted."""
    return sorted(TASKS.names())
