"""Hugging Face tokenizers, with the model's chat template applied as transformers does.

The spec is a local tokenizer directory (``tokenizer.json`` + ``tokenizer_config.json``
with a ``chat_template``) or a Hub id (``Qwen/Qwen2.5-7B-Instruct``: needs the
network once, then the Hub cache; offline and not cached it fails with one line).
transformers is imported only here, when such a tokenizer is asked for.

**Rendering.** The conversation is rendered with ``apply_chat_template(messages,
tools=conversation.tools)`` (transformers' sandboxed Jinja environment) and the
text tokenized without extra special tokens, exactly like
``apply_chat_template(..., tokenize=True)``. Messages are OpenAI-style dicts;
tool-call ``arguments`` are handed over as a JSON object when they parse as one
(the transformers convention, which ``| tojson`` templates such as Qwen's expect);
a template that can only concatenate strings (DeepSeek-R1's) fails on that, and
the conversation is then rendered again with the arguments as their JSON text.
Reasoning goes in ``reasoning_content``.

**Trainable mask.** When the template marks assistant text with
``{% generation %}``, transformers' ``return_assistant_tokens_mask`` is used.
Otherwise each assistant message ``i`` (unless ``weight: 0``) is located in the
full rendering ``F`` by rendering prefixes, like torchtune, but by characters:

- it starts where ``render(messages[:i], add_generation_prompt=True)`` stops
  agreeing with ``F`` (the generation prompt, e.g. ``<|im_start|>assistant\\n``,
  is prompt: at inference the runtime supplies it; when they part inside one of
  that rendering's tokens, such as DeepSeek-R1's ``<think>``, at that token's start), and
- it ends where ``render(messages[:i+1])`` stops agreeing with ``F``, less
  trailing whitespace: the end-of-turn token (``<|im_end|>``) is trained, the
  newline separating turns is not.

Comparing by common prefix (not by "the prefix rendering is a prefix of the full
one") keeps this right for templates whose output is not monotonic in the
messages: DeepSeek-R1's strips ``<think>`` content from assistant turns, Qwen's
closes a tool-response block only after the last consecutive tool message.
A token is trainable when its character span overlaps an assistant span (the rule
transformers uses for ``{% generation %}`` masks).
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sftprep.errors import UsageError
from sftprep.model import Conversation, Message
from sftprep.tokens.base import (
    AssistantTurn,
    BaseTokenizer,
    RenderError,
    Rendering,
    is_trained,
    library_version,
    output_texts,
    register_backend,
    sane_max_length,
)

SURROGATE = re.compile("[\ud800-\udfff]")
GENERATION_TAG = re.compile(r"\{%-?\s*generation\s*-?%\}")
# Tokens that end a turn in common templates, besides the tokenizer's eos token.
END_OF_TURN_TOKENS = (
    "<|im_end|>",
    "<|eot_id|>",
    "<|end|>",
    "<end_of_turn>",
    "<|end_of_text|>",
    "<|endoftext|>",
    "</s>",
    "<｜end▁of▁sentence｜>",
)


class HFTokenizer(BaseTokenizer):
    """A Hugging Face tokenizer and its chat template (see the module docstring)."""

    kind = "hf"  # the registered backend that loads it
    spec: str  # a directory or a Hub id: always loadable again

    def __init__(self, spec: str, tokenizer: Any, *, template: str = "auto") -> None:
        self.spec = spec
        path = Path(spec)
        self.name = path.name if path.is_dir() else spec
        self.tokenizer = tokenizer
        self.template_option = template
        self._fast = tokenizer.backend_tokenizer
        has_template = bool(getattr(tokenizer, "chat_template", None))
        self.template = "chat_template" if template == "auto" and has_template else "none"
        chat_template = tokenizer.chat_template if has_template else ""
        self._generation_marks = bool(
            isinstance(chat_template, str) and GENERATION_TAG.search(chat_template)
        )
        self.model_max_length = sane_max_length(getattr(tokenizer, "model_max_length", None))
        self.eot_ids = _end_of_turn_ids(tokenizer)

    @classmethod
    def load(cls, spec: str, template: str = "auto") -> HFTokenizer:
        return cls(spec, _load(spec), template=template)

    def library(self) -> str:
        """The library that counts, with its version (``tokenizers 0.21.0``)."""
        return library_version("tokenizers")

    def special_tokens(self) -> frozenset[str]:
        """The text of every special token: bos/eos/unk/pad, the additional special
        tokens and each added token marked special (`special-token-leak` uses them)."""
        tokens = {str(t) for t in getattr(self.tokenizer, "all_special_tokens", ()) or ()}
        decoder = getattr(self.tokenizer, "added_tokens_decoder", None) or {}
        tokens.update(str(t.content) for t in decoder.values() if getattr(t, "special", False))
        return frozenset(t for t in tokens if t)

    # --- text ---------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        return list(self._encoding(text).ids)

    def count(self, text: str) -> int:
        return len(self._encoding(text).ids)

    def _encoding(self, text: str) -> Any:
        """The fast tokenizer's encoding of ``text``, without special tokens added.

        Lone surrogates (``"\\ud800"`` in JSON) are read as U+FFFD, as tiktoken does:
        the Rust tokenizer refuses them, and one record must not stop the count. The
        replacement keeps every character offset.
        """
        try:
            return self._fast.encode(text, add_special_tokens=False)
        except TypeError:
            return self._fast.encode(SURROGATE.sub("\ufffd", text), add_special_tokens=False)

    def decode(self, ids: Sequence[int]) -> str:
        return str(self.tokenizer.decode(list(ids)))

    # --- conversations -----------------------------------------------------------------

    def render_turns(self, conversation: Conversation) -> Rendering:
        """Ids, trainable mask and assistant turns of ``conversation`` (raises `RenderError`)."""
        if self.template == "none":
            return self._render_plain(conversation)
        if not conversation.messages:
            raise RenderError("the conversation has no messages")
        # A template is code from the tokenizer folder: a loop of range(100000) must cost
        # one record a finding, not the run its time.
        with time_limit(TEMPLATE_SECONDS):
            return self._render_turns(conversation)

    def _render_turns(self, conversation: Conversation) -> Rendering:
        tools = list(conversation.tools) or None
        messages = template_messages(conversation.messages, arguments="object")
        try:
            return self._render_chat(messages, tools, conversation.messages)
        except RenderError:
            if not _has_object_arguments(messages):
                raise
        messages = template_messages(conversation.messages, arguments="text")
        return self._render_chat(messages, tools, conversation.messages)

    def _apply(
        self, messages: list[dict[str, Any]], tools: Any, *, generation_prompt: bool = False
    ) -> str:
        try:
            text = self.tokenizer.apply_chat_template(
                messages, tools=tools, tokenize=False, add_generation_prompt=generation_prompt
            )
        except Exception as exc:  # jinja2 errors, TypeError, raise_exception(...) in templates
            raise RenderError(f"the chat template failed: {_one_line(exc)}") from exc
        text = str(text)
        _check_size(text, messages, tools)
        return text

    def _render_chat(
        self, messages: list[dict[str, Any]], tools: Any, source: Sequence[Message]
    ) -> Rendering:
        if self._generation_marks:
            return self._render_marked(messages, tools, source)
        full = self._apply(messages, tools)
        encoding = self._encoding(full)
        ids = list(encoding.ids)
        spans: list[tuple[int, int, int]] = []  # (message, start char, end char)
        last = len(messages) - 1
        for i, message in enumerate(source):
            if not is_trained(message):
                continue
            start = 0
            if i > 0:
                start = self._prompt_end(
                    self._apply(messages[:i], tools, generation_prompt=True), full
                )
            end = (
                len(full)
                if i == last
                else _common_prefix(self._apply(messages[: i + 1], tools), full)
            )
            while end > start and full[end - 1].isspace():
                end -= 1
            spans.append((i, start, max(start, end)))
        return self._mask_from_spans(ids, encoding, spans)

    def _prompt_end(self, prompt: str, full: str) -> int:
        """Where the generation-prompt rendering ``prompt`` stops agreeing with ``full``.

        A token is atomic: when the two part inside one of the prompt's tokens, that
        token is not in ``full`` and the reply starts where it starts. DeepSeek-R1's
        prompt ends in ``<think>\\n``, which the rendered reply does not contain: a
        reply starting with ``<`` would otherwise lose its first character.
        """
        agreed = _common_prefix(prompt, full)
        if agreed >= len(prompt):
            return agreed
        encoding = self._encoding(prompt)
        token = encoding.char_to_token(agreed)
        if token is None:
            return agreed
        return min(agreed, int(encoding.token_to_chars(token)[0]))

    def _mask_from_spans(
        self, ids: list[int], encoding: Any, spans: list[tuple[int, int, int]]
    ) -> Rendering:
        """Mark every token whose characters overlap a span (transformers' rule for
        ``{% generation %}`` masks); spans are in order and do not overlap."""
        n = len(ids)
        mask = [False] * n
        turns: list[AssistantTurn] = []
        token = 0
        for message, start, end in spans:
            first = last = _char_token(encoding, start, end, token)
            if first is None or end <= start:
                turns.append(AssistantTurn(message, token, token, False))
                continue
            last = _char_token(encoding, end - 1, start - 1, first, backwards=True)
            assert last is not None
            # Tokens sharing a character (a multi-byte character split over two tokens)
            chars = encoding.token_to_chars
            while first > token and chars(first - 1)[1] > start:
                first -= 1
            while last + 1 < n and chars(last + 1)[0] < end:
                last += 1
            mask[first : last + 1] = [True] * (last + 1 - first)
            token = last + 1
            # The span ends at its last non-space character: the turn's own terminator.
            turns.append(AssistantTurn(message, first, token, ids[last] in self.eot_ids))
        return Rendering(ids, mask, tuple(turns))

    def _render_marked(
        self, messages: list[dict[str, Any]], tools: Any, source: Sequence[Message]
    ) -> Rendering:
        try:
            out = self.tokenizer.apply_chat_template(
                messages,
                tools=tools,
                tokenize=True,
                return_dict=True,
                return_assistant_tokens_mask=True,
            )
        except Exception as exc:
            raise RenderError(f"the chat template failed: {_one_line(exc)}") from exc
        ids = list(out["input_ids"])
        if len(ids) > TEMPLATE_SLACK and len(ids) > _size_limit(messages, tools):
            raise RenderError(
                f"the chat template rendered {len(ids):,} tokens from a much shorter record; "
                "stopped (a template that repeats or loops)"
            )
        mask = [bool(m) for m in out["assistant_masks"]]
        runs: list[tuple[int, int]] = []
        for t, on in enumerate(mask):
            if on and (t == 0 or not mask[t - 1]):
                runs.append((t, t + 1))
            elif on:
                runs[-1] = (runs[-1][0], t + 1)
        assistant = [i for i, m in enumerate(source) if m.role == "assistant"]
        turns = []
        for k, (start, end) in enumerate(runs):
            message = assistant[k] if k < len(assistant) else -1
            if message >= 0 and not is_trained(source[message]):  # weight 0
                mask[start:end] = [False] * (end - start)
                continue
            last = end - 1
            while last > start and not self.tokenizer.decode([ids[last]]).strip():
                last -= 1  # a newline marked after the terminator
            turns.append(AssistantTurn(message, start, end, ids[last] in self.eot_ids))
        return Rendering(ids, mask, tuple(turns))

    def _render_plain(self, conversation: Conversation) -> Rendering:
        ids: list[int] = []
        mask: list[bool] = []
        turns: list[AssistantTurn] = []
        for i, message in enumerate(conversation.messages):
            trained = is_trained(message)
            first = len(ids)
            for text in output_texts(message):
                piece = self.encode(text)
                ids.extend(piece)
                mask.extend([trained] * len(piece))
            if trained:
                turns.append(AssistantTurn(i, first, len(ids)))
        return Rendering(ids, mask, tuple(turns))


# --- messages for templates ---------------------------------------------------------------


def template_messages(
    messages: Sequence[Message], *, arguments: str = "object"
) -> list[dict[str, Any]]:
    """OpenAI-style dicts for ``apply_chat_template``; ``arguments="object"`` parses tool-call
    arguments that are a JSON object, ``"text"`` keeps the JSON text."""
    out = []
    for m in messages:
        d: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.name is not None:
            d["name"] = m.name
        if m.reasoning is not None:
            d["reasoning_content"] = m.reasoning
        if m.tool_calls:
            d["tool_calls"] = [
                {
                    **({"id": c.id} if c.id is not None else {}),
                    "type": c.type,
                    "function": {
                        "name": c.name,
                        "arguments": _arguments(c.arguments)
                        if arguments == "object"
                        else c.arguments,
                    },
                }
                for c in m.tool_calls
            ]
        if m.tool_call_id is not None:
            d["tool_call_id"] = m.tool_call_id
        out.append(d)
    return out


def _arguments(text: str) -> Any:
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return text
    return value if isinstance(value, dict) else text


def _has_object_arguments(messages: list[dict[str, Any]]) -> bool:
    return any(
        isinstance(call["function"]["arguments"], dict)
        for m in messages
        for call in m.get("tool_calls", ())
    )


def _char_token(
    encoding: Any, char: int, stop: int, floor: int, *, backwards: bool = False
) -> int | None:
    """The token holding character ``char``, moving towards ``stop`` past characters
    no token holds; ``None`` when none in between does (or it lies before ``floor``)."""
    step = -1 if backwards else 1
    while char != stop:
        token = encoding.char_to_token(char)
        if token is not None and token >= floor:
            return int(token)
        char += step
    return None


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix of ``a`` and ``b``."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _end_of_turn_ids(tokenizer: Any) -> frozenset[int]:
    ids = set()
    eos = getattr(tokenizer, "eos_token_id", None)
    if isinstance(eos, int):
        ids.add(eos)
    vocab = tokenizer.get_added_vocab()  # special tokens only: "</s>" may be plain text in a BPE
    for token in END_OF_TURN_TOKENS:
        if token in vocab:
            ids.add(vocab[token])
    return frozenset(ids)


# --- loading ------------------------------------------------------------------------------


def _accepts(spec: str) -> bool:
    path = Path(spec)
    if path.is_dir():
        return True
    parts = spec.split("/")
    return len(parts) == 2 and all(parts) and not path.exists() and not spec.startswith(".")


def _load(spec: str) -> Any:
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise UsageError(
            f"tokenizer {spec!r} needs transformers: pip install 'sftprep[hf]'"
        ) from None
    path = Path(spec)
    if (
        path.is_dir()
        and not (path / "tokenizer.json").exists()
        and not (path / "tokenizer_config.json").exists()
    ):
        raise UsageError(f"{spec}: not a tokenizer directory (no tokenizer.json)")
    options: dict[str, Any] = {}
    if not path.is_dir():
        from sftprep.io.hf import hub_reachable

        # Offline: the local cache only, at once, instead of a minute of retries (each
        # printed as a line with the URL) before the same error.
        if not hub_reachable():
            options["local_files_only"] = True
    try:
        # Never the folder's own Python code (auto_map): no prompt, no execution.
        tokenizer = AutoTokenizer.from_pretrained(spec, trust_remote_code=False, **options)
    except BaseException as exc:  # a Rust panic is a BaseException
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        if path.is_dir():
            raise UsageError(f"cannot load tokenizer from {spec}: {_one_line(exc)}") from None
        raise UsageError(
            f"cannot load tokenizer {spec!r} from the Hugging Face Hub (offline or unknown id, "
            f"{type(exc).__name__}); download it once with network, or pass a local directory "
            "with tokenizer.json and tokenizer_config.json"
        ) from None
    if getattr(tokenizer, "backend_tokenizer", None) is None:
        raise UsageError(
            f"tokenizer {spec!r} has no fast (tokenizers) backend; it is not supported"
        )
    return tokenizer


TEMPLATE_SECONDS = 10.0  # per record, all the template's renderings together
TEMPLATE_GROWTH = 8  # a rendering may be this many times its messages' size, plus ...
TEMPLATE_SLACK = 1_000_000  # ... this many characters of template text


class _TemplateTimeout(BaseException):
    """Raised by the alarm; a BaseException so no ``except Exception`` in a template
    library swallows it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop the block with `RenderError` after ``seconds`` (main thread only: where a
    signal cannot be had, the block runs without a limit)."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
        or signal.getitimer(signal.ITIMER_REAL)[0] > 0  # someone else's timer: leave it
    ):
        yield
        return

    def alarm(signum: int, frame: Any) -> None:
        raise _TemplateTimeout

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _TemplateTimeout:
        raise RenderError(
            f"the chat template ran past {seconds:g} s on this record and was stopped "
            "(a template that loops or repeats)"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _size_limit(messages: list[dict[str, Any]], tools: Any) -> int:
    try:
        size = len(json.dumps(messages, default=str)) + len(json.dumps(tools, default=str))
    except (RecursionError, ValueError):
        return 1 << 62
    return TEMPLATE_GROWTH * size + TEMPLATE_SLACK


def _check_size(text: str, messages: list[dict[str, Any]], tools: Any) -> None:
    # Measured only past the slack: most renderings never pay for the bound.
    if len(text) > TEMPLATE_SLACK and len(text) > _size_limit(messages, tools):
        raise RenderError(
            f"the chat template rendered {len(text):,} characters from a much shorter record; "
            "stopped (a template that repeats or loops)"
        )


register_backend(
    "hf",
    _accepts,
    HFTokenizer.load,
    description="Hugging Face tokenizers (local directory or Hub id) and their chat template",
    specs="a local Hugging Face tokenizer directory, or a Hub id (org/name)",
    order=20,
)
