"""A target platform from outside sftprep, in one module (loaded as a plugin)."""

from __future__ import annotations

from collections.abc import Iterator

from sftprep.findings import Finding
from sftprep.model import Conversation, Location
from sftprep.targets.base import Target, register_target


@register_target
class PingPlatform(Target):
    name = "ping-platform"
    title = "Ping Platform"
    shape = "ping-pong"
    accepts = ("ping-pong",)
    sources = ("the Ping Platform manual (a made-up platform)",)
    hint = "keep answers to 20 characters"

    def check_conversation(
        self, conversation: Conversation, location: Location
    ) -> Iterator[Finding]:
        answer = conversation.messages[-1]
        if len(answer.text) > 20:
            yield self.finding(
                location,
                f"Ping Platform takes answers of at most 20 characters, not {len(answer.text)}",
                field=answer.content_field,
            )
