"""One table of the names datasets use for the same thing: roles, system prompts, answers.

Vendors spell the same conversation differently: Cohere writes ``System``/``User``/
``Chatbot``, Gemini ``model``, ShareGPT ``human``/``gpt``, Llama 3.1 tool results come
as ``ipython``; Anthropic and Bedrock put the system prompt in a top-level ``system``
beside ``messages``, other exports in a ``system_prompt`` column; GPTeacher names
Alpaca's answer ``response``. Every reader (check, stats, estimate, report) and every
writer (fix, convert) looks names up here, so a name is understood the same way
everywhere, and a name read through an alias is said once per file (the
`mapped-names` rule), never silently.

>>> canonical_role("Chatbot"), canonical_role("ipython"), canonical_role("bott")
('assistant', 'tool', None)
>>> system_key({"system_prompt": "Be brief.", "prompt": "Hi"})
'system_prompt'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Case-folded role spelling -> canonical role. ShareGPT's ``function_call`` is not here:
# it is an assistant *tool call*, which its adapter reads as such.
ROLE_ALIASES: Mapping[str, str] = {
    **dict.fromkeys(("system", "developer", "sys"), "system"),
    **dict.fromkeys(("user", "human", "prompter", "usr", "customer", "client"), "user"),
    **dict.fromkeys(
        (
            "assistant",
            "gpt",
            "bot",
            "model",
            "chatbot",
            "chatgpt",
            "bing",
            "bard",
            "ai",
            "claude",
            "agent",
        ),
        "assistant",
    ),
    **dict.fromkeys(
        ("tool", "function", "observation", "ipython", "tool_response", "function_response"),
        "tool",
    ),
}

# Top-level keys holding a conversation-wide system prompt, in the order they are tried.
SYSTEM_KEYS: tuple[str, ...] = ("system", "system_prompt", "system_message", "systemPrompt")

# Columns holding the media a conversation refers to (LLaMA-Factory, LLaVA, TRL, aiDAPTIV+).
MEDIA_KEYS: tuple[str, ...] = (
    "images",
    "image",
    "videos",
    "video",
    "audios",
    "audio",
    "image_path",
    "image_url",
)
# Columns that are part of a prompt's input without being its text: two records asking
# the same question about different documents or images do not share a prompt.
PROMPT_INPUT_KEYS: tuple[str, ...] = (
    *MEDIA_KEYS,
    "context",
    "oracle_context",
    "documents",
    "passages",
    "retrieved_context",
    "knowledge",
)


# The two answers of a preference pair: TRL, LLaMA-Factory v1, OpenAI's preference
# fine-tuning, StackExchangePaired (torchtune: `response_j` is preferred), and ms-swift
# (`messages` ending on the chosen answer, beside `rejected_response`).
CHOSEN_KEYS = ("chosen", "chosen_messages", "preferred_output", "response_j", "messages")
REJECTED_KEYS = (
    "rejected",
    "rejected_messages",
    "non_preferred_output",
    "response_k",
    "rejected_response",
)


def canonical_role(name: Any) -> str | None:
    """The canonical role a spelling stands for (case-insensitive), or None if unknown."""
    if not isinstance(name, str):
        return None
    return ROLE_ALIASES.get(name.strip().casefold())


def read_role(name: Any, native: frozenset[str]) -> tuple[str, str | None]:
    """``(role, note)``: the canonical role, and a note when the spelling is not one of
    the format's ``native`` names (``"role 'Chatbot' as assistant"``); an unknown name is
    returned as written, for `invalid-role`.

    >>> read_role("User", frozenset({"user"}))
    ('user', "role 'User' as user")
    >>> read_role("gpt", frozenset({"gpt", "human"}))
    ('assistant', None)
    """
    raw = name if isinstance(name, str) else ""
    role = canonical_role(raw)
    if role is None:
        return raw, None
    return role, (None if raw in native or raw == role else f"role {raw!r} as {role}")


def system_key(record: Mapping[str, Any]) -> str | None:
    """The first `SYSTEM_KEYS` key of ``record`` that holds text, if any: an empty
    column ("" or null, as OpenHermes and orca_dpo_pairs write it) is no system prompt."""
    return next((k for k in SYSTEM_KEYS if (system_text(record.get(k)) or "").strip()), None)


def system_text(value: Any) -> str | None:
    """A system prompt's text: a string, or a list of text blocks (Anthropic's and
    Bedrock's ``[{"type": "text", "text": ...}]``, joined); None for anything else.

    >>> system_text([{"text": "Be brief."}, {"type": "text", "text": " Use English."}])
    'Be brief. Use English.'
    """
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(_text_block(b) for b in value):
        return "".join(b["text"] for b in value)
    return None


def _text_block(block: Any) -> bool:
    return (
        isinstance(block, Mapping)
        and isinstance(block.get("text"), str)
        and block.get("type", "text") == "text"
    )


def first_key(record: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    """The first of ``keys`` present in ``record``, else the first of ``keys``."""
    return next((k for k in keys if k in record), keys[0])


def key_note(key: str, usual: str, what: str) -> str | None:
    """A mapping note when ``key`` is an alias of ``usual`` (None when it is the usual key).

    >>> key_note("response", "output", "the answer")
    '`response` as the answer (`output`)'
    """
    return None if key == usual else f"`{key}` as {what} (`{usual}`)"


# `--map` shorthands: a role names the key that holds it in a single-turn record.
ROLE_KEYS = {"user": "prompt", "assistant": "completion"}


class KeyMap:
    """Columns the user says how to read (``--map NAME=KEY``): each record's ``KEY`` is
    read as ``NAME``, before the format is detected and the record adapted.

    ``NAME`` is any key a format reads (``output``, ``system``, ``messages``...); the
    roles ``user`` and ``assistant`` stand for ``prompt`` and ``completion``. A record
    that already has ``NAME`` keeps it (and ``KEY`` stays unread, so it is reported).

    >>> keys = KeyMap.parse(["user=question", "assistant=query"])
    >>> record, notes = keys.apply({"question": "All users?", "query": "SELECT * FROM users"})
    >>> record
    {'prompt': 'All users?', 'completion': 'SELECT * FROM users'}
    >>> notes
    ['`question` as `prompt` (--map)', '`query` as `completion` (--map)']
    """

    def __init__(self, pairs: tuple[tuple[str, str], ...] = ()) -> None:
        self.pairs = pairs

    def __bool__(self) -> bool:
        return bool(self.pairs)

    @classmethod
    def parse(cls, specs: Sequence[str] | None) -> KeyMap:
        """``NAME=KEY`` strings; a malformed one or a key mapped twice is a `UsageError`."""
        from sftprep.errors import UsageError

        pairs: list[tuple[str, str]] = []
        for spec in specs or ():
            name, sep, key = (part.strip() for part in spec.partition("="))
            if not sep or not name or not key:
                raise UsageError(f"--map {spec!r}: expected NAME=KEY, e.g. --map output=answer")
            pairs.append((ROLE_KEYS.get(name.casefold(), name), key))
        for label, values in (("name", [n for n, _ in pairs]), ("key", [k for _, k in pairs])):
            twice = {v for v in values if values.count(v) > 1}
            if twice:
                raise UsageError(f"--map gives the {label} {sorted(twice)[0]!r} twice")
        return cls(tuple(pairs))

    def apply(self, record: Any) -> tuple[Any, list[str]]:
        """``record`` with the mapped keys renamed (a new dict), and a note for each."""
        if not self.pairs or not isinstance(record, Mapping):
            return record, []
        moves = [(n, k) for n, k in self.pairs if k in record and n not in record]
        if not moves:
            return record, []
        renamed = {k: n for n, k in moves}
        out = {renamed.get(key, key): value for key, value in record.items()}
        return out, [f"`{k}` as `{n}` (--map)" for n, k in moves]

    def __getstate__(self) -> tuple[tuple[str, str], ...]:
        return self.pairs

    def __setstate__(self, pairs: tuple[tuple[str, str], ...]) -> None:
        self.pairs = pairs
