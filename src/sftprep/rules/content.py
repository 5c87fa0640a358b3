"""Content rules: what the training text itself contains (or lacks)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sftprep.findings import Finding, Severity
from sftprep.rules._common import TEXT_FORMAT, is_absent, iter_texts, resolve, snippet
from sftprep.rules.base import RecordContext, Rule, register_rule


@register_rule
class EmptyText(Rule):
    """A turn or text field is empty, whitespace-only or null.

    **What it does**
    Reports every message whose text is missing, ``null``, ``""`` or only
    whitespace: an empty ``output``, a ``null`` ``cot_answer``, an empty ShareGPT
    ``value``. An assistant turn that only carries ``tool_calls`` is fine. An empty
    system message is a warning, every other empty turn an error. The finding's field
    is the message's text field (``conversations[1].value``, ``cot_answer``). An
    absent key is left to `missing-key`, a non-text value to `wrong-type`.

    **Why is this bad?**
    An empty response teaches the model to stop immediately; an empty prompt teaches
    it to answer a question nobody asked. Templates may also render ``None``
    literally.

    **Example**
    ```json
    {
      "instruction": "Determine the largest value in an array of integers.",
      "input": "",
      "output": ""
    }
    ```

    **Fix**
    Write the missing text, or drop the record (``sftprep fix`` writes rejected rows
    to a separate file).
    """

    id = "empty-text"
    severity = Severity.ERROR
    group = "content"
    hint = "write the missing text or drop the record"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = ctx.conversation
        if conv is None:
            return
        for i, message in enumerate(conv.messages):
            if message.text.strip():
                continue
            if message.role == "assistant" and message.tool_calls:
                continue  # a pure tool-call turn needs no text
            field = message.content_field or message.field or f"messages[{i}]"
            if is_absent(ctx.record, field):
                continue  # an absent key: missing-key reports it
            raw = resolve(ctx.record, field)
            if raw is not None and not isinstance(raw, (str, list)):
                continue  # a number or object: wrong-type reports it
            if message.content is None:
                what = "null or missing"
            elif message.content == "":
                what = "empty"
            else:
                what = "whitespace-only"
            severity = Severity.WARNING if message.role == "system" else None
            yield self.finding(
                ctx, f"{message.role} text `{field}` is {what}", field=field, severity=severity
            )


# One pattern for the special tokens of the common tokenizer families: ChatML,
# GPT (<|endoftext|>), Llama 3 (<|eot_id|> ...), Phi (<|user|>), DeepSeek (fullwidth
# bars), Llama 2 / Mistral ([INST], <<SYS>>, <s>), Gemma (<start_of_turn>).
SPECIAL_TOKEN = re.compile(
    r"<\|[A-Za-z][A-Za-z0-9_.]{0,40}\|>"
    r"|<｜[^｜<>\n]{1,40}｜>"
    r"|\[/?(?:INST|SYSTEM_PROMPT|AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS)\]"
    r"|<</?SYS>>"
    r"|<(?:start_of_turn|end_of_turn|bos|eos|unk|pad|startoftext|endoftext)>"
    r"|</?s>"
)
# ``<s>`` is also HTML's strikethrough tag: only a leak when the text has no other markup.
_HTML_TAG = re.compile(r"</?(?!s>)[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")


@register_rule
class SpecialTokenLeak(Rule):
    """Text contains a tokenizer's special-token string.

    **What it does**
    Looks for the literal text of special tokens in any field: ``<|endoftext|>``,
    ``<|im_start|>``, ``<|im_end|>``, ``<|eot_id|>``, ``<|start_header_id|>``,
    ``<|begin_of_text|>``, ``<|user|>``, ``<|assistant|>``,
    ``<｜begin▁of▁sentence｜>``, ``[INST]``, ``[/INST]``, ``<<SYS>>``, ``<s>``,
    ``</s>``, ``<start_of_turn>`` and the like (``<s>``/``</s>`` only when the text
    has no other HTML tags). Not applied to the ``text`` format, whose rows are
    pre-rendered on purpose.

    **Why is this bad?**
    The chat template adds the real control tokens. A literal copy in the content is
    either encoded as a special token (ending the turn early, or letting user text
    forge turns) or as plain text the model then learns to print.

    **Example**
    ```json
    {"prompt": "Is this news about business or sports?\\n", "completion": "Business<|endoftext|>"}
    ```

    **Fix**
    Strip the token from the text and let the tokenizer or chat template add it
    (for legacy completions, ``tokenizer.eos_token`` is appended automatically).
    """

    id = "special-token-leak"
    severity = Severity.WARNING
    group = "content"
    hint = "remove the literal token; the chat template adds the real one"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        if ctx.conversation is None or ctx.format == TEXT_FORMAT:
            return
        for field, text in iter_texts(ctx.conversation):
            found = [m for m in SPECIAL_TOKEN.finditer(text) if _is_token(m, text)]
            if not found:
                continue
            tokens = sorted({m.group(0) for m in found})
            shown = ", ".join(tokens[:5]) + (", …" if len(tokens) > 5 else "")
            first = found[0]
            yield self.finding(
                ctx,
                f"`{field}` contains special-token text {shown}",
                field=field,
                excerpt_text=snippet(text, first.start(), first.end()),
            )


def _is_token(match: re.Match[str], text: str) -> bool:
    if match.group(0) in ("<s>", "</s>"):
        return not _HTML_TAG.search(text)
    return True


# C0/C1 controls except tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Invisible characters with no legitimate use inside text. ZWJ/ZWNJ (U+200C/D) and
# the direction marks (U+200E/F) are left alone: emoji sequences, Persian and Indic
# scripts and right-to-left text need them.
_ZERO_WIDTH = re.compile(r"[\u200b\u2060\ufeff\u180e]")


@register_rule
class EncodingDamage(Rule):
    """Text shows encoding damage: U+FFFD, mojibake, control or zero-width characters.

    **What it does**
    Reports fields containing the replacement character U+FFFD (bytes lost in a
    decode), mojibake such as ``Ã©`` or ``â€™`` (UTF-8 read as Latin-1/Windows-1252,
    detected with ftfy's badness heuristic), control characters other than tab,
    newline and carriage return, zero-width characters (U+200B, U+2060, a BOM
    inside text), and lone surrogates (``"\\ud800"`` in JSON: no character at all).
    Accented letters, curly quotes, emoji and non-Latin scripts are fine.

    **Why is this bad?**
    The model learns to emit the garbage, and the information the characters carried
    (a math symbol, an accented letter) is gone from the example.

    **Example**
    ```json
    {
      "prompt": "The simplest method is trial division: test whether \\ufffd divides n.",
      "response": "..."
    }
    ```

    **Fix**
    Re-decode the source with the right encoding, repair mojibake with
    ``ftfy.fix_text``, strip control/zero-width characters, or restore the lost text
    from the source.
    """

    id = "encoding-damage"
    severity = Severity.WARNING
    group = "content"
    hint = "repair the text (ftfy.fix_text) or restore it from the source"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        if ctx.conversation is None:
            return
        for field, text in iter_texts(ctx.conversation):
            problems = _encoding_problems(text)
            if not problems:
                continue
            kinds = ", ".join(f"{name} x{count}" for name, count, _ in problems)
            start = min(pos for _, _, pos in problems)
            yield self.finding(
                ctx,
                f"`{field}` has encoding damage: {kinds}",
                field=field,
                excerpt_text=_visible(snippet(text, start, start + 1)),
            )


# "\ud800" is legal JSON but no character: UTF-8 cannot encode it, so writers and
# tokenizers fail on it or turn it into U+FFFD.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _encoding_problems(text: str) -> list[tuple[str, int, int]]:
    """``(kind, count, first position)`` for each kind of damage in ``text``."""
    problems = []
    if "\ufffd" in text:
        problems.append(
            ("U+FFFD replacement character", text.count("\ufffd"), text.index("\ufffd"))
        )
    for name, pattern in (
        ("control character", _CONTROL),
        ("zero-width character", _ZERO_WIDTH),
        ("lone surrogate", _SURROGATE),
    ):
        hits = [m.start() for m in pattern.finditer(text)]
        if hits:
            problems.append((name, len(hits), hits[0]))
    if not text.isascii() and _is_mojibake(text):
        problems.append(("mojibake", 1, _first_non_ascii(text)))
    return problems


# UTF-8 read as Latin-1/Windows-1252 always shows a lead byte (0xC2-0xF4: Â..ô)
# followed by a continuation byte (0x80-0xBF, shown as U+0080-U+00BF or cp1252's
# € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ). Only texts with such a pair
# go through ftfy's slower badness heuristic, which decides.
_MOJIBAKE_PAIR = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021"
    "\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022"
    "\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]"
)


def _is_mojibake(text: str) -> bool:
    if not _MOJIBAKE_PAIR.search(text):
        return False
    from ftfy.badness import is_bad

    return bool(is_bad(text))


def _first_non_ascii(text: str) -> int:
    return next((i for i, ch in enumerate(text) if ord(ch) > 127), 0)


def _visible(text: str) -> str:
    """Show invisible characters as escapes so the excerpt points at them."""
    text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
    return _ZERO_WIDTH.sub(lambda m: f"\\u{ord(m.group(0)):04x}", _CONTROL.sub(_escape, text))


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group(0)):02x}"


# Field names that templates substitute; ``{name}`` alone is too common in code.
PLACEHOLDER_NAMES = (
    "question",
    "input",
    "instruction",
    "context",
    "rag",
    "answer",
    "name",
    "text",
    "query",
    "prompt",
    "response",
    "output",
)
_PLACEHOLDER = re.compile(
    r"\{\{\s*(?:[A-Za-z_][A-Za-z0-9_]*)?\s*\}\}"  # {{name}}, {{ }}
    # {question}; not ${var}, `{x}` (inline code) or \text{output} (LaTeX: a letter before)
    r"|(?<![{$`\w])\{(?:" + "|".join(PLACEHOLDER_NAMES) + r")\}(?!\})"
)
# Signs that a field holds code or markup, where braces are legitimate syntax.
_CODE = re.compile(
    r"```|=>|</?[A-Za-z][A-Za-z0-9]*[\s/>]|\bdef \w+\(|\bfunction\s*\w*\s*\(|^\s*return\b"
    r"|^\s*(?:import|from|const|let|var) \w|\bprint\(|console\.log|#include|\bclass \w+[:({]"
    r"|;\s*$|\{%|\bf[\"']|\.format\(|\b\w+!\(|\w\(\s*[\"']|\$\"",
    re.MULTILINE,
)


@register_rule
class TemplatePlaceholder(Rule):
    """Text contains an unrendered template placeholder such as ``{question}``.

    **What it does**
    Reports ``{{name}}``/``{{ }}`` and single-brace placeholders named like a
    template field (``{question}``, ``{input}``, ``{instruction}``, ``{context}``,
    ``{rag}``, ``{answer}``, ``{name}``, ``{text}``, ``{query}``, ``{prompt}``,
    ``{response}``, ``{output}``). Fields that look like code or markup (JSX,
    Python f-strings and ``.format(``, calls such as ``log("{name}")``, Rust macros,
    C# ``$"..."``, Jinja/Angular templates) are skipped, as are ``${var}``, braces in
    inline code (`` `{name}` ``), LaTeX commands (``\\text{output}``) and
    placeholders with dots (``{{ user.name }}``).

    **Why is this bad?**
    The generation script forgot to fill in the template: the model is trained on the
    literal ``{question}`` instead of a question, and learns to echo braces.

    **Example**
    ```json
    {
      "instruction": "Answer using the context.\\nContext: {context}\\nQuestion: {question}",
      "output": "..."
    }
    ```

    **Fix**
    Re-run the generation with the template rendered (``template.format(**row)``),
    or drop the affected records.
    """

    id = "template-placeholder"
    severity = Severity.ERROR
    group = "content"
    hint = "render the template (fill in the placeholder) or drop the record"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        if ctx.conversation is None:
            return
        for field, text in iter_texts(ctx.conversation):
            if "{" not in text:
                continue
            found = list(_PLACEHOLDER.finditer(text))
            if not found or _CODE.search(text):
                continue
            names = sorted({m.group(0) for m in found})
            yield self.finding(
                ctx,
                f"`{field}` contains unrendered placeholder {', '.join(names[:5])}",
                field=field,
                excerpt_text=snippet(text, found[0].start(), found[0].end()),
            )


# Prompt scaffolding of popular instruction templates, at the start of a line.
_SCAFFOLD = re.compile(
    r"^[ \t]*(?:###[ \t]*(?:Instruction|Input|Response|Human|Assistant|System)[ \t]*:"
    r"|Below is an instruction that describes a task"
    r"|(?:Human|Assistant|USER|ASSISTANT|<human>|<bot>)[ \t]*:)",
    re.MULTILINE,
)


@register_rule
class BakedTemplate(Rule):
    """A prompt template is baked into the text (``### Instruction:`` ... ``### Response:``).

    **What it does**
    Reports fields holding at least two markers of an instruction template at line
    starts (``### Instruction:``, ``### Input:``, ``### Response:``,
    ``Human:``/``Assistant:``, ``USER:``/``ASSISTANT:``) or Alpaca's preamble
    ``Below is an instruction that describes a task``. Not applied to the ``text``
    format, where rendered templates are expected.

    **Why is this bad?**
    Chat training applies the model's own chat template on top, so the model sees two
    nested templates and learns a prompt style it will never get at inference. For
    completion-style training of a base model a baked template is intended: then
    ignore this rule (it is informational).

    **Example**
    ```json
    {
      "prompt": "Below is an instruction...\\n### Instruction:\\nName a fruit\\n### Response:\\n",
      "response": "Apple"
    }
    ```

    **Fix**
    Keep only the instruction text in the prompt field and let the trainer's template
    wrap it, or ``--ignore baked-template`` when you train on completions on purpose.
    """

    id = "baked-template"
    severity = Severity.INFO
    group = "content"
    hint = "keep only the instruction text; let the chat template wrap it"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        if ctx.conversation is None or ctx.format == TEXT_FORMAT:
            return
        for field, text in iter_texts(ctx.conversation):
            found = list(_SCAFFOLD.finditer(text))
            markers = {_marker(m.group(0)) for m in found}
            preamble = "Alpaca preamble" in markers
            if len(markers) < 2 and not preamble:
                continue
            yield self.finding(
                ctx,
                f"`{field}` contains a baked-in prompt template ({', '.join(sorted(markers))})",
                field=field,
                excerpt_text=snippet(text, found[0].start(), found[0].end()),
            )


def _marker(text: str) -> str:
    text = " ".join(text.split())
    return "Alpaca preamble" if text.startswith("Below") else text
