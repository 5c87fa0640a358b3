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

from collections.abc import Mapping
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
    """The first `SYSTEM_KEYS` key of ``record`` that holds text, if any."""
    return next((k for k in SYSTEM_KEYS if isinstance(record.get(k), str)), None)


def first_key(record: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    """The first of ``keys`` present in ``record``, else the first of ``keys``."""
    return next((k for k in keys if k in record), keys[0])


def key_note(key: str, usual: str, what: str) -> str | None:
    """A mapping note when ``key`` is an alias of ``usual`` (None when it is the usual key).

    >>> key_note("response", "output", "the answer")
    '`response` as the answer (`output`)'
    """
    return None if key == usual else f"`{key}` as {what} (`{usual}`)"
