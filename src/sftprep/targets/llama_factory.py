"""LLaMA-Factory: alpaca or sharegpt files registered in ``dataset_info.json``.

Its sharegpt converter pulls a leading system turn out, then requires human or
observation turns at odd positions and gpt or function_call turns at even ones, and
an even number of turns; otherwise it logs "Skipping this abnormal example" and
trains on nothing from that record. `convert --target llama-factory` writes (or
updates) ``dataset_info.json`` beside the output so the file can be used at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sftprep.findings import Finding
from sftprep.model import Conversation, Location
from sftprep.targets import chat
from sftprep.targets.base import Target, register_target

DATASET_INFO = "dataset_info.json"
WHY = 'LLaMA-Factory logs "Skipping this abnormal example" and trains on nothing from it'

# dataset_info.json descriptions, from LLaMA-Factory data/README.md.
COLUMNS = {
    "alpaca": {
        "prompt": "instruction",
        "query": "input",
        "response": "output",
        "system": "system",
        "history": "history",
    },
    "sharegpt": {"messages": "conversations", "system": "system", "tools": "tools"},
    "messages": {"messages": "messages"},
}
# Media columns (LLaMA-Factory data/README.md, multimodal datasets), named when written.
MEDIA_COLUMNS = {"images": "images", "videos": "videos", "audios": "audios"}
TAGS = {
    "messages": {
        "role_tag": "role",
        "content_tag": "content",
        "user_tag": "user",
        "assistant_tag": "assistant",
        "system_tag": "system",
    }
}


@register_target
class LlamaFactoryTarget(Target):
    name = "llama-factory"
    title = "LLaMA-Factory"
    shape = "sharegpt"
    accepts = ("alpaca", "sharegpt", "messages")
    sources = ("https://github.com/hiyouga/LLaMA-Factory/blob/main/data/README.md",)
    hint = "alternate user/assistant turns and end with an assistant turn"

    def __init__(self) -> None:
        self.keys: set[str] = set()  # top-level keys of the records written

    def accept(self, record: Mapping[str, Any], claims: Mapping[str, Any]) -> None:
        self.keys.update(record)

    def adapt(self, conversation: Conversation) -> Conversation:
        """Media content parts (OpenAI's ``image_url``) become an ``images`` column with
        one ``<image>`` placeholder each, as LLaMA-Factory reads them."""
        from sftprep.formats.media import media_as_column

        return media_as_column(conversation)

    def output_extensions(self, format: str) -> tuple[str, ...]:
        # alpaca rows are flat: LLaMA-Factory also loads them from CSV.
        return (*self.extensions, ".csv") if format == "alpaca" else self.extensions

    def companion_paths(self, out_path: Path) -> tuple[Path, ...]:
        return (out_path.parent / DATASET_INFO,)

    def check_record(
        self, record: Mapping[str, Any], format: str, location: Location
    ) -> Iterator[Finding]:
        if format == "alpaca":
            yield from _check_history(self, record.get("history"), location)

    def check_conversation(
        self, conversation: Conversation, location: Location
    ) -> Iterator[Finding]:
        if conversation.format == "messages":
            yield from chat.no_tools(
                self,
                conversation,
                location,
                "LLaMA-Factory reads OpenAI-style messages as "
                "role/content only; tool calls need the sharegpt format (function_call and "
                "observation turns)",
            )
        yield from chat.alternation(
            self,
            conversation,
            location,
            odd=("user", "tool"),
            even=("assistant",),
            why=f"human/observation turns must sit at odd positions and gpt/function_call "
            f"turns at even ones ({WHY})",
        )
        messages = conversation.messages
        for index, message in enumerate(messages):
            if message.role == "assistant" and message.weight == 0:
                yield self.finding(
                    location,
                    f"message {index} is an answer weighted 0 (not to be trained); "
                    "LLaMA-Factory reads no per-turn weight and would train it",
                    field=message.field or message.content_field or None,
                    hint="cut the conversation before that answer, or drop the record",
                )
        start = 1 if messages and messages[0].role == "system" else 0
        turns = len(messages) - start
        if turns == 0 or turns % 2:
            yield self.finding(
                location,
                f"{turns} turns after the system prompt; LLaMA-Factory needs an even number "
                f"ending with the assistant ({WHY})",
            )

    def companion_files(self, out_path: Path, format: str, records: int) -> dict[Path, str]:
        info_path = out_path.parent / DATASET_INFO
        info: dict[str, Any] = {}
        if info_path.exists():
            try:
                info = json.loads(info_path.read_text(encoding="utf-8"))
            except ValueError:
                info = {}
        entry: dict[str, Any] = {"file_name": out_path.name}
        if format != "alpaca":
            entry["formatting"] = "sharegpt"
        entry["columns"] = self.columns(format)
        if format in TAGS:
            entry["tags"] = TAGS[format]
        info[out_path.stem] = entry
        return {info_path: json.dumps(info, ensure_ascii=False, indent=2) + "\n"}

    def columns(self, format: str) -> dict[str, str]:
        """The `columns` entry: only columns the written file has.

        LLaMA-Factory reads every column the entry names (``example[column]``), so naming
        ``system``, ``tools``, ``history`` or ``input`` for a file without them fails with a
        KeyError.
        """
        columns = {**COLUMNS.get(format, COLUMNS["sharegpt"]), **MEDIA_COLUMNS}
        # A column left out is None to LLaMA-Factory (once `columns` is given) and skipped.
        return {
            name: column
            for name, column in columns.items()
            if name in ("response", "messages") or column in self.keys
        }


def _check_history(target: Target, history: Any, location: Location) -> Iterator[Finding]:
    if history is None:
        return
    pairs = history if isinstance(history, list) else None
    if pairs is None or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p) for p in pairs
    ):
        yield target.finding(
            location,
            "`history` must be a list of [instruction, response] string pairs in "
            "LLaMA-Factory's alpaca format",
            field="history",
        )
