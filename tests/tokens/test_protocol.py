"""The tokenizer protocol: five members written, everything else derived by `BaseTokenizer`;
a backend registered in the registry is what `get_tokenizer` loads; base imports no backend."""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from sftprep.errors import UsageError
from sftprep.model import Conversation, Message
from sftprep.registry import Registry
from sftprep.tokens import (
    AssistantTurn,
    BaseTokenizer,
    Counts,
    Rendering,
    Tokenizer,
    get_tokenizer,
    list_backends,
    register_backend,
)
from sftprep.tokens import base as tokens_base
from sftprep.tokens.base import is_trained


class Words(BaseTokenizer):
    """One token per whitespace-separated word; each message is its role's token (prompt)
    then its content's words (trained in assistant messages)."""

    kind = "words"

    def __init__(self, spec: str = "words", template: str = "auto") -> None:
        self.name = spec
        self.spec = spec
        self.template_option = template
        self.vocab: dict[str, int] = {}

    @classmethod
    def load(cls, spec: str, template: str) -> Words:
        return cls(spec, template)

    def count(self, text: str) -> int:
        return len(text.split())

    def encode(self, text: str) -> list[int]:
        return [self.vocab.setdefault(word, len(self.vocab)) for word in text.split()]

    def decode(self, ids: Sequence[int]) -> str:
        words = {token: word for word, token in self.vocab.items()}
        return " ".join(words[token] for token in ids)

    def render_turns(self, conversation: Conversation) -> Rendering:
        ids: list[int] = []
        mask: list[bool] = []
        turns: list[AssistantTurn] = []
        for index, message in enumerate(conversation.messages):
            ids += self.encode(message.role)
            mask.append(False)
            trained, start = is_trained(message), len(ids)
            body = self.encode(message.content or "")
            ids += body
            mask += [trained] * len(body)
            if trained:
                turns.append(AssistantTurn(index, start, len(ids)))
        return Rendering(ids, mask, tuple(turns))

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "words": len(self.vocab)}


TURNS = [
    ("system", "be brief", None, None, None),
    ("user", "what is two plus two", None, None, None),
    ("assistant", "four", None, None, None),
    ("user", "and three", None, None, None),
    ("assistant", "skip me", None, None, 0),
    ("assistant", "six of them", None, None, None),
]
CHAT = Conversation(
    tuple(Message(role, content, weight=weight) for role, content, _, _, weight in TURNS),
    fields={"question": "what is two plus two", "answer": "four", "again": "four"},
)
# role token + words per message: 3 + 6 + 2 + 3 + 3 + 4; trained: "four", "six of them"
TOTAL, TRAINABLE = 21, 4


def test_the_five_members_make_a_tokenizer() -> None:
    words = Words()
    assert isinstance(words, Tokenizer)
    assert words.decode(words.encode("a b a")) == "a b a" and words.count("a b  a") == 3
    assert words.describe() == {"name": "words", "kind": "words", "words": 2}


def test_a_subclass_missing_a_member_cannot_be_made() -> None:
    class NoDecode(BaseTokenizer):
        name = "half"

        def count(self, text: str) -> int:
            return 0

        def encode(self, text: str) -> list[int]:
            return []

        def render_turns(self, conversation: Conversation) -> Rendering:
            return Rendering([], [])

    with pytest.raises(TypeError, match="decode"):
        NoDecode()  # type: ignore[abstract]


def test_every_derived_member_works_from_the_five() -> None:
    words = Words()
    ids, mask = words.render(CHAT)
    assert len(ids) == len(mask) == TOTAL and sum(mask) == TRAINABLE
    counts = words.count_conversation(CHAT)
    assert counts == Counts(TOTAL, TRAINABLE, 6, None)
    assert counts.prompt == TOTAL - TRAINABLE
    # "four" is token 10 (0-based): the first 10 tokens keep none of it, 11 keep it
    assert words.count_conversation(CHAT, max_tokens=10).kept == 0
    assert words.count_conversation(CHAT, max_tokens=11).kept == 1
    assert words.count_conversation(CHAT, max_tokens=TOTAL).kept == TRAINABLE
    assert words.count_turns(TURNS) == counts
    assert words.count_turns(TURNS, max_tokens=11) == Counts(TOTAL, TRAINABLE, 6, 1)
    assert words.count_fields(CHAT) == {"question": 5, "answer": 1, "again": 1}
    assert words.special_tokens() == frozenset()
    assert words.library() == "words"
    assert (words.backend, words.template, words.model_max_length) == ("reference", "none", None)


