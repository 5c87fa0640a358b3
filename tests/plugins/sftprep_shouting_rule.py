"""A rule from outside sftprep, in one module (loaded as a plugin)."""

from __future__ import annotations

from collections.abc import Iterator

from sftprep.findings import Finding, Severity
from sftprep.rules.base import RecordContext, Rule, register_rule


@register_rule
class Shouting(Rule):
    """An answer written in capital letters only.

    **What it does**
    Reports each assistant turn whose letters are all capitals.

    **Why is this bad?**
    The model learns to shout.

    **Example**
    ```json
    {"ping": "Hello?", "pong": "HELLO THERE"}
    ```

    **Fix**
    Rewrite the answer in normal case.
    """

    id = "shouting"
    severity = Severity.WARNING
    group = "quality"
    hint = "write the answer in normal case"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conversation = ctx.conversation
        for message in conversation.messages if conversation is not None else ():
            if message.role == "assistant" and message.text.isupper():
                yield self.finding(
                    ctx,
                    "the answer is all capitals",
                    field=message.content_field,
                    excerpt_text=message.text,
                )
