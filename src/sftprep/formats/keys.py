"""The keys that say when two records, or two prompts, are the same: one owner.

Every dedupe in sftprep builds its key here, so that the rules, ``fix`` and ``split``
can never disagree about what a copy is:

- `record_digest`: exact copies. The `duplicate` rule and ``fix --dedupe`` compare it.
- `same_prompt_key`: the prompt "up to case and spacing" (`fold_space`): every turn
  before the first reply plus the record's other inputs. ``duplicate-prompt`` reports
  records that share it.
- `prompt_group_key`: ``split``'s groups, deliberately coarser (`normalise_prompt` drops
  punctuation too, and only the first user message counts), so that records the
  ``duplicate-prompt`` rule calls the same prompt always land in one split.

`digest` is the one hash behind them (and behind the other content keys of the
package: media bytes, n-grams, seeded orderings).

>>> record_digest({"b": 1, "a": [1, 2]}) == record_digest({"a": [1, 2], "b": 1})
True
>>> normalise_prompt("  What is UP?!  "), fold_space("  What is  UP?! ")
('what is up', 'what is up?!')
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

import orjson

from sftprep.formats.aliases import PROMPT_INPUT_KEYS

if TYPE_CHECKING:
    from sftprep.model import Conversation

_NON_WORD = re.compile(r"[\W_]+")


def canonical_json(value: Any) -> str:
    """Key order and whitespace independent JSON text of a record.

    >>> canonical_json({"b": 1, "a": "é"})
    '{"a":"é","b":1}'
    """
    try:
        return json.dumps(
            value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr
        )
    except RecursionError:  # a record nested close to a thousand levels
        from sftprep.io.text import deep_dumps

        return deep_dumps(value, sort_keys=True, ensure_ascii=False)


def digest(data: str | bytes, size: int = 16) -> bytes:
    """A BLAKE2b digest of ``data`` (text as UTF-8, lone surrogates kept).

    16 bytes by default: collisions are negligible below 2**60 records.

    >>> digest("abc", size=4).hex()
    '63906248'
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return hashlib.blake2b(raw, digest_size=size).digest()


def record_digest(record: Any) -> bytes:
    """The digest of a record's canonical JSON: equal for records equal as JSON values.

    orjson writes the sorted, compact form several times faster than `json`; what it
    refuses (lone surrogates, integers past 64 bits) goes through `canonical_json`.
    Equal records always take the same path, so they always get the same digest.
    """
    try:
        data = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    except (TypeError, ValueError):
        return digest(canonical_json(record))
    return digest(data)


def fold_space(text: str) -> str:
    """``text`` up to case and spacing: runs of whitespace as one space, case-folded."""
    return " ".join(text.split()).casefold()


def normalise_prompt(text: str) -> str:
    """Lower-case ``text`` and collapse every run of whitespace/punctuation to one space."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


def same_prompt_key(conv: Conversation) -> tuple[str, str | None, str] | None:
    """``(key, field of the prompt's last turn, its text)``, or None when the prompt is empty.

    The prompt is every turn before the first assistant reply (`fold_space`d) plus the
    record's other inputs (media, documents: `PROMPT_INPUT_KEYS`, and content parts that
    are not text), so that records differing only in those are different prompts.

    >>> from sftprep.model import Conversation, Message
    >>> conv = Conversation((Message("user", "Hi  THERE"), Message("assistant", "Hello")))
    >>> same_prompt_key(conv)
    ('user\\x00hi there', None, 'Hi  THERE')
    """
    parts: list[str] = []
    field: str | None = None
    shown = ""
    for message in conv.messages:
        if message.role == "assistant":
            break
        text = fold_space(message.text)
        if text:
            parts.append(f"{message.role}\x00{text}")
            field, shown = message.content_field or message.field or None, message.text
        media = [v for k, v in message.extra.items() if "[" in k]
        if media:
            parts.append("\x02" + canonical_json(media))
    if not parts:
        return None
    inputs = {k: conv.metadata[k] for k in PROMPT_INPUT_KEYS if k in conv.metadata}
    if inputs:
        parts.append("\x02" + canonical_json(inputs))
    return "\x01".join(parts), field, shown


def prompt_group_key(conversation: Conversation | None, raw: Any) -> str:
    """The text that decides a record's ``split`` group: its normalised first user message.

    Records without a user message fall back to all their message text, then to the
    `canonical_json` of the raw record (so exact duplicates still group together).

    >>> from sftprep.model import Conversation, Message
    >>> prompt_group_key(Conversation((Message("user", "What is UP?"),)), None)
    'u:what is up'
    >>> prompt_group_key(None, {"b": 1, "a": 2})
    'r:{"a":2,"b":1}'
    """
    if conversation is not None:
        for message in conversation.messages:
            if message.role == "user" and message.text.strip():
                return "u:" + normalise_prompt(message.text)
        text = " ".join(m.text for m in conversation.messages)
        if text.strip():
            return "t:" + normalise_prompt(text)
    return "r:" + canonical_json(raw)
