"""A format from outside sftprep, in one module: ``{"ping": prompt, "pong": answer}``.

Loaded as a plugin (``SFTPREP_PLUGINS=sftprep_pingpong_format``); nothing in sftprep
names it. Extra keys are kept as metadata, so coverage rules still see them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sftprep.formats.base import Format, register_format
from sftprep.model import Conversation, Location, Message


@register_format
class PingPongFormat(Format):
    name = "ping-pong"
    description = "ping -> pong (a plugin's format)"
    required = (("ping",), ("pong",))
    reads_system = False

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        ping, pong = record.get("ping"), record.get("pong")
        messages = (
            Message("user", ping if isinstance(ping, str) else "", content_field="ping"),
            Message("assistant", pong if isinstance(pong, str) else "", content_field="pong"),
        )
        return Conversation(
            messages,
            location=location,
            format=self.name,
            fields={k: v for k in ("ping", "pong") if isinstance(v := record.get(k), str)},
            metadata={k: v for k, v in record.items() if k not in ("ping", "pong")},
        )

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        user, assistant = conversation.messages[-2:]
        return {"ping": user.text, "pong": assistant.text}
