"""Token rules: what the trainer will see once the record is rendered and tokenized.

They run in `check` when a tokenizer is given (``options["tokenizer"]``: a name,
a path or a tokenizer object; ``options["max_tokens"]``, by default the
tokenizer's ``model_max_length`` when it has a real one). Each record is rendered
once and the rendering shared by the rules of this module.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from typing import Any

from sftprep.findings import Finding, Severity
from sftprep.formats.keys import digest
from sftprep.rules.base import RecordContext, Rule, Shift, register_rule


def _setup(ctx: RecordContext) -> tuple[Any, int | None] | None:
    spec = ctx.options.get("tokenizer")
    # No messages: `no-assistant-turn` (or `wrong-type`) says so; nothing to render.
    if spec is None or ctx.conversation is None or not ctx.conversation.messages:
        return None
    from sftprep.tokens import get_tokenizer

    tokenizer = get_tokenizer(spec, template=ctx.options.get("template", "auto"))
    limit = ctx.options.get("max_tokens")
    return tokenizer, limit if limit is not None else tokenizer.model_max_length


def _rendering(ctx: RecordContext) -> tuple[Any, int | None, Any] | None:
    setup = _setup(ctx)
    if setup is None:
        return None
    tokenizer, limit = setup
    result = ctx.rendering(tokenizer)
    if isinstance(result, Exception):
        return None
    return tokenizer, limit, result


@register_rule
class TooLong(Rule):
    """A record has more tokens than the model's context (``max_tokens``).

    **What it does**
    Renders the record as the trainer does (chat template or the OpenAI counting
    convention) and reports it when its length exceeds ``max_tokens`` (``--max-tokens``,
    by default the tokenizer's ``model_max_length``), saying how many tokens and how
    many trainable tokens truncation would drop.

    **Why is this bad?**
    Trainers truncate (or silently drop) records longer than the context: the end of
    the conversation, usually the answer the model should learn, never reaches it.

    **Example**
    ```json
    {
      "messages": [
        {"role": "user", "content": "Summarise this report: <20,000 words>"},
        {"role": "assistant", "content": "The report finds..."}
      ]
    }
    ```

    **Fix**
    Shorten or split the record (fewer turns, less context), raise ``max_tokens`` if
    the model allows it, or drop the record.
    """

    id = "too-long"
    severity = Severity.WARNING
    scope = "token"
    group = "tokens"
    hint = "shorten or split the record, or raise --max-tokens"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        found = _rendering(ctx)
        if found is None:
            return
        tokenizer, limit, rendering = found
        if limit is None or rendering.total <= limit:
            return
        lost = rendering.trainable - rendering.trainable_within(limit)
        yield self.finding(
            ctx,
            f"{rendering.total:,} tokens ({tokenizer.name}), over the {limit:,} limit: "
            f"truncation drops {rendering.total - limit:,} tokens, {lost:,} of them trainable",
        )


@register_rule
class NoTrainableTokens(Rule):
    """Nothing is left to learn from: no trainable token survives truncation.

    **What it does**
    Reports records whose loss mask is empty: no assistant turn (or only turns with
    ``weight: 0``), assistant turns the template renders as nothing, or every
    trainable token lying beyond ``max_tokens`` where truncation cuts them off.

    **Why is this bad?**
    The record costs compute and contributes nothing to the loss; with some trainers
    a batch of such records yields ``nan`` losses.

    **Example**
    ```json
    {
      "messages": [
        {"role": "user", "content": "<a 9,000-token document> Is it signed?"},
        {"role": "assistant", "content": "Yes."}
      ]
    }
    ```

    **Fix**
    Put the answer within the first ``max_tokens`` tokens (shorter context), give the
    record an assistant turn, or drop it.
    """

    id = "no-trainable-tokens"
    severity = Severity.ERROR
    scope = "token"
    group = "tokens"
    hint = "make sure an assistant answer fits within max_tokens, or drop the record"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        found = _rendering(ctx) if ctx.kind != "prompts" else None  # RL prompts: no answers
        if found is None:
            return
        tokenizer, limit, rendering = found
        if rendering.trainable == 0:
            yield self.finding(ctx, f"no trainable tokens at all ({tokenizer.name})")
        elif limit is not None and rendering.trainable_within(limit) == 0:
            yield self.finding(
                ctx,
                f"all {rendering.trainable:,} trainable tokens lie beyond the first {limit:,} "
                f"tokens ({tokenizer.name}): truncation leaves nothing to learn",
            )


@register_rule
class EotNotTrained(Rule):
    """The chat template leaves an assistant turn's end-of-turn token out of the loss.

    **What it does**
    For Hugging Face tokenizers, checks that the trainable tokens of every assistant
    turn include an end-of-turn token (the tokenizer's eos token or a template's
    turn terminator such as ``<|im_end|>`` or ``<|eot_id|>``). Templates that emit
    the terminator as part of the *next* turn's header, or not at all (DeepSeek-R1's
    template after a single tool call), fail this.

    **Why is this bad?**
    The model never learns to stop: after fine-tuning it runs on past its answer and
    writes the next user turn itself.

    **Example**
    ```json
    {
      "messages": [
        {"role": "user", "content": "Turn on the lights"},
        {
          "role": "assistant",
          "tool_calls": [{"type": "function", "function": {"name": "on", "arguments": "{}"}}]
        }
      ]
    }
    ```

    **Fix**
    Use a chat template that closes each assistant turn with its end-of-turn token
    (or add ``{% generation %}`` markers that include it), or append the token to
    assistant turns in your training code.
    """

    id = "eot-not-trained"
    severity = Severity.WARNING
    scope = "token"
    group = "tokens"
    hint = "use a chat template that ends assistant turns with the end-of-turn token"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        found = _rendering(ctx)
        if found is None:
            return
        tokenizer, _, rendering = found
        assert ctx.conversation is not None
        for turn in rendering.turns:
            if turn.eot_trained is False and turn.end > turn.start:
                message = ctx.conversation.messages[turn.message] if turn.message >= 0 else None
                field = (message.field if message else "") or f"messages[{turn.message}]"
                yield self.finding(
                    ctx,
                    f"assistant turn `{field}` ends without a trained end-of-turn token "
                    f"({tokenizer.name} template)",
                    field=field,
                )


@register_rule
class ChatTemplateError(Rule):
    """The tokenizer's chat template cannot render the record.

    **What it does**
    Renders the record with the Hugging Face tokenizer's chat template, as
    ``apply_chat_template`` does, and reports the template's error (a missing
    ``content``, a role the template rejects with ``raise_exception``, roles out of
    the order it requires...).

    **Why is this bad?**
    The trainer's preprocessing fails on this record: the run crashes, or the record
    is skipped without notice.

    **Example**
    ```json
    {
      "messages": [
        {"role": "user", "content": "Look up flights"},
        {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f"}}]}
      ]
    }
    ```

    **Fix**
    Make the record fit the template (alternate user and assistant turns, give every
    message the fields the template reads), or choose a template that accepts it.
    """

    id = "chat-template-error"
    severity = Severity.ERROR
    scope = "token"
    group = "tokens"
    hint = "make the record fit the chat template, or use another template"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        setup = _setup(ctx)
        if setup is None:
            return
        result = ctx.rendering(setup[0])
        if isinstance(result, Exception):
            yield self.finding(ctx, f"{setup[0].name}: {result}")


@register_rule
class ReasoningNotRendered(Rule):
    """The chat template leaves an assistant turn's reasoning out of the rendering.

    **What it does**
    For Hugging Face tokenizers, looks for the reasoning of each assistant turn
    (``reasoning_content``, ``thinking``, a thinking part, or ``<think>...</think>`` in
    the content) in the text the chat template renders, and reports the turns whose
    reasoning is not there: the template drops it (DeepSeek-R1's strips ``<think>``
    blocks; many templates ignore ``reasoning_content``).

    **Why is this bad?**
    The reasoning is neither trained nor counted: a reasoning dataset trained this way
    teaches answers without their reasoning, and the token counts leave it out.

    **Example**
    ```json
    {
      "messages": [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "<think>Two and two make four.</think>4"}
      ]
    }
    ```

    **Fix**
    Use a template that renders the reasoning of the turns you train on (or render
    it into the content yourself), or drop the reasoning on purpose.
    """

    id = "reasoning-not-rendered"
    severity = Severity.WARNING
    scope = "token"
    group = "tokens"
    hint = "use a chat template that renders the reasoning, or drop it on purpose"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = ctx.conversation
        reasoned = [
            (i, m, text)
            for i, m in enumerate(conv.messages if conv is not None else ())
            if m.role == "assistant" and (text := _reasoning_of(m.reasoning, m.text))
        ]
        found = _rendering(ctx) if reasoned else None
        if found is None or found[0].kind != "hf":
            return  # the OpenAI counting convention counts reasoning as text
        tokenizer, _, rendering = found
        rendered = " ".join(tokenizer.decode(rendering.ids).split())
        for i, message, text in reasoned:
            if _probe(text) in rendered:
                continue
            field = message.field or f"messages[{i}]"
            yield self.finding(
                ctx,
                f"the {tokenizer.name} chat template leaves out the reasoning of `{field}` "
                f"({len(text):,} characters): it is neither trained nor counted",
                field=field,
                excerpt_text=text,
            )


_THINK = re.compile(r"<think>(.*?)</think>", re.DOTALL)


def _reasoning_of(reasoning: str | None, content: str) -> str:
    """The reasoning of a turn: its reasoning field, else a ``<think>`` block."""
    if reasoning and reasoning.strip():
        return reasoning.strip()
    if "<think>" not in content:
        return ""
    match = _THINK.search(content)
    return match.group(1).strip() if match else ""


def _probe(text: str) -> str:
    """A piece of ``text`` to look for in the decoded rendering: its first 60 characters
    with whitespace runs as one space (decoding may respace)."""
    return " ".join(text.split())[:60]


# A template ignoring the messages renders (nearly) every record alike; a few equal
# renderings are normal (short greetings), so the rule needs most of a real sample.
_SAME_MIN_RECORDS = 5
_SAME_SHARE = 0.9


@register_rule
class TemplateSameOutput(Rule):
    """The chat template renders (nearly) every record to the same tokens.

    **What it does**
    Renders each record as the trainer does and compares the token sequences: when at
    least 90% of the records (and at least 5) render to one identical sequence although
    their messages differ, the template ignores what the records hold. Reported once
    per file.

    **Why is this bad?**
    A template that does not know the records' roles (``Chatbot``, ``bot``), or reads
    keys the records do not have, renders every record to its bare scaffolding: the
    run trains on the same few tokens thousands of times, and every token count looks
    plausible.

    **Example**
    ```json
    {"messages": [{"role": "human", "content": "Hi"}, {"role": "bot", "content": "Hello"}]}
    ```
    (with a template that emits only messages whose role is user or assistant)

    **Fix**
    Map the roles to the ones the template knows (``sftprep fix``), or use the chat
    template the data was written for.
    """

    id = "template-same-output"
    severity = Severity.ERROR
    scope = "token"
    group = "tokens"
    hint = "map the roles the template does not know (sftprep fix) or use another template"

    def __init__(self) -> None:
        # rendering digest -> [records, first content digest, whether contents differ]
        self._seen: dict[bytes, list[Any]] = {}
        self._records = 0
        self._first: Any = None
        self._length = 0

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        found = _rendering(ctx)
        if found is not None:
            assert ctx.conversation is not None
            self._collect(found[2], ctx)
        return iter(())

    def _collect(self, rendering: Any, ctx: RecordContext) -> None:
        assert ctx.conversation is not None
        self._records += 1
        self._first = self._first or ctx.location
        key = digest(array("l", rendering.ids).tobytes())
        texts = "\x00".join(m.text for m in ctx.conversation.messages)
        content = digest(texts.encode("utf-8", "surrogatepass"))
        entry = self._seen.get(key)
        if entry is None:
            if len(self._seen) < _MAX_RENDERINGS:
                self._seen[key] = [1, content, False, len(rendering.ids)]
        else:
            entry[0] += 1
            entry[2] = entry[2] or entry[1] != content

    def partial(self) -> Any:
        state = (self._seen, self._records, self._first)
        self._seen, self._records, self._first = {}, 0, None
        return state

    def absorb(self, partial: Any, shift: Shift) -> Iterator[Finding]:
        seen, records, first = partial
        self._records += records
        if self._first is None and first is not None:
            self._first = shift(first)
        for key, (count, content, differs, length) in seen.items():
            entry = self._seen.get(key)
            if entry is None:
                if len(self._seen) < _MAX_RENDERINGS:
                    self._seen[key] = [count, content, differs, length]
            else:
                entry[0] += count
                entry[2] = entry[2] or differs or entry[1] != content
        return iter(())

    def finish(self) -> Iterator[Finding]:
        if self._records < _SAME_MIN_RECORDS or not self._seen:
            return
        count, _, differs, length = max(self._seen.values(), key=lambda e: e[0])
        if differs and count >= _SAME_SHARE * self._records:
            yield self.finding(
                self._first,
                f"the chat template renders {count:,} of {self._records:,} records to the same "
                f"{length:,} tokens although their messages differ: it ignores them",
            )


_MAX_RENDERINGS = 10_000  # distinct renderings tracked: enough to see that most are one
