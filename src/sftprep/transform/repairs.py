"""Safe repairs on raw records, each a small named step that says whether it changed anything.

A repair takes a raw record (a copy: the input is never touched) and the format
adapter that read it, and returns the repaired record plus whether it changed. Repairs only touch
string values (never keys) of the keys the format reads (its metadata and keys it
does not know are written back as they were), and never add or remove fields, so the
record keeps its format. `sftprep fix` counts, per repair, the records it changed.

>>> strip_text("  Hello there \\n")
'Hello there'
>>> from sftprep.formats import get_format
>>> normalise_roles({"messages": [{"role": "Human", "content": "hi"}]}, get_format("messages"))
({'messages': [{'role': 'user', 'content': 'hi'}]}, True)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sftprep.formats.aliases import canonical_role
from sftprep.formats.base import Format
from sftprep.formats.turns import NATIVE_ROLES
from sftprep.registry import Registry

Repair = Callable[[Any, Format], tuple[Any, bool]]

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
CONCATENATED = {
    "prompt-completion": frozenset({"prompt", "completion", "response"}),
    # TRL joins prompt and answer as written; an HH-RLHF transcript starts with "\n\nHuman:"
    "dpo": frozenset({"prompt", "chosen", "rejected"}),
    "kto": frozenset({"prompt", "completion"}),
    "prompt-only": frozenset({"prompt"}),  # Nectar's prompts are HH-RLHF transcripts
}


def _on_read_keys(record: Any, fmt: Format, fix: Callable[[str, Any], Any]) -> tuple[Any, bool]:
    """``record`` with ``fix(key, value)`` applied to the values of the keys ``fmt`` reads
    into the conversation (not its metadata, not keys it does not know)."""
    if not isinstance(record, dict):
        return record, False
    keys = fmt.known_keys - fmt.metadata
    fixed = {k: fix(k, v) if k in keys else v for k, v in record.items()}
    return fixed, fixed != record


def strip_whitespace(record: Any, fmt: Format) -> tuple[Any, bool]:
    keep = CONCATENATED.get(fmt.name, frozenset())
    return _on_read_keys(
        record,
        fmt,
        lambda key, value: (
            value if key in keep and isinstance(value, str) else map_strings(value, strip_text)
        ),
    )


def repair_encoding(record: Any, fmt: Format) -> tuple[Any, bool]:
    """Undo mojibake (UTF-8 read as Latin-1/cp1252 and similar) with ftfy.

    Only ftfy's encoding fixes are enabled: quotes, ligatures, full-width characters,
    HTML entities and Unicode normalisation are left alone because in code and
    multilingual text they are content, not damage.
    """
    return _on_read_keys(record, fmt, lambda _, value: map_strings(value, _fix_mojibake))


def canonical_name(value: str, role_key: str) -> str | None:
    """The name ``value`` should be written as in a turn whose role is at ``role_key``:
    ShareGPT's own names in ``from`` turns, the canonical ones in ``role`` turns (None:
    an unknown spelling)."""
    sharegpt = role_key == "from"
    if sharegpt and value.strip().casefold() in SHAREGPT_KEPT:
        return value.strip().casefold()
    if not sharegpt and value in NATIVE_ROLES["role"]:
        return value  # OpenAI's own `function` (legacy) and `developer`: valid as written
    role = canonical_role(value)
    if role is None:
        return None
    return SHAREGPT_NAMES[role] if sharegpt else role


def normalise_roles(record: Any, fmt: Format) -> tuple[Any, bool]:
    """Map role spellings ("Human", "Chatbot", "model") to the turn's own vocabulary,
    through the alias table readers use (`sftprep.formats.aliases`), in every list of
    turns (or single turn: LLaMA-Factory's ``chosen``) the format reads."""
    native = fmt.native_roles
    return _on_read_keys(record, fmt, lambda _, value: _turns(value, native))


def _turns(value: Any, native: frozenset[str]) -> Any:
    if isinstance(value, list):
        return [_turn(t, native) if isinstance(t, dict) else t for t in value]
    return _turn(value, native) if isinstance(value, dict) else value


def _turn(turn: dict[str, Any], native: frozenset[str]) -> dict[str, Any]:
    for role_key in ("role", "from"):
        value = turn.get(role_key)
        if isinstance(value, str) and value not in native:
            canonical = canonical_name(value, role_key)
            if canonical is not None and canonical != value:
                return {**turn, role_key: canonical}
    return turn


@dataclass(frozen=True)
class RepairStep:
    """A named repair and the one-line explanation shown in the summary."""

    name: str
    explanation: str
    apply: Repair


# The repairs `fix` applies, in this order.
REPAIRS: Registry[RepairStep] = Registry("repair")
for _step in (
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
):
    REPAIRS.add(_step.name, _step)


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
