"""``docs/reference.md``: every registered unit, written from the registries.

Formats, targets, tokenizer backends, task templates, readers, writers and repairs are
listed from what is registered (built-ins and plugins alike), so a new unit shows up in
the docs by regenerating them (``python scripts/gen_rules_doc.py``), with no table to edit.

>>> "| `sharegpt` |" in units_markdown()
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sftprep.formats.base import FORMATS, Capability
from sftprep.io.base import READERS
from sftprep.io.write import WRITERS
from sftprep.targets.base import TARGETS
from sftprep.tokens.base import backend_descriptions
from sftprep.transform.repairs import REPAIRS
from sftprep.transform.tasks import TASKS

HEADER = """# Reference: what sftprep knows

<!-- Generated from the registries by `python scripts/gen_rules_doc.py`; do not edit. -->

Every unit below is registered (`sftprep.registry`); plugins add theirs the same way
(docs/architecture.md, "Adding a unit"). Rules are in [rules.md](rules.md).
"""


def units_markdown() -> str:
    """The reference page, from what is registered now."""
    parts = [HEADER, _formats(), _targets(), _backends(), _tasks(), _io(), _repairs()]
    return "\n".join(parts)


def _table(title: str, intro: str, head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = [f"## {title}", "", intro, "", "| " + " | ".join(head) + " |"]
    lines.append("|" + "---|" * len(head))
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _capabilities(flags: Capability) -> str:
    names = (f.name or "" for f in Capability if f and f in flags)
    return ", ".join(name.lower().replace("_", " ") for name in names)


def _formats() -> str:
    rows = [
        (f"`{name}`", cls.kind, _capabilities(cls.capabilities), cls.description)
        for name, cls in sorted(FORMATS.items())
    ]
    intro = "What `--format` accepts and detection chooses from (docs/formats.md)."
    return _table("Formats", intro, ("name", "kind", "capabilities", "what"), rows)


def _targets() -> str:
    rows = [
        (f"`{name}`", t.title, ", ".join(t.accepts), t.shape, " ".join(t.sources))
        for name, t in sorted(TARGETS.items())
    ]
    intro = "`--target NAME` on check and convert (docs/targets.md)."
    return _table("Targets", intro, ("name", "platform", "reads", "writes", "sources"), rows)


def _backends() -> str:
    rows = [(f"`{name}`", text) for name, text in backend_descriptions()]
    intro = "Where `--tokenizer SPEC` is looked up, in this order."
    return _table("Tokenizer backends", intro, ("name", "what"), rows)


def _tasks() -> str:
    rows = [
        (f"`{name}`", task.native, task.default_format, task.description)
        for name, task in sorted(TASKS.items())
    ]
    intro = "`sftprep new --task NAME` starter datasets."
    return _table("Task templates", intro, ("name", "native", "written as", "what"), rows)


def _io() -> str:
    rows = [
        (f"`{key}`", "read" + (", write" if key in WRITERS.names() else ""))
        for key in sorted(READERS.names())
    ]
    intro = "File types and sources by extension or `<name>`."
    return _table("Readers and writers", intro, ("kind", "sftprep can"), rows)


def _repairs() -> str:
    rows = [(f"`{name}`", step.explanation) for name, step in REPAIRS.items()]
    return _table(
        "Repairs", "What `sftprep fix` may change, in this order.", ("name", "what"), rows
    )
