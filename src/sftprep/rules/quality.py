"""Quality rules: text that is well-formed but not what the model should learn.

Untrimmed whitespace, the generating model's own commentary left in an answer, and
class labels that cover only part of the choices a classification prompt offers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from sftprep.findings import Finding, Severity
from sftprep.model import Location
from sftprep.rules._common import TEXT_FORMAT, iter_texts, snippet
from sftprep.rules.base import RecordContext, Rule, register_rule

_BLANKS = " \t\u00a0\u3000"
_LEADING = re.compile(r"\A(?:[ \t]*\n)+")


@register_rule
class UntrimmedWhitespace(Rule):
    """A text field ends with spaces or tabs, or starts with blank lines.

    **What it does**
    Reports every text field (a prompt, an answer, a message) whose text ends with
    spaces, tabs or no-break spaces (before any final newlines), or starts with one or
    more blank lines. A single trailing newline is not reported: legacy
    prompt/completion data ends prompts with a separator on purpose. Informational.

    **Why is this bad?**
    Tokenizers turn trailing spaces into their own tokens: the model learns that an
    answer (or a question) ends with ``"  "``, which it will then produce or expect at
    inference. Stray whitespace is also a sign of a sloppy export (generator numbering,
    copied cells).

    **Example**
    ```json
    {"question": "1. What is the main purpose of the model?  ", "cot_answer": "..."}
    ```

    **Fix**
    Trim the text: ``sftprep fix --strip``.
    """

    id = "untrimmed-whitespace"
    severity = Severity.INFO
    group = "content"
    hint = "trim the text (sftprep fix --strip)"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        if ctx.conversation is None or ctx.format == TEXT_FORMAT:
            return
        # tool call arguments are JSON text: whitespace in them is insignificant
        for field, text in iter_texts(ctx.conversation, arguments=False):
            problem = _whitespace_problem(text)
            if problem:
                yield self.finding(
                    ctx, f"`{field}` {problem}", field=field, excerpt_text=_ends(text)
                )


def _whitespace_problem(text: str) -> str:
    if not text.strip():
        return ""  # empty-text reports whitespace-only text
    # rstrip, not a regular expression: a search for trailing blanks is quadratic in
    # the length of a run of spaces, and a hostile file can hold megabytes of them
    body = text.rstrip("\n")
    blanks = len(body) - len(body.rstrip(_BLANKS))
    if blanks:
        return f"ends with {blanks} whitespace character{'s' if blanks > 1 else ''}"
    if _LEADING.match(text):
        return "starts with a blank line"
    return ""


def _ends(text: str) -> str:
    """Both ends of ``text`` with spaces made visible (an excerpt collapses them)."""
    shown = text if len(text) <= 70 else text[:30] + " … " + text[-35:]
    return shown.replace(" ", "·").replace("\t", "→").replace("\n", "⏎")


_NOTE = re.compile(
    r"(?:^|\n|\()[ \t>*_]*(?:note|nb|n\.b\.)(?:[ \t]+that\b|[ \t*_]*:)|\bplease note\b",
    re.IGNORECASE,
)
_AI_DISCLAIMER = re.compile(
    r"\bas an? (?:ai|artificial intelligence|large language model|language model|llm)\b",
    re.IGNORECASE,
)
_REFUSAL = re.compile(
    r"\bI(?:'m|’m| am)(?: really)? sorry,? (?:but )?I(?: can(?:no|'|’)t| am (?:not able|unable)"
    r"|(?:'m|’m) (?:not able|unable)| won(?:'|’)t)\b"
    r"|\bI (?:can(?:no|'|’)t|am unable to|(?:'m|’m) unable to) (?:help|assist|fulfil+|comply)\b",
    re.IGNORECASE,
)
# kind, pattern, and words one of which the lower-cased text must hold for the pattern
# to match at all: a substring test is ten times cheaper than a case-insensitive search
_COMMENTARY = (
    ("an AI disclaimer", _AI_DISCLAIMER, ("as a",)),
    ("a refusal", _REFUSAL, ("sorry", "i can", "unable")),
    ("an appended note", _NOTE, ("note", "nb", "n.b.")),
)


@register_rule
class ModelCommentary(Rule):
    """An answer carries the generating model's commentary: a disclaimer, refusal or note.

    **What it does**
    Looks at assistant text for what a model adds when it writes training data: an AI
    disclaimer (``As an AI language model, ...``), a refusal (``I'm sorry, but I
    can't ...``), or a note after the answer (``Note: ...``, ``(Note that ...)``,
    ``**Note:**``, ``Please note ...``). One finding per turn, naming the first kind
    found. Informational: a refusal can be the intended answer (a function-calling
    set that declines tasks it has no tool for), and a note can be wanted.

    **Why is this bad?**
    Distilled datasets inherit their teacher's habits: the fine-tuned model learns to
    disclaim, refuse, or append notes nobody asked for; a translation set whose
    answers end with "Note: the Indonesian version is a direct translation..." teaches
    the model to chat instead of translating.

    **Example**
    ```json
    {"instruction": "Translate to French: Good morning.",
     "output": "Bonjour.\\n\\nNote: this greeting is used until the evening."}
    ```

    **Fix**
    Cut the commentary from the answer, regenerate the answer, or drop the record; keep
    refusals only where refusing is the behaviour you want to teach.
    """

    id = "model-commentary"
    severity = Severity.INFO
    group = "content"
    hint = "cut the commentary from the answer (or regenerate it)"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = ctx.conversation
        if conv is None or ctx.format == TEXT_FORMAT:
            return
        for i, message in enumerate(conv.messages):
            if message.role != "assistant" or not message.content:
                continue
            low = message.content.lower()
            for kind, pattern, words in _COMMENTARY:
                if not any(word in low for word in words):
                    continue
                match = pattern.search(message.content)
                if match is None:
                    continue
                field = message.content_field or f"messages[{i}].content"
                yield self.finding(
                    ctx,
                    f"assistant text `{field}` carries model commentary: {kind}",
                    field=field,
                    excerpt_text=snippet(message.content, match.start(), match.end(), pad=40),
                )
                break


# A classification set: short answers drawn from a few labels, each used many times.
_MIN_RECORDS = 20
_MAX_LABELS = 30
_MAX_LABEL_CHARS = 40
_SKEW = 3.0  # the most frequent label at least this many times the rarest
_TRAILING_TOKENS = re.compile(r"(?:\s*(?:<\|[a-z_]+\|>|</s>|<eos>|<end_of_turn>))+\s*\Z")
_OPTION_SPLIT = re.compile(r"\s*(?:,|;|/|\bor\b|\n|\s-\s)\s*", re.IGNORECASE)
_LEAD_IN = re.compile(
    r"^.*(?:\b(?:regarding|about|among|between|from|as|either|into|of|is it|choose|options?"
    r"|with|using)\s+|:\s*)",
    re.IGNORECASE,
)
_MAX_TRACKED_LINES = 5_000


@register_rule
class LabelSkew(Rule):
    """A classification set uses only some of its labels, or one label far more than another.

    **What it does**
    Recognises classification data: at least 20 single-answer records whose answers
    (trimmed, case-folded, trailing special tokens such as ``<|endoftext|>`` removed)
    are at most 30 distinct short labels, each used at least twice. It then reports,
    once for the dataset: choices the prompts offer that no answer ever uses (read
    from the prompt line every record shares, e.g. "... world politics, sports,
    business, or science and technology?"), and labels used at least 3 times as often
    as the rarest one. The message lists every label with its count.

    **Why is this bad?**
    A classifier trained on two of four classes never predicts the other two; a skewed
    one learns the prior ("always Business") instead of the task, and its accuracy on
    the training distribution hides it.

    **Example**
    ```json
    {"prompt": "Oil soars.\\nIs this news about world politics, sports, business, or science?",
     "completion": "Business"}
    ```
    (and every other record answers "Business" or "Science": two of the four choices
    are never answered)

    **Fix**
    Add examples of the missing and rare classes, or down-sample the frequent ones.
    """

    id = "label-skew"
    severity = Severity.WARNING
    group = "dataset"
    hint = "add examples of the missing or rare classes (or down-sample the frequent ones)"

    def __init__(self) -> None:
        self._labels: Counter[str] = Counter()
        self._display: dict[str, str] = {}
        self._prompt_lines: Counter[str] = Counter()
        self._records = 0
        self._field: str | None = None
        self._path: str | None = None
        self._classification = True

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = ctx.conversation
        if not self._classification or conv is None or ctx.format == TEXT_FORMAT:
            return iter(())
        answers = [m for m in conv.messages if m.role == "assistant"]
        if len(answers) != 1 or not answers[0].content:
            return iter(())
        label = _TRAILING_TOKENS.sub("", answers[0].content).strip().rstrip(".").strip()
        if not label or len(label) > _MAX_LABEL_CHARS or "\n" in label:
            self._classification = False
            return iter(())
        key = label.casefold()
        self._labels[key] += 1
        self._display.setdefault(key, label)
        if len(self._labels) > _MAX_LABELS:
            self._classification = False
        self._records += 1
        self._field = self._field or answers[0].content_field
        self._path = self._path or ctx.location.path
        self._track_prompt(conv.messages[0].content if conv.messages else None)
        return iter(())

    def _track_prompt(self, prompt: str | None) -> None:
        if not prompt:
            return
        for line in {line.strip() for line in prompt.splitlines() if line.strip()}:
            if line in self._prompt_lines or len(self._prompt_lines) < _MAX_TRACKED_LINES:
                self._prompt_lines[line] += 1

    def finish(self) -> Iterator[Finding]:
        labels = self._labels
        if not self._classification or self._records < _MIN_RECORDS or min(labels.values()) < 2:
            return
        assert self._path is not None  # set with the first counted record
        unused = self._unused_choices()
        (top, top_n), *_ = labels.most_common(1)
        rarest_n = min(labels.values())
        skewed = len(labels) > 1 and top_n >= _SKEW * rarest_n
        if not unused and not skewed:
            return
        counts = ", ".join(
            f"{self._display[k]!r} {n} ({n / self._records:.0%})" for k, n in labels.most_common()
        )
        parts = [f"{len(labels)} labels in {self._records} answers: {counts}"]
        if unused:
            parts.append(f"choices never answered: {', '.join(repr(c) for c in unused)}")
        if skewed:
            parts.append(f"{self._display[top]!r} is {top_n / rarest_n:.1f}x the rarest label")
        yield self.finding(Location(self._path), "; ".join(parts), field=self._field)

    def _unused_choices(self) -> list[str]:
        """Options listed in the prompt line every record shares that no answer uses."""
        if not self._prompt_lines:
            return []
        line, n = self._prompt_lines.most_common(1)[0]
        if n < 0.9 * self._records:
            return []
        folded = line.casefold()
        if not all(label in folded for label in self._labels):
            return []
        options = [_LEAD_IN.sub("", part).strip(" ?.:!\"'") for part in _OPTION_SPLIT.split(line)]
        options = [o for o in options if o and len(o) <= _MAX_LABEL_CHARS]
        if not any(o.casefold() in self._labels for o in options):
            return []
        return [o for o in options if o.casefold() not in self._labels]
