"""A tokenizer backend from outside sftprep, in one module (loaded as a plugin): one token
per whitespace-separated word; each message is its role's token (never trained), then
its words (trained in assistant turns)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from sftprep.model import Conversation
from sftprep.tokens import AssistantTurn, BaseTokenizer, Rendering, register_backend
from sftprep.tokens.base import is_trained


class Words(BaseTokenizer):
    kind = "words"

    def __init__(self, spec: str = "words", template: str = "auto") -> None:
        self.name = self.spec = spec
        self.template_option = template
        self.seen: dict[int, str] = {}

    def count(self, text: str) -> int:
        return len(text.split())

    def encode(self, text: str) -> list[int]:
        ids = []
        for word in text.split():  # the same id in every worker process
            ids.append(zlib.crc32(word.encode("utf-8", "surrogatepass")))
            self.seen[ids[-1]] = word
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(self.seen.get(token, "?") for token in ids)

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
        return {"name": self.name, "kind": self.kind, "backend": self.backend}


register_backend(
    "words",
    lambda spec: spec == "words",
    lambda spec, template: Words(spec, template),
    description="one token per word (a plugin's backend)",
    specs="words",
)
