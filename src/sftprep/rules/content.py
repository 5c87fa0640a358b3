"""Content rules: what the training text itself contains (or lacks)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from sftprep.findings import Finding, Severity
from sftprep.model import Conversation, Message
from sftprep.rules._common import is_absent, is_raw_text, iter_texts, resolve, snippet
from sftprep.rules.base import RecordContext, Rule, register_rule
from sftprep.rules.special_tokens import TOKEN_SHAPE, families_of, usable_tokens
from sftprep.rules.tools import PYTHON_TAG


@register_rule
class EmptyText(Rule):
    """A turn or text field is empty, whitespace-only, invisible-only or null.

    **What it does**
    Reports every message whose text is missing, ``null``, ``""``, only whitespace,
    or only invisible characters (zero-width space U+200B, word joiner U+2060, BOM
    U+FEFF, U+180E, a lone ZWJ/ZWNJ U+200D/U+200C, soft hyphen U+00AD, Hangul filler
    U+3164, blank Braille U+2800 and the like, with or without whitespace; the message
    names them): an empty ``output``, a ``null`` ``cot_answer``, an empty ShareGPT
    ``value``. An assistant turn that only carries ``tool_calls`` is fine. An empty
    system message is a warning, every other empty turn an error. The finding's field
    is the message's text field (``conversations[1].value``, ``cot_answer``). An
    absent key is left to `missing-key`, a non-text value to `wrong-type`.

    **Why is this bad?**
    An empty response teaches the model to stop immediately; an empty prompt teaches
    it to answer a question nobody asked. Templates may also render ``None``
    literally. Text of zero-width characters looks filled in every viewer but is just
    as empty.

    **Example**
    ```json
    {
      "instruction": "Determine the largest value in an array of integers.",
      "input": "",
      "output": "\\u200b"
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
        for message, field, what in _empty_turns(ctx):
            severity = Severity.WARNING if message.role == "system" else None
            yield self.finding(
                ctx, f"{message.role} text `{field}` is {what}", field=field, severity=severity
            )


# Characters that show nothing, besides whitespace: format controls (zero-width space,
# joiners, direction marks, BOM, invisible operators, tags), fillers that are letters
# only by category (Hangul fillers, blank Braille, Khmer inherent vowels) and variation
# selectors. Text made of these and whitespace only is empty.
INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069"
    "\u206a\u206b\u206c\u206d\u206e\u206f\u2800\u3164\ufeff\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
    + "".join(chr(c) for c in (0x1BCA0, 0x1BCA1, 0x1BCA2, 0x1BCA3, 0xE0001))
    + "".join(chr(c) for c in range(0xE0020, 0xE0080))
)
# Python's whitespace (str.isspace), for str.strip with an explicit set of characters.
_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_BLANK = _WHITESPACE + INVISIBLE
_INVISIBLE_SET = frozenset(INVISIBLE)


def invisible_only(text: str) -> bool:
    """True when ``text`` has an invisible character and nothing else but whitespace."""
    stripped = text.strip()
    # cheap first: text starting with anything visible is not invisible-only
    return bool(stripped) and stripped[0] in _INVISIBLE_SET and not stripped.strip(_BLANK)


def _invisible_names(text: str) -> str:
    """``U+200B ZERO WIDTH SPACE x2, U+2060 WORD JOINER`` for the invisible characters."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch in _INVISIBLE_SET:
            counts[ch] = counts.get(ch, 0) + 1
    return ", ".join(
        f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip() + (f" x{n}" if n > 1 else "")
        for ch, n in counts.items()
    )


def _empty_turns(ctx: RecordContext) -> Iterator[tuple[Message, str, str]]:
    """``(message, field, what)`` for each message `empty-text` reports."""
    conv = ctx.conversation
    if conv is None:
        return
    for i, message in enumerate(conv.messages):
        text = message.content or ""
        stripped = text.strip()
        if stripped and stripped[0] not in _INVISIBLE_SET:
            continue  # the common case, decided by one strip
        invisible = bool(stripped)
        if invisible and stripped.strip(_BLANK):
            continue  # invisible characters and text
        if message.role == "assistant" and message.tool_calls:
            continue  # a pure tool-call turn needs no text
        field = message.content_field or message.field or f"messages[{i}]"
        if is_absent(ctx.record, field):
            continue  # an absent key: missing-key reports it
        raw = resolve(ctx.record, field)
        if raw is not None and not isinstance(raw, (str, list)):
            continue  # a number or object: wrong-type reports it
        if invisible:
            what = f"invisible-only ({_invisible_names(text)})"
        elif message.content is None:
            what = "null or missing"
        elif message.content == "":
            what = "empty"
        else:
            what = "whitespace-only"
        yield message, field, what


# ``<s>`` is also HTML's strikethrough tag: only a leak when the text has no other markup.
_HTML_TAG = re.compile(r"</?(?!s>)[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
# Cheap tests before the regular expression: every known token has one of these.
_TOKEN_CHARS = ("<", "[")


@register_rule
class SpecialTokenLeak(Rule):
    """Text contains the literal text of a tokenizer's special token.

    **What it does**
    Looks in every field for strings that are special tokens of a known tokenizer
    family (the table in ``sftprep/rules/special_tokens.py``, each entry with the
    ``tokenizer_config.json`` or tiktoken definition it comes from): OpenAI tiktoken
    (``<|endoftext|>``, ``<|fim_prefix|>``, ``<|endofprompt|>``, o200k_harmony's
    ``<|start|>``, ``<|channel|>``, ``<|message|>``, ``<|return|>``...), Llama 2
    (``<s>``, ``</s>``, ``[INST]``, ``<<SYS>>``), Llama 3 (``<|begin_of_text|>``,
    ``<|start_header_id|>``, ``<|eot_id|>``, ``<|reserved_special_token_N|>``...),
    ChatML/Qwen (``<|im_start|>``, ``<|im_end|>``, ``<|vision_start|>``...), Mistral
    (``[TOOL_CALLS]``, ``[AVAILABLE_TOOLS]``...), Gemma (``<start_of_turn>``,
    ``<bos>``...), Phi-3 (``<|user|>``, ``<|assistant|>``, ``<|end|>``), DeepSeek
    (``<｜begin▁of▁sentence｜>``, ``<｜User｜>``...), GPT-NeoX (``<|padding|>``),
    StarCoder (``<fim_prefix>``, ``<file_sep>``...) and Command R. With a Hugging Face
    tokenizer (``--tokenizer``) its own special tokens count too. The message names the
    families. A made-up ``<|word|>`` is not a special token of any tokenizer and is
    not reported; ``<s>``/``</s>`` only count when the text has no other HTML tags.
    Not applied to the ``text`` format, whose rows are pre-rendered on purpose.

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

    def __init__(self) -> None:
        # the given tokenizer's special tokens and a pattern for those of other shapes
        self._tokenizer: tuple[Any, str, frozenset[str], re.Pattern[str] | None] | None = None

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        if ctx.conversation is None or is_raw_text(ctx):
            return
        _, name, extra, other_shapes = self._tokenizer_tokens(ctx)
        for field, text in iter_texts(ctx.conversation):
            if PYTHON_TAG in text and field in _python_tag_calls(ctx.conversation):
                text = text.lstrip()[len(PYTHON_TAG) :]  # Llama 3.1's tool call marker
            if not any(c in text for c in _TOKEN_CHARS) and other_shapes is None:
                continue
            found = _special_tokens(text, name, extra, other_shapes)
            if not found:
                continue
            first = min(start for start, _, _ in found)
            families: dict[str, tuple[str, ...]] = {}
            for _, token, names in sorted(found):
                families.setdefault(token, names)
            shown = ", ".join(
                f"{token} ({', '.join(names)})" for token, names in list(families.items())[:5]
            ) + (", …" if len(families) > 5 else "")
            yield self.finding(
                ctx,
                f"`{field}` contains special-token text {shown}",
                field=field,
                excerpt_text=snippet(text, first, first + 1),
            )

    def _tokenizer_tokens(
        self, ctx: RecordContext
    ) -> tuple[Any, str, frozenset[str], re.Pattern[str] | None]:
        """The special tokens of ``ctx.options["tokenizer"]``, loaded once per spec."""
        spec = ctx.options.get("tokenizer")
        if spec is None:
            return None, "", frozenset(), None
        if self._tokenizer is not None and self._tokenizer[0] == spec:
            return self._tokenizer
        from sftprep.tokens import get_tokenizer

        tokenizer = get_tokenizer(spec, template=ctx.options.get("template", "auto"))
        tokens = usable_tokens(tokenizer.special_tokens())
        odd = sorted((t for t in tokens if not TOKEN_SHAPE.fullmatch(t)), key=len, reverse=True)
        other = re.compile("|".join(map(re.escape, odd))) if odd else None
        name = f"tokenizer {tokenizer.name}"
        self._tokenizer = (spec, name, tokens, other)
        return self._tokenizer


def _special_tokens(
    text: str, name: str, extra: frozenset[str], other_shapes: re.Pattern[str] | None
) -> list[tuple[int, str, tuple[str, ...]]]:
    """``(start, token, families)`` of every special token in ``text``."""
    found = []
    html: bool | None = None
    for match in TOKEN_SHAPE.finditer(text):
        token = match.group(0)
        names = families_of(token)
        if token in extra:
            names = (*names, name)
        if not names:
            continue
        if token in ("<s>", "</s>"):
            if html is None:
                html = bool(_HTML_TAG.search(text))
            if html:
                continue
        found.append((match.start(), token, names))
    if other_shapes is not None:
        found.extend((m.start(), m.group(0), (name,)) for m in other_shapes.finditer(text))
    return found


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
    decode), mojibake such as ``Ã©`` or ``â€™`` (UTF-8 read as Latin-1/Windows-1252:
    reported when ftfy's badness heuristic flags the text *and* re-encoding a span as
    Windows-1252/Latin-1 gives valid UTF-8 that ftfy accepts), control characters
    other than tab, newline and carriage return, zero-width characters (U+200B, U+2060,
    a BOM inside text), and lone surrogates (``"\\ud800"`` in JSON: no character at
    all). Accented letters, curly quotes around them (``“à”``, ``‘ñ’``), emoji and
    non-Latin scripts are fine. A message made only of invisible characters is left to
    `empty-text`.

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
        empty: set[str] | None = None  # fields empty-text reports, computed when needed
        for field, text in iter_texts(ctx.conversation):
            problems = _encoding_problems(text)
            if not problems:
                continue
            if invisible_only(text):
                if empty is None:
                    empty = {field for _, field, _ in _empty_turns(ctx)}
                if field in empty:
                    continue  # empty-text reports it as invisible-only
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


# Any character one of the kinds below looks for: one search finds the clean texts.
_SUSPECT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff\u180e\ufffd\ud800-\udfff]"
)


def _encoding_problems(text: str) -> list[tuple[str, int, int]]:
    """``(kind, count, first position)`` for each kind of damage in ``text``."""
    if not _SUSPECT.search(text):  # the common case: only mojibake is left to look for
        if text.isascii():
            return []
        at = _mojibake_at(text)
        return [] if at is None else [("mojibake", 1, at)]
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
    if not text.isascii():
        at = _mojibake_at(text)
        if at is not None:
            problems.append(("mojibake", 1, at))
    return problems


# UTF-8 read as Latin-1/Windows-1252 always shows a lead byte (0xC2-0xF4: Â..ô)
# followed by a continuation byte (0x80-0xBF, shown as U+0080-U+00BF or cp1252's
# € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ). Only texts with such a pair
# go through ftfy, which decides.
_MOJIBAKE_PAIR = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021"
    "\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022"
    "\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]"
)
# ftfy steps that prove UTF-8 was decoded as a single-byte encoding; its other fixes
# (C1 controls read as Windows-1252) are not mojibake of UTF-8.
_UTF8_STEPS = frozenset({("decode", "utf-8"), ("decode", "utf-8-variants")})


def _mojibake_at(text: str) -> int | None:
    """Where the first mojibake in ``text`` starts, or None when there is none.

    ftfy's badness heuristic alone also flags correct text (``“à”s``, ``“é”“è”``:
    an accented letter next to a curly quote). Mojibake is only reported when ftfy's
    encoding fix changes the text by decoding UTF-8 bytes: a span re-encoded as
    Windows-1252/Latin-1 is valid UTF-8. ftfy only sees the text around each suspicious
    pair (mojibake is local), so a long answer costs no more than a short one.
    """
    if not _MOJIBAKE_PAIR.search(text):
        return None
    from ftfy import fix_encoding_and_explain

    for start, end in _windows(text):
        window = text[start:end]
        # ftfy returns text its badness heuristic does not flag at once, unchanged
        fixed, steps = fix_encoding_and_explain(window, fix_c1_controls=False)
        if fixed != window and any(
            tuple(step) in _UTF8_STEPS or step[0] == "apply" for step in steps or ()
        ):
            return start + _first_difference(window, fixed)
    return None


_CONTEXT = 16  # characters around a suspicious pair that ftfy looks at
_MAX_WINDOWS = 64


def _windows(text: str) -> Iterator[tuple[int, int]]:
    """Spans around the suspicious pairs of ``text``, overlapping ones merged."""
    start = end = -1
    count = 0
    for match in _MOJIBAKE_PAIR.finditer(text):
        lo, hi = max(0, match.start() - _CONTEXT), min(len(text), match.end() + _CONTEXT)
        if lo <= end:
            end = hi
            continue
        if end >= 0:
            yield start, end
            count += 1
            if count >= _MAX_WINDOWS:
                return
        start, end = lo, hi
    if end >= 0:
        yield start, end


def _first_difference(a: str, b: str) -> int:
    same = (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y)
    return next(same, min(len(a), len(b)))


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
CODE = re.compile(
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
            if not found or CODE.search(text):
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
    r"|(?:Human|Assistant|USER|ASSISTANT|<human>|<bot>)[ \t]*:)"
    # chat markup of the common templates: ChatML, Llama 3, Llama 2/Mistral, Gemma, Zephyr
    r"|<\|im_start\|>(?:system|user|assistant)|<\|start_header_id\|>(?:system|user|assistant)"
    r"|\[/?INST\]|<start_of_turn>(?:user|model)|<\|(?:system|user|assistant)\|>",
    re.MULTILINE,
)
# Words every marker of `_SCAFFOLD` holds (case as written there).
_SCAFFOLD_WORDS = re.compile(
    "###|Below is|Human|Assistant|USER|ASSISTANT|<human>|<bot>|<\\||INST\\]|<start_of_turn>"
)


@register_rule
class BakedTemplate(Rule):
    """A prompt template is baked into the text (``### Instruction:`` ... ``### Response:``).

    **What it does**
    Reports fields holding at least two markers of an instruction template at line
    starts (``### Instruction:``, ``### Input:``, ``### Response:``,
    ``Human:``/``Assistant:``, ``USER:``/``ASSISTANT:``), of a chat template's markup
    (``<|im_start|>user``, ``<|start_header_id|>assistant``, ``[INST]``/``[/INST]``,
    ``<start_of_turn>user``, ``<|user|>``) or Alpaca's preamble ``Below is an
    instruction that describes a task``. Not applied to the ``text`` format, where
    rendered templates are expected (`not-sft-data` counts them there).

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
        if ctx.conversation is None or is_raw_text(ctx):
            return
        untrained: frozenset[str] = getattr(ctx.adapter, "untrained", frozenset())  # DPO rejected
        for field, text in iter_texts(ctx.conversation, unread=True):
            if field in untrained or not _SCAFFOLD_WORDS.search(text):
                continue  # one plain search is far cheaper than the multi-line one
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


def _python_tag_calls(conv: Conversation) -> set[str]:
    """Content paths of assistant turns that are Llama 3.1 built-in tool calls
    (``<|python_tag|>`` first: the template writes the same special token)."""
    return {
        m.content_field or f"{m.field or f'messages[{i}]'}.content"
        for i, m in enumerate(conv.messages)
        if m.role == "assistant" and m.text.lstrip().startswith(PYTHON_TAG)
    }
