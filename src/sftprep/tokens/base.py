"""The tokenizer protocol and the registry of tokenizer backends.

Every backend (tiktoken encodings, Hugging Face tokenizers) offers the same few
methods: `count` and `encode` for plain text, `render` for a whole conversation
(token ids plus a trainable mask: ``True`` where the trainer computes the loss),
and `count_conversation` for the fast path that only needs the numbers.

A *backend* is registered with a name, a predicate saying whether it accepts a
spec (``"cl100k_base"``, ``"gpt-4o"``, ``"../tokenizers/qwen2.5"``,
``"Qwen/Qwen2.5-7B-Instruct"``) and a loader; `get_tokenizer` asks them in order,
or directly with a ``backend:spec`` prefix (``"hf:Qwen/Qwen2.5-7B-Instruct"``).
Loaded tokenizers are cached per ``(spec, template, choice)``.

**Reference or fast.** What a backend loads is the *reference* tokenizer (tiktoken,
Hugging Face tokenizers). The *fast* one (`sftprep.tokens.fast`: quicktok, C++) gives
the same ids and counts, checked against the reference when it loads. ``choice``
(``--tokenizer-backend``) picks: ``"reference"``, ``"fast"`` (an error when quicktok
cannot serve the vocabulary) or ``"auto"`` (fast when it can, else the reference,
saying why once). A spec may carry the choice as a prefix (``"fast:cl100k_base"``),
so that a plain string (a rule option, a worker's job) names the same tokenizer.

>>> tok = get_tokenizer("cl100k_base")
>>> tok.count("hello world")
2
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, runtime_checkable

from sftprep.errors import UsageError
from sftprep.model import Conversation, Message, PlainTurn

DEFAULT_TOKENIZER = "cl100k_base"
TEMPLATES = ("auto", "none")
CHOICES = ("auto", "reference", "fast")  # --tokenizer-backend
MAX_SANE_CONTEXT = 10_000_000  # HF uses int(1e30) for "no limit"


@dataclass(frozen=True, slots=True)
class AssistantTurn:
    """Where one assistant message's trainable tokens sit in a rendering.

    ``start``/``end`` index the token ids; ``eot_trained`` says whether an
    end-of-turn token is among them (``None`` when the backend has no notion of
    one, as with the OpenAI counting convention).
    """

    message: int
    start: int
    end: int
    eot_trained: bool | None = None


@dataclass(frozen=True, slots=True)
class Rendering:
    """A conversation as the trainer sees it: ids, loss mask, and the assistant turns."""

    ids: list[int]
    mask: list[bool]
    turns: tuple[AssistantTurn, ...] = ()

    @property
    def total(self) -> int:
        return len(self.ids)

    @property
    def trainable(self) -> int:
        return sum(self.mask)

    def trainable_within(self, max_tokens: int | None) -> int:
        """Trainable tokens that survive truncation to the first ``max_tokens``."""
        if max_tokens is None:
            return self.trainable
        return sum(self.mask[:max_tokens])


@dataclass(frozen=True, slots=True)
class Counts:
    """The numbers `count_conversation` returns for one conversation."""

    total: int
    trainable: int
    turns: int
    kept: int | None = None  # trainable tokens within max_tokens, when a limit was given

    @property
    def prompt(self) -> int:
        return self.total - self.trainable


@runtime_checkable
class Tokenizer(Protocol):
    """What every backend offers (see the module docstring)."""

    name: str
    kind: str
    template: str
    model_max_length: int | None

    def count(self, text: str) -> int: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...

    def render(self, conversation: Conversation) -> tuple[list[int], list[bool]]: ...

    def render_turns(self, conversation: Conversation) -> Rendering: ...

    def count_conversation(
        self, conversation: Conversation, *, max_tokens: int | None = None
    ) -> Counts: ...

    def count_turns(
        self, turns: Sequence[PlainTurn], *, max_tokens: int | None = None
    ) -> Counts: ...

    def count_fields(self, conversation: Conversation) -> dict[str, int]: ...

    def describe(self) -> dict[str, Any]: ...


class RenderError(Exception):
    """A conversation the chat template cannot render: a dataset problem, reported per record."""


# What a tokenizer library raises when one record defeats it: Rust panics surface as
# pyo3's PanicException, which derives from BaseException (not Exception), so
# ``except Exception`` lets them through to the user as a traceback.
_LIBRARY_FAILURES = (ValueError, RuntimeError, OverflowError, RecursionError, MemoryError)


def tokenizer_failure(exc: BaseException) -> RenderError | None:
    """``exc`` raised by a tokenizer on one record, as a `RenderError` for that record;
    None for what must go on unwinding (Ctrl-C, SIGTERM, exit, our own bugs)."""
    if isinstance(exc, RenderError):
        return exc
    panic = type(exc).__name__ == "PanicException"
    if not panic and not isinstance(exc, _LIBRARY_FAILURES):
        return None
    detail = (str(exc).splitlines() or [""])[0][:200]
    what = "the tokenizer library crashed" if panic else "the tokenizer failed"
    return RenderError(f"{what} on this record ({type(exc).__name__}: {detail})")


def conversation_of(turns: Sequence[PlainTurn]) -> Conversation:
    """Text-only turns as a `Conversation`, for backends that count conversations only."""
    messages = tuple(
        Message(role, content, name=name, tool_call_id=call_id, weight=weight)
        for role, content, name, call_id, weight in turns
    )
    return Conversation(messages)


def is_trained(message: Message) -> bool:
    """Assistant messages are trained, unless ``weight`` is 0 (OpenAI's per-message weight)."""
    if message.role != "assistant":
        return False
    weight = message.weight
    return not (isinstance(weight, (int, float)) and weight == 0)


def output_texts(message: Message) -> list[str]:
    """What a message's author wrote: content, reasoning, each tool call's name and arguments."""
    texts = [message.content or "", message.reasoning or ""]
    for call in message.tool_calls:
        texts.extend((call.name, call.arguments))
    return [t for t in texts if t]


def count_fields_with(count: Callable[[str], int], fields: Mapping[str, str]) -> dict[str, int]:
    """Tokens of each original text field (``Conversation.fields``), repeated texts counted once."""
    seen: dict[str, int] = {}
    out: dict[str, int] = {}
    for key, text in fields.items():
        if not isinstance(text, str):
            continue
        n = seen.get(text)
        if n is None:
            n = seen[text] = count(text)
        out[key] = n
    return out


def description(tokenizer: Any) -> dict[str, Any]:
    """What `Tokenizer.describe` returns: name, kind, template, the backend that counts
    and its library with the version (one shape for every backend)."""
    return {
        "name": tokenizer.name,
        "kind": tokenizer.kind,
        "template": tokenizer.template,
        "backend": tokenizer.backend,
        "library": tokenizer.library(),
    }


@cache
def library_version(distribution: str) -> str:
    """``"tiktoken 0.12.0"``: the library that counts, as `describe` names it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{distribution} {version(distribution)}"
    except PackageNotFoundError:
        return distribution


def sane_max_length(value: Any) -> int | None:
    """A model's ``model_max_length`` when it is a real limit (HF uses 1e30 for none)."""
    if isinstance(value, int) and 0 < value < MAX_SANE_CONTEXT:
        return value
    return None


# --- registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    """A registered tokenizer backend: ``accepts(spec)`` and ``load(spec, template)``."""

    name: str
    accepts: Callable[[str], bool]
    load: Callable[[str, str], Tokenizer]
    description: str = ""


BACKENDS: dict[str, Backend] = {}
_CACHE: dict[tuple[str, str, str], Tokenizer] = {}  # (backend, spec, template): references
_BY_SPEC: dict[tuple[str, str, str], Tokenizer] = {}  # (spec as given, template, choice)


_BUILTINS: list[bool] = []  # non-empty once the built-in backends are registered


def register_backend(
    name: str,
    accepts: Callable[[str], bool],
    load: Callable[[str, str], Tokenizer],
    *,
    description: str = "",
) -> None:
    """Add a backend; `get_tokenizer` tries backends in registration order."""
    if name in BACKENDS:
        raise ValueError(f"tokenizer backend {name!r} is already registered")
    BACKENDS[name] = Backend(name, accepts, load, description)


def list_backends() -> list[str]:
    _load_builtin_backends()
    return list(BACKENDS)


def get_tokenizer(
    spec: str | Tokenizer | None = None,
    *,
    template: str = "auto",
    backend: str | None = None,
) -> Tokenizer:
    """The tokenizer for ``spec`` (default ``cl100k_base``), loaded once and cached.

    ``template="none"`` counts the raw message text, without any chat template or
    per-message overhead. ``backend`` is ``"auto"`` (the default), ``"reference"`` or
    ``"fast"`` (see the module docstring); a ``"fast:"``-style prefix of ``spec`` says
    the same. A tokenizer object is returned unchanged.

    >>> get_tokenizer("cl100k_base").count("hello world")
    2
    >>> get_tokenizer("cl100k_base", backend="fast").describe()["backend"]
    'fast'
    """
    if spec is not None and not isinstance(spec, str):
        # Duck typing: a runtime-Protocol isinstance is slow, and this runs per record.
        if callable(getattr(spec, "render_turns", None)) and callable(getattr(spec, "count", None)):
            return spec
        raise UsageError(
            f"tokenizer must be a name, a path or a tokenizer, not {type(spec).__name__}"
        )
    if template not in TEMPLATES:
        raise UsageError(f"unknown template {template!r}; known: {', '.join(TEMPLATES)}")
    spec = spec or DEFAULT_TOKENIZER
    known = _BY_SPEC.get((spec, template, backend or ""))
    if known is not None:
        return known
    choice, bare = split_choice(spec, backend)
    reference = _reference(bare, template)
    if choice == "reference":
        tokenizer = reference
    else:
        from sftprep.tokens.fast import accelerate

        tokenizer = accelerate(reference, strict=choice == "fast")
    _BY_SPEC[(spec, template, backend or "")] = tokenizer
    return tokenizer


def split_choice(spec: str, backend: str | None = None) -> tuple[str, str]:
    """``(choice, spec without its choice prefix)``: ``"fast:cl100k_base"`` ->
    ``("fast", "cl100k_base")``; ``backend`` applies when the spec has no prefix."""
    prefix, sep, rest = spec.partition(":")
    given = prefix if sep and prefix in CHOICES else None
    if backend is not None and backend not in CHOICES:
        raise UsageError(f"unknown tokenizer backend {backend!r}; known: {', '.join(CHOICES)}")
    if given and backend and given != backend:
        raise UsageError(f"tokenizer {spec!r} asks for the {given} backend, not {backend}")
    return (given or backend or "auto"), (rest if given else spec)


def with_choice(spec: str | None, backend: str | None) -> str | None:
    """``spec`` with ``backend`` as its prefix, for options that travel as strings
    (``None`` stays ``None``: no tokenizer asked for)."""
    if spec is None or backend in (None, "auto"):
        return spec
    choice, bare = split_choice(spec, backend)
    return f"{choice}:{bare}"


def _reference(spec: str, template: str) -> Tokenizer:
    """The reference tokenizer of ``spec`` (a registered backend's loader), cached."""
    backend = _resolve(spec)
    key = (backend.name, _strip_prefix(spec), template)
    if key not in _CACHE:
        _CACHE[key] = backend.load(key[1], template)
    return _CACHE[key]


def rebuild_tokenizer(spec: str, template: str, choice: str = "reference") -> Tokenizer:
    """Unpickling hook: tokenizers travel to worker processes as ``(spec, template)``
    and the backend that counted in the parent (``choice``), so every worker counts
    with it. The parent has checked a fast tokenizer already: it is not checked again."""
    if choice == "fast":
        from sftprep.tokens.fast import rebuild_fast

        return rebuild_fast(_reference(spec, template))
    return get_tokenizer(spec, template=template, backend="reference")


def _resolve(spec: str) -> Backend:
    _load_builtin_backends()
    prefix, sep, _ = spec.partition(":")
    if sep and prefix in BACKENDS:
        return BACKENDS[prefix]
    for backend in BACKENDS.values():
        if backend.accepts(spec):
            return backend
    raise UsageError(
        f"unknown tokenizer {spec!r}: give a tiktoken encoding or OpenAI model name "
        "(cl100k_base, o200k_base, gpt-4o), a local Hugging Face tokenizer directory, "
        "or a Hub id (org/name)"
    )


def _strip_prefix(spec: str) -> str:
    prefix, sep, rest = spec.partition(":")
    return rest if sep and prefix in BACKENDS else spec


def _load_builtin_backends() -> None:
    if _BUILTINS:
        return
    _BUILTINS.append(True)
    from sftprep.tokens import hf_backend, tiktoken_backend

    tiktoken_backend.register()
    hf_backend.register()
