"""The tokenizer protocol, the base class every tokenizer derives from, and the registry
of tokenizer backends.

A tokenizer is five members (`Tokenizer`): ``name``, `count` and `encode` for plain
text, `decode`, `render_turns` for a whole conversation (token ids, a trainable mask:
``True`` where the trainer computes the loss, and where each assistant turn sits), and
`describe`. `BaseTokenizer` derives the rest from them, once: `render`,
`count_conversation`, `count_turns`, `count_fields`, the defaults of the optional
members, and the pickling that sends a tokenizer to worker processes by name.

A *backend* is registered with a name, a predicate saying whether it accepts a
spec (``"cl100k_base"``, ``"gpt-4o"``, ``"../tokenizers/qwen2.5"``,
``"Qwen/Qwen2.5-7B-Instruct"``), a loader, the specs it takes in words and a
one-line description (`register_backend`). Each backend module of this package
registers itself when imported, and the registry imports them on first use (so base
imports none of them). `get_tokenizer` asks the backends in order, or directly with a
``backend:spec`` prefix (``"hf:Qwen/Qwen2.5-7B-Instruct"``). Loaded tokenizers are
cached per ``(spec, template, choice)``.

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

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar, Protocol, SupportsIndex, runtime_checkable

from sftprep.errors import UsageError
from sftprep.model import Conversation, Message, PlainTurn
from sftprep.registry import Registry

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
    """What a tokenizer is: its name and five methods. Write one by subclassing
    `BaseTokenizer`, which derives everything else the callers use from these."""

    name: str

    def count(self, text: str) -> int: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...

    def render_turns(self, conversation: Conversation) -> Rendering: ...

    def describe(self) -> dict[str, Any]: ...


class BaseTokenizer(ABC):
    """A tokenizer made of `count`, `encode`, `decode` and `render_turns`; the rest derives
    here, once: `render`, `count_conversation`, `count_turns`, `count_fields`, `describe`,
    and the pickling. A backend overrides a derived member only to be faster, never to
    count otherwise (tiktoken's `count_conversation` adds up lengths without building ids).

    Attributes: ``name`` (shown to the user); ``kind``, the registered backend that loads
    it; ``backend``, ``"reference"`` or ``"fast"``; ``spec``, what ``get_tokenizer(f"{kind}:
    {spec}")`` loads it again from (None: not loadable by name); ``template``, the chat
    convention it renders with; ``template_option``, the ``template`` it was loaded with;
    ``model_max_length``, the model's context when it has a real one.

    >>> class Chars(BaseTokenizer):
    ...     name = "chars"
    ...     def count(self, text): return len(text)
    ...     def encode(self, text): return [ord(c) for c in text]
    ...     def decode(self, ids): return "".join(map(chr, ids))
    ...     def render_turns(self, conversation):
    ...         ids, mask = [], []
    ...         for m in conversation.messages:
    ...             ids += self.encode(m.content or "")
    ...             mask += [is_trained(m)] * len(m.content or "")
    ...         return Rendering(ids, mask)
    >>> chat = Conversation((Message("user", "hi"), Message("assistant", "hey")))
    >>> Chars().count_conversation(chat)
    Counts(total=5, trainable=3, turns=2, kept=None)
    """

    name: str
    kind: ClassVar[str] = "custom"
    backend: ClassVar[str] = "reference"
    spec: str | None = None
    template: str = "none"
    template_option: str = "auto"
    model_max_length: int | None = None

    # --- what a subclass writes ---------------------------------------------------------

    @abstractmethod
    def count(self, text: str) -> int:
        """Tokens of ``text``, special-token text counted as the backend reads it."""

    @abstractmethod
    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``."""

    @abstractmethod
    def decode(self, ids: Sequence[int]) -> str:
        """The text of ``ids``."""

    @abstractmethod
    def render_turns(self, conversation: Conversation) -> Rendering:
        """``conversation`` as the trainer sees it (raises `RenderError` when it cannot
        be rendered: a dataset problem, reported per record)."""

    # --- derived ------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """Name, kind, template, the backend that counts and its library with the
        version: one shape for every backend (reports and ``--json`` show it)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "template": self.template,
            "backend": self.backend,
            "library": self.library(),
        }

    def library(self) -> str:
        """The library that counts, with its version (``tiktoken 0.12.0``)."""
        return self.kind

    def special_tokens(self) -> frozenset[str]:
        """The text of the tokenizer's special tokens (`special-token-leak` looks for it
        in the data); none unless the backend knows them."""
        return frozenset()

    def render(self, conversation: Conversation) -> tuple[list[int], list[bool]]:
        """Token ids and trainable mask of ``conversation``."""
        rendering = self.render_turns(conversation)
        return rendering.ids, rendering.mask

    def count_conversation(
        self, conversation: Conversation, *, max_tokens: int | None = None
    ) -> Counts:
        """Total and trainable tokens of ``conversation``; with ``max_tokens``, also the
        trainable tokens within the first ``max_tokens`` (what truncation keeps)."""
        rendering = self.render_turns(conversation)
        kept = None if max_tokens is None else rendering.trainable_within(max_tokens)
        return Counts(rendering.total, rendering.trainable, len(conversation.messages), kept)

    def count_turns(self, turns: Sequence[PlainTurn], *, max_tokens: int | None = None) -> Counts:
        """`count_conversation` of text-only turns (`Format.plain_turns`)."""
        return self.count_conversation(conversation_of(turns), max_tokens=max_tokens)

    def count_fields(self, conversation: Conversation) -> dict[str, int]:
        """Tokens of each original text field (``Conversation.fields``)."""
        return count_fields_with(self.count, conversation.fields)

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        """Pickling, as tokenizers travel to worker processes: one loadable by name goes as
        ``(kind:spec, template, backend)`` and `rebuild_tokenizer` loads it there again
        (through the cache: a forked worker has it already), instead of 100k ranks or a
        whole tokenizer.json per worker, and with the backend that counted in the parent.
        One without a ``spec`` is pickled whole."""
        if self.spec is None:
            return super().__reduce_ex__(protocol)
        return (rebuild_tokenizer, (f"{self.kind}:{self.spec}", self.template_option, self.backend))


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
    """A tokenizer backend: the specs it takes (``accepts``) and how it loads one.

    ``specs`` says in words which specs it takes (the unknown-tokenizer error lists them),
    ``description`` what it is, in one line. `get_tokenizer` asks backends in ``order``
    (lower first, ties in registration order); a ``name:`` prefix of the spec skips asking.
    """

    name: str
    accepts: Callable[[str], bool]
    load: Callable[[str, str], BaseTokenizer]
    description: str = ""
    specs: str = ""
    order: int = 100


# Each module of this package that holds a backend registers it when imported; the
# registry imports the package's modules the first time it is asked what it holds, so a
# new backend is one new module.
BACKENDS: Registry[Backend] = Registry("tokenizer backend", builtins=("sftprep.tokens",))

# The fast twin is made by `sftprep.tokens.fast`, which builds on this module: it is named
# here, not imported, and imported the first time a fast tokenizer is asked for.
_TWINS: Registry[Callable[..., BaseTokenizer]] = Registry("fast tokenizer step")
_TWINS.lazy("accelerate", "sftprep.tokens.fast:accelerate")
_TWINS.lazy("rebuild", "sftprep.tokens.fast:rebuild_fast")

# Loaded tokenizers by (spec, template, backend choice): under the spec as it was given
# (a name found per record with one dict lookup) and under ``kind:spec`` (every spelling
# of one tokenizer is one object: the fast twin's check and the worker's rebuild find it).
_LOADED: dict[tuple[str, str, str], BaseTokenizer] = {}


def register_backend(
    name: str,
    accepts: Callable[[str], bool],
    load: Callable[[str, str], BaseTokenizer],
    *,
    description: str = "",
    specs: str = "",
    order: int = 100,
) -> None:
    """Add a backend (see `Backend`); a name taken already is a ``ValueError``. A backend
    module calls it when imported (docs/architecture.md, "Adding a unit")."""
    BACKENDS.add(name, Backend(name, accepts, load, description, specs, order))


def list_backends() -> list[str]:
    """The backends' names, in the order `get_tokenizer` asks them.

    >>> list_backends()
    ['tiktoken', 'hf']
    """
    return [backend.name for backend in _ordered()]


def backend_descriptions() -> list[tuple[str, str]]:
    """(name, one-line description) of every backend, in lookup order."""
    return [(b.name, b.description) for b in _ordered()]


def get_tokenizer(
    spec: str | BaseTokenizer | None = None,
    *,
    template: str = "auto",
    backend: str | None = None,
) -> BaseTokenizer:
    """The tokenizer for ``spec`` (default ``cl100k_base``), loaded once and cached.

    ``template="none"`` counts the raw message text, without any chat template or
    per-message overhead. ``backend`` is ``"auto"`` (the default), ``"reference"`` or
    ``"fast"`` (see the module docstring); a ``"fast:"``-style prefix of ``spec`` says
    the same. A tokenizer object (a `BaseTokenizer`) is returned unchanged.

    >>> get_tokenizer("cl100k_base").count("hello world")
    2
    >>> get_tokenizer("cl100k_base", backend="fast").describe()["backend"]
    'fast'
    """
    if spec is not None and not isinstance(spec, str):
        if isinstance(spec, BaseTokenizer):
            return spec
        raise UsageError(
            "tokenizer must be a name, a path or a tokenizer (a subclass of "
            f"sftprep.tokens.BaseTokenizer), not {type(spec).__name__}"
        )
    if template not in TEMPLATES:
        raise UsageError(f"unknown template {template!r}; known: {', '.join(TEMPLATES)}")
    spec = spec or DEFAULT_TOKENIZER
    key = (spec, template, backend or "")
    found = _LOADED.get(key)
    if found is None:
        choice, bare = split_choice(spec, backend)
        found = _LOADED[key] = _load(bare, template, choice)
    return found


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


def _load(spec: str, template: str, choice: str) -> BaseTokenizer:
    """The tokenizer of ``spec`` (no choice prefix) for ``choice``, cached under
    ``(kind:spec, template, choice)``: the reference a backend loads, or its fast twin."""
    backend, bare = _resolve(spec)
    key = (f"{backend.name}:{bare}", template, choice)
    found = _LOADED.get(key)
    if found is None:
        if choice == "reference":
            found = backend.load(bare, template)
        else:
            reference = _load(key[0], template, "reference")
            found = _TWINS.get("accelerate")(reference, strict=choice == "fast")
        _LOADED[key] = found
    return found


def rebuild_tokenizer(spec: str, template: str, choice: str = "reference") -> BaseTokenizer:
    """Unpickling hook (`BaseTokenizer.__reduce_ex__`): tokenizers travel to worker
    processes as ``(spec, template)`` and the backend that counted in the parent
    (``choice``), so every worker counts with it. The parent has checked a fast tokenizer
    already: it is not checked again."""
    reference = get_tokenizer(spec, template=template, backend="reference")
    if choice == "fast":
        return _TWINS.get("rebuild")(reference)
    return reference


def _resolve(spec: str) -> tuple[Backend, str]:
    """The backend that loads ``spec`` and the spec without a ``backend:`` prefix."""
    prefix, sep, rest = spec.partition(":")
    if sep and prefix in BACKENDS:
        return BACKENDS.get(prefix), rest
    backends = _ordered()
    for backend in backends:
        if backend.accepts(spec):
            return backend, spec
    accepted = ", ".join(backend.specs for backend in backends if backend.specs)
    raise UsageError(f"unknown tokenizer {spec!r}: give {accepted or 'a registered backend'}")


def _ordered() -> list[Backend]:
    return sorted((backend for _, backend in BACKENDS.items()), key=lambda b: b.order)
