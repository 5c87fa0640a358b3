"""The fast twin of a tiktoken encoding: the same cookbook counting, quicktok's C++ BPE.

quicktok ships ``cl100k_base``, ``o200k_base`` and ``o200k_harmony`` with tiktoken's
pre-tokenizer compiled by hand. `build` serves one only when its vocabulary is the
reference's, byte for byte and id for id (special tokens included); the self-check of
`sftprep.tokens.fast` then compares ids on the built-in corpus.

Everything else is `TiktokenTokenizer`'s: the chat convention, the render layout and
the counts are inherited; only the calls that turn text into tokens change. Counting
uses ``count`` (no list of ids is built), rendering uses ``encode_ordinary``. As with
tiktoken, text that looks like a special token is ordinary text. Text with a code
point Unicode 14.0 does not assign, or a lone surrogate, goes to tiktoken
(`sftprep.tokens.unassigned`): the two libraries' Unicode tables may disagree there.

>>> from sftprep.tokens import get_tokenizer
>>> tok = get_tokenizer("cl100k_base", backend="fast")
>>> tok.count("<|endoftext|>")  # ordinary text, as the reference counts it
7
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from sftprep.model import PlainTurn
from sftprep.tokens.base import Counts, library_version
from sftprep.tokens.tiktoken_backend import TiktokenTokenizer
from sftprep.tokens.unassigned import Unassigned

# tiktoken encoding -> quicktok's name for the same vocabulary
SERVED = {
    "cl100k_base": "cl100k_base",
    "o200k_base": "o200k_base",
    "o200k_harmony": "o200k_harmony",
}


class FastTiktokenTokenizer(TiktokenTokenizer):
    """A tiktoken encoding counted by quicktok (see the module docstring)."""

    backend = "fast"

    def __init__(self, reference: TiktokenTokenizer, quick: Any) -> None:
        super().__init__(reference.name, reference.encoding, template=reference.template_option)
        self.quick = quick
        # Bound C++ methods: no Python frame between the hot loop and the BPE.
        self._count_text = quick.count
        self._encode_text = quick.encode_ordinary
        self._unassigned = Unassigned()

    def library(self) -> str:
        return library_version("quicktok-v1")

    def encode(self, text: str) -> list[int]:
        if self._unassigned.holds(text):
            return super().encode(text)
        return self._encode_text(text)  # type: ignore[no-any-return]

    def count(self, text: str) -> int:
        if self._unassigned.holds(text):
            return super().count(text)
        return self._count_text(text)  # type: ignore[no-any-return]

    def count_turns(self, turns: Sequence[PlainTurn], *, max_tokens: int | None = None) -> Counts:
        if self._holds_unassigned(turns):
            return super().count_turns(turns, max_tokens=max_tokens)
        return self._count_turns(turns, max_tokens, self._count_text)

    def _holds_unassigned(self, turns: Sequence[PlainTurn]) -> bool:
        """Whether a string of ``turns`` is one for tiktoken (`Unassigned`); a plain loop,
        as this runs for every record."""
        holds = self._unassigned.holds
        for role, content, name, call_id, _ in turns:
            if holds(content) or holds(role) or (name and holds(name)):
                return True
            if call_id and holds(call_id):
                return True
        return False

    def _decode_run(self, ids: list[int]) -> str:
        return str(self.quick.decode(ids))


def build(reference: TiktokenTokenizer, quicktok: Any) -> FastTiktokenTokenizer | str:
    """The fast twin of ``reference``, or why quicktok cannot serve it."""
    name = SERVED.get(reference.name)
    if name is None:
        return f"quicktok has no {reference.name} vocabulary (it has {', '.join(SERVED)})"
    quick = quicktok.get_encoding(name)
    problem = vocabulary_difference(quick, reference.encoding)
    if problem is not None:
        return problem
    return FastTiktokenTokenizer(reference, quick)


def vocabulary_difference(quick: Any, encoding: Any) -> str | None:
    """Where quicktok's vocabulary differs from the tiktoken encoding's (bytes of every id,
    special tokens included), or None."""
    if quick.n_vocab != encoding.n_vocab:
        return f"quicktok's {quick.name} has {quick.n_vocab} ids, tiktoken's {encoding.n_vocab}"
    if set(quick.special_tokens_set) != set(encoding.special_tokens_set):
        return f"quicktok's {quick.name} has other special tokens than tiktoken's"
    ours, theirs = quick.decode_single_token_bytes, encoding.decode_single_token_bytes
    ranks = range(len(encoding.token_byte_values()))  # ids 0..n-1 are the mergeable ranks
    try:
        if all(map(operator.eq, map(ours, ranks), map(theirs, ranks))):
            return _special_difference(quick, encoding)
    except KeyError:  # ranks with a gap: id by id, below
        pass
    for token in range(encoding.n_vocab):
        if _token_bytes(ours, token) != _token_bytes(theirs, token):
            return f"quicktok's {quick.name} differs from tiktoken's at id {token}"
    return None


def _special_difference(quick: Any, encoding: Any) -> str | None:
    for text in encoding.special_tokens_set:
        if quick.encode_single_token(text) != encoding.encode_single_token(text):
            return f"quicktok's {quick.name} gives {text} another id than tiktoken's"
    return None


def _token_bytes(decode: Any, token: int) -> bytes | None:
    try:
        return bytes(decode(token))
    except KeyError:  # an unused id (cl100k_base has one between its ranks and specials)
        return None
