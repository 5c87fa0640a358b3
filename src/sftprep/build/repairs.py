"""Safe repairs on raw records, each a small named step that says whether it changed anything.

A repair takes a raw record (a copy: the input is never touched) and the format
name, and returns the repaired record plus whether it changed. Repairs only touch
string values (never keys) and never add or remove fields, so the record keeps its
format. `sftprep fix` counts, per repair, the records it changed.

>>> strip_text("  Hello there \\n")
'Hello there'
>>> normalise_roles({"messages": [{"role": "Human", "content": "hi"}]}, "messages")
({'messages': [{'role': 'user', 'content': 'hi'}]}, True)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sftprep.formats.aliases import canonical_role

Repair = Callable[[Any, str], tuple[Any, bool]]

# The canonical role of each spelling comes from the one alias table readers use;
# ShareGPT files get ShareGPT's own names back.
SHAREGPT_NAMES = {"user": "human", "assistant": "gpt", "system": "system", "tool": "observation"}
SHAREGPT_KEPT = frozenset({"function_call", "observation", "tool", "human", "gpt", "system"})
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\r?\n)+")


def strip_text(text: str) -> str:
    """Trim surrounding whitespace, keeping the first line's indentation in code-like text.

    Multi-line text whose first line starts with a tab or two spaces is treated as
    code: only blank leading lines and trailing whitespace go, so the relative
    indentation of the block survives.
    """
    trimmed = _LEADING_BLANK_LINES.sub("", text.rstrip())
    if "\n" in trimmed and trimmed.startswith(("\t", "  ")):
        return trimmed
    return trimmed.lstrip()


def map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    """``value`` with ``fn`` applied to every string (not to keys); containers are copied."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [map_strings(v, fn) for v in value]
    return value


# Formats whose text fields are concatenated as they are: the whitespace where prompt meets
# completion is part of the format (legacy OpenAI completions start with a space), so
# those string fields are left alone; message lists inside them are still trimmed.
CONCATENATED = {"prompt-completion": frozenset({"prompt", "completion", "response"})}


def strip_whitespace(record: Any, format: str) -> tuple[Any, bool]:
    keep = CONCATENATED.get(format, frozenset())
    if isinstance(record, dict) and keep:
        fixed = {
            k: v if k in keep and isinstance(v, str) else map_strings(v, strip_text)
            for k, v in record.items()
        }
    else:
        fixed = map_strings(record, strip_text)
    return fixed, fixed != record


def repair_encoding(record: Any, format: str) -> tuple[Any, bool]:
    """Undo mojibake (UTF-8 read as Latin-1/cp1252 and similar) with ftfy.

    Only ftfy's encoding fixes are enabled: quotes, ligatures, full-width characters,
    HTML entities and Unicode normalisation are left alone because in code and
    multilingual text they are content, not damage.
    """
    fixed = map_strings(record, _fix_mojibake)
    return fixed, fixed != record


def canonical_name(value: str, format: str) -> str | None:
    """The name ``value`` should be written as in ``format`` (None: unknown spelling)."""
    if format == "sharegpt" and value.strip().casefold() in SHAREGPT_KEPT:
        return value.strip().casefold()
    role = canonical_role(value)
    if role is None:
        return None
    return SHAREGPT_NAMES[role] if format == "sharegpt" else role


def normalise_roles(record: Any, format: str) -> tuple[Any, bool]:
    """Map role spellings ("Human", "Chatbot", "model") to the format's own vocabulary,
    through the alias table readers use (`sftprep.formats.aliases`)."""
    if not isinstance(record, dict):
        return record, False
    changed = False
    fixed = dict(record)
    for list_key in ("messages", "conversations"):
        turns = record.get(list_key)
        if not isinstance(turns, list):
            continue
        new_turns = []
        for turn in turns:
            if isinstance(turn, dict):
                turn = dict(turn)
                for role_key in ("role", "from"):
                    value = turn.get(role_key)
                    if isinstance(value, str):
                        canonical = canonical_name(value, format)
                        if canonical is not None and canonical != value:
                            turn[role_key] = canonical
                            changed = True
            new_turns.append(turn)
        fixed[list_key] = new_turns
    return (fixed, True) if changed else (record, False)


@dataclass(frozen=True)
class RepairStep:
    """A named repair and the one-line explanation shown in the summary."""

    name: str
    explanation: str
    apply: Repair


REPAIRS: dict[str, RepairStep] = {
    step.name: step
    for step in (
        RepairStep(
            "roles",
            "role names mapped to the format's vocabulary (Human -> user, GPT -> assistant)",
            normalise_roles,
        ),
        RepairStep(
            "repair-encoding",
            "mojibake repaired with ftfy (encoding fixes only)",
            repair_encoding,
        ),
        RepairStep(
            "strip",
            "leading/trailing whitespace trimmed (kept where a prompt meets its completion)",
            strip_whitespace,
        ),
    )
}


_FTFY_CONFIG: Any = None


def _fix_mojibake(text: str) -> str:
    global _FTFY_CONFIG
    if text.isascii():
        return text  # nothing to repair, and ftfy is the slow part
    import ftfy

    if _FTFY_CONFIG is None:
        _FTFY_CONFIG = ftfy.TextFixerConfig(
            unescape_html=False,
            remove_terminal_escapes=False,
            fix_latin_ligatures=False,
            fix_character_width=False,
            uncurl_quotes=False,
            fix_line_breaks=False,
            remove_control_chars=False,
            normalization=None,
            explain=False,
        )
    return str(ftfy.fix_text(text, _FTFY_CONFIG))