def test_the_default_description_has_one_shape() -> None:
    class Described(Words):
        describe = BaseTokenizer.describe

    assert Described("w").describe() == {
        "name": "w",
        "kind": "words",
        "template": "none",
        "backend": "reference",
        "library": "words",
    }


def test_a_tokenizer_without_a_spec_is_pickled_whole() -> None:
    words = Words()
    words.encode("kept in the vocabulary")
    words.spec = None
    copy = pickle.loads(pickle.dumps(words))
    assert copy is not words and copy.vocab == words.vocab
    assert copy.count_conversation(CHAT) == words.count_conversation(CHAT)


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A registry of its own for the test's backend (the built-ins registered first, so
    none of them lands in it), with its own cache and fast-twin verdicts."""
    from sftprep.tokens import fast

    list_backends()
    monkeypatch.setattr(tokens_base, "BACKENDS", Registry("tokenizer backend"))
    monkeypatch.setattr(tokens_base, "_LOADED", {})
    monkeypatch.setattr(fast, "_VERDICTS", {})
    yield


@pytest.mark.usefixtures("registry")
def test_a_registered_backend_is_what_get_tokenizer_loads() -> None:
    register_backend(
        "words",
        lambda spec: spec.startswith("words"),
        Words.load,
        description="one token per word",
        specs="a word list (words)",
    )
    assert list_backends() == ["words"]
    words = get_tokenizer("words-en", backend="reference")
    assert isinstance(words, Words) and words.name == "words-en"
    assert get_tokenizer("words:words-en", backend="reference") is words
    assert get_tokenizer("reference:words-en") is words
    assert get_tokenizer(words) is words
    # auto: no fast twin for this kind, so the reference counts
    assert get_tokenizer("words-en") is words
    assert get_tokenizer("words-en", template="none") is not words
    # to a worker by name, and back to the same object through the cache
    data = pickle.dumps(words)
    assert b"vocab" not in data and pickle.loads(data) is words
    assert words.count_conversation(CHAT) == Counts(TOTAL, TRAINABLE, 6, None)
    with pytest.raises(UsageError, match=r"unknown tokenizer 'x': give a word list \(words\)$"):
        get_tokenizer("x")
    with pytest.raises(ValueError, match="tokenizer backend 'words' is already registered"):
        register_backend("words", bool, Words.load)


@pytest.mark.usefixtures("registry")
def test_backends_are_asked_in_order() -> None:
    register_backend("late", lambda spec: True, lambda s, t: Words("late:" + s), order=50)
    register_backend("early", lambda spec: True, lambda s, t: Words("early:" + s), order=5)
    assert list_backends() == ["early", "late"]
    assert get_tokenizer("w", backend="reference").name == "early:w"
    assert get_tokenizer("late:w", backend="reference").name == "late:w"


def test_the_builtin_backends_register_themselves() -> None:
    assert list_backends()[:2] == ["tiktoken", "hf"]
    backend = tokens_base.BACKENDS.get("tiktoken")
    assert backend.description.startswith("OpenAI encodings") and backend.order == 10
    with pytest.raises(UsageError) as error:
        get_tokenizer("no-such-encoding")
    assert str(error.value) == (
        "unknown tokenizer 'no-such-encoding': give a tiktoken encoding or OpenAI model name "
        "(cl100k_base, o200k_base, gpt-4o), a local Hugging Face tokenizer directory, or a "
        "Hub id (org/name)"
    )


def test_an_object_that_is_no_tokenizer_is_refused() -> None:
    class Duck:
        def count(self, text: str) -> int:
            return 1

        def render_turns(self, conversation: Conversation) -> Rendering:
            return Rendering([], [])

    with pytest.raises(UsageError, match=r"subclass of sftprep\.tokens\.BaseTokenizer"):
        get_tokenizer(Duck())  # type: ignore[arg-type]


def test_base_imports_none_of_its_backends() -> None:
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("sftprep")
    tokens = sorted(m for m in graph.modules if m.startswith("sftprep.tokens."))
    others = [m for m in tokens if m != "sftprep.tokens.base"]
    assert {"sftprep.tokens.tiktoken_backend", "sftprep.tokens.hf_backend"} <= set(others)
    reached = [m for m in others if graph.chain_exists("sftprep.tokens.base", m)]
    assert reached == []
    # and so no cycle runs through base
    assert graph.find_modules_directly_imported_by("sftprep.tokens.base") == {
        "sftprep.errors",
        "sftprep.model",
        "sftprep.registry",
    }
