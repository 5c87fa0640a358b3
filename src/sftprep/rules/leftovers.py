"""Completion leftovers: conventions of legacy prompt/completion data left in chat data.

Legacy completion fine-tuning (OpenAI's ``prompt``/``completion``, early GPT-3 recipes)
needed markers: each completion started with a space, ended with a stop sequence
(``END``, ``###``, ``!!!``), and each prompt ended with a separator (``\\n\\n###\\n\\n``,
``->``, ``\\nSolution:``). Chat training needs none of them; when such data is
converted to chat turns, the markers stay and the model learns to print them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sftprep.findings import Finding, Severity
from sftprep.formats.base import Capability
from sftprep.model import Location, Message
from sftprep.rules.base import RecordContext, Rule, Shift, register_rule
from sftprep.rules.coverage import key_shape

_MIN_RECORDS = 5
_LEADING_SPACE_SHARE = 0.95
_TAIL = 40  # characters of each text kept for the common ending
# A stop marker: repeated !/?/#/=/~, a run of dashes, END/STOP/EOS, or an angle/square tag.
_STOP = re.compile(
    r"(?:[!?]{2,}|#{2,}|={2,}|~{2,}|-{3,}|\b(?:END|STOP|EOS|EOT)\b|<[^<>\s]{1,20}>"
    r"|\[/?[A-Z_]{2,20}\])$"
)
# A prompt separator: a short label line ("Solution:", "A:", "Output:") or separator
# characters alone ("###", "->", "=>").
_SEPARATOR = re.compile(r"(?:(?:^|\n)[ \t]*[A-Za-z][\w ]{0,20}:|#{2,}|-+>|=+>|\bEND\b)$")


def _common_suffix(a: str | None, b: str) -> str:
    """The longest common ending of ``a`` and ``b`` (``a`` None: no text seen yet)."""
    if a is None:
        return b
    n = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        n += 1
    return b[len(b) - n :]


def _marker(suffix: str, pattern: re.Pattern[str]) -> str | None:
    """The ending shared by every text when it is a marker, not natural punctuation."""
    match = pattern.search(suffix.strip())
    if match is None or len(match.group(0).strip()) < 2:
        return None
    return match.group(0)


@register_rule
class CompletionLeftovers(Rule):
    """Chat data carries the markers of legacy completion data: leading spaces, stop words.

    **What it does**
    Looks at every conversation of a chat or instruction file (not at
    ``prompt``/``completion`` files, where these markers are the convention) and
    reports, once per file: assistant answers that nearly all (95%) start with a space;
    a stop marker that every answer ends with (``!!!``, ``###``, ``END``, ``<eos>``);
    a separator that every last user turn ends with (``\\nSolution:``, ``Answer:``,
    ``###``, ``->``).

    **Why is this bad?**
    These markers told a completion model where the answer starts and stops. A chat
    template marks turns itself, so the model trained on them learns to begin each
    reply with a space, to end it with "!!!", and to expect "Solution:" at the end of
    every question.

    **Example**
    ```json
    {"messages": [{"role": "user", "content": "2+2?\\nSolution:"},
                  {"role": "assistant", "content": " 4 !!!"}]}
    ```
    (and every other record alike)

    **Fix**
    Strip the markers when converting completion data to chat turns: trim the answers
    (``sftprep fix --strip``) and remove the separator and stop sequence.
    """

    id = "completion-leftovers"
    severity = Severity.WARNING
    group = "dataset"
    hint = "strip the markers from the turns (trim answers, drop separators and stop words)"

    def __init__(self) -> None:
        self._state = _Endings()

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = ctx.conversation
        if conv is None or ctx.kind != "sft" or Capability.VERBATIM in ctx.capabilities:
            return iter(())
        answers = [m for m in conv.messages if m.role == "assistant" and m.content]
        if answers:
            users = [m for m in conv.messages if m.role == "user" and m.content]
            self._state.add(ctx.location, answers, users[-1] if users else None)
        return iter(())

    def partial(self) -> Any:
        state, self._state = self._state, _Endings()
        return state

    def absorb(self, partial: Any, shift: Shift) -> Iterator[Finding]:
        self._state.merge(partial, shift)
        return iter(())

    def finish(self) -> Iterator[Finding]:
        state = self._state
        if state.first is None or state.answers < _MIN_RECORDS:
            return
        n = state.answers
        if state.spaced >= _LEADING_SPACE_SHARE * n:
            yield self.finding(
                state.first,
                f"{state.spaced:,} of {n:,} assistant answers start with a space "
                "(a completion-style leftover)",
                field=state.answer_field,
            )
        stop = _marker(state.answer_end or "", _STOP)
        if stop is not None:
            yield self.finding(
                state.first,
                f"every assistant answer ({n:,}) ends with the stop marker {stop!r}",
                field=state.answer_field,
            )
        separator = _marker(state.prompt_end or "", _SEPARATOR)
        if separator is not None and state.prompts >= _MIN_RECORDS:
            yield self.finding(
                state.first,
                f"every last user turn ({state.prompts:,}) ends with the separator {separator!r}",
                field=state.prompt_field,
            )


@dataclass
class _Endings:
    """How the answers and prompts of a shard (or file) start and end; merges exactly."""

    first: Location | None = None
    answers: int = 0
    spaced: int = 0  # answers starting with a space
    answer_end: str | None = None  # the ending every answer shares (None: none seen)
    prompts: int = 0
    prompt_end: str | None = None
    answer_field: str = ""
    prompt_field: str = ""

    def add(self, location: Location, answers: list[Message], user: Message | None) -> None:
        self.first = self.first or location
        self.answer_field = self.answer_field or _shape(answers[0])
        for answer in answers:
            text = answer.content or ""
            self.answers += 1
            self.spaced += text[:1] == " "
            self.answer_end = _common_suffix(self.answer_end, text[-_TAIL:])
        if user is not None:
            self.prompt_field = self.prompt_field or _shape(user)
            self.prompts += 1
            self.prompt_end = _common_suffix(self.prompt_end, (user.content or "")[-_TAIL:])

    def merge(self, other: _Endings, shift: Shift) -> None:
        if other.first is None:
            return
        self.first = self.first or shift(other.first)
        self.answer_field = self.answer_field or other.answer_field
        self.prompt_field = self.prompt_field or other.prompt_field
        self.answers += other.answers
        self.spaced += other.spaced
        self.prompts += other.prompts
        if other.answer_end is not None:
            self.answer_end = _common_suffix(self.answer_end, other.answer_end)
        if other.prompt_end is not None:
            self.prompt_end = _common_suffix(self.prompt_end, other.prompt_end)


def _shape(message: Message) -> str:
    return key_shape(message.content_field or message.field)
