"""Quality rules: text that is well-formed but not what the model should learn.

Untrimmed whitespace, the generating model's own commentary left in an answer, and
class labels that cover only part of the choices a classification prompt offers.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

from sftprep import units
from sftprep.findings import Finding, Severity
from sftprep.model import Location, Message
from sftprep.rules._common import is_raw_text, iter_texts, snippet
from sftprep.rules.base import RecordContext, Rule, Shift, register_rule

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
        if ctx.conversation is None or is_raw_text(ctx):
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
# "As an AI[ language model][ developed by X], I ..." / "As an AI assistant, my ...": the
# speaker saying what it is. Not "as an AI engineer", "trained as a language model."
_AI_DISCLAIMER = re.compile(
    r"\bas an? (?:ai|artificial intelligence|(?:large )?language model|llm)\b"
    r"(?:[ -](?:language model|model|assistant|chatbot|system|program|bot|agent)\b)?"
    r"(?: (?:developed|created|trained|made|built|designed) by [\w .-]{1,40}?)?(?:,|\s+I\b)",
    re.IGNORECASE,
)
_APOLOGY = r"(?:I(?:'m|’m| am)(?: really| so| very)? sorry|I apologi[sz]e|sorry)"
_CANNOT = (
    r"I(?: can(?:no|'|’)t| can not| am (?:not able|unable)| won(?:'|’)t| will not"
    r"|(?:'m|’m) (?:not able|unable)| do(?: not|n't|n’t) have the (?:ability|capability))"
)
_REFUSAL = re.compile(
    rf"\b{_APOLOGY},? (?:but )?{_CANNOT}\b"
    # "I can't help but smile", "I can't help thinking": idioms, not refusals
    r"|\bI (?:can(?:no|'|’)t|am unable to|(?:'m|’m) unable to)"
    r" (?:help(?!\s+(?:but|\w+ing)\b)|assist|fulfil+|comply)\b",
    re.IGNORECASE,
)
# kind, pattern, and words one of which the lower-cased text must hold for the pattern
# to match at all: a substring test is ten times cheaper than a case-insensitive search
_COMMENTARY = (
    (
        "an AI disclaimer",
        _AI_DISCLAIMER,
        ("as an ai", "as a ai", "as a lang", "as a large", "as an art", "as an llm", "as a llm"),
    ),
    ("a refusal", _REFUSAL, ("sorry", "i can", "unable", "apologi")),
    ("an appended note", _NOTE, ("note", "nb", "n.b.")),
)

# -- what the prompt asks for ------------------------------------------------------------
# The user asks who or what the assistant is: "I am a language model" is the answer.
_IDENTITY = re.compile(
    r"\bwho (?:are you|you are|made you|created you|built you|trained you|developed you)\b"
    r"|\b(?:what(?:'s|’s| is) your name|tell me your name|your name\s*\?|what should I call you)"
    r"|\b(?:introduce|describe) yourself\b|\babout (?:yourself|you)\s*[.?!]*\s*$"
    r"|\bwhat are you(?: called)?\s*[?.!]*\s*$"
    r"|\bare you (?:an? )?(?:ai|bot|robot|human|person|machine|chatbot|language model|real)\b",
    re.IGNORECASE | re.MULTILINE,
)
# The user asks for a piece of writing in which turning something down is the content
# (an excuse, an apology, a rejection letter, a reply declining an invitation), how to
# decline something, or a character's lines (role-play, a dialogue).
_REQUESTED_REFUSAL = re.compile(
    r"\b(?:write|compose|draft|generate|create|craft|come up with|make up|give me|suggest)\b"
    r"[^.?!\n]{0,60}?\b(?:excuses?|apolog\w*|rejection|refusal|declin\w*|letter|e-?mail"
    r"|message|note|reply|response|dialog(?:ue)?|conversation|screenplay|scene|story|speech"
    r"|lines?)\b"
    r"|\b(?:declin\w*|turn(?:s|ing)? down|say(?:ing)? no to|reject\w*|refus\w*)\b[^.?!\n]{0,40}?"
    r"\b(?:invitations?|offers?|requests?|proposals?|applications?|applicants?|candidates?)\b"
    r"|\b(?:role[- ]?play\w*|pretend\w*|act(?:ing)? as|in character|you are playing"
    r"|your character|persona)\b",
    re.IGNORECASE,
)
# ...unless the refusal turns down the request itself.
_REFUSES_TASK = re.compile(
    r"\b(?:help|assist|fulfil+|comply|(?:this|that|your) (?:request|task)|with (?:that|this)\b"
    r"|(?:write|create|generate|produce|provide|do) (?:that|this|it|such)\b)",
    re.IGNORECASE,
)
# A system prompt telling the assistant to ask for missing details.
_ASK_FOR_DETAILS = re.compile(
    r"\bask (?:the user )?(?:for|about)\b|\bclarif\w*|\bmissing (?:\w+ )?(?:details|information"
    r"|parameters|values|arguments)\b|\bdon't make assumptions\b|\bdo not (?:make )?assum",
    re.IGNORECASE,
)
# "... without your account number" / "I need the ticker symbol": the turn asks for input.
_NEEDS_INPUT = re.compile(
    r"\b(?:without (?:the|your|a|an|more|additional|further|knowing)|(?:I|we) (?:would )?need"
    r"|please (?:provide|specify|tell|share|give|let me know))\b",
    re.IGNORECASE,
)
_MAX_QUESTIONS = 20  # questions looked at after a refusal
_OFFER = re.compile(r"\b(?:anything|something) else\b|\belse (?:I|can)\b", re.IGNORECASE)
# Output-only tasks: the answer is the translation (rewrite...) and nothing else.
_OUTPUT_ONLY = re.compile(
    r"\b(?:translat\w*|paraphras\w*|rephras\w*|re-?write|proofread\w*|transliterat\w*)",
    re.IGNORECASE,
)
# A note about the answer itself, not about the world: the writer speaking (I, my), a
# caveat on its accuracy or completeness, an assumption, made-up data, its register.
_ABOUT_THE_ANSWER = re.compile(
    r"(?-i:\bI\b)|\b(?:I(?:'|’)(?:ve|m|d|ll)|my|myself)\b"
    r"|\bwe(?: have|'ve|’ve)? (?:assumed|used|rounded|simplified|omitted|chosen|chose)\b"
    r"|\bassum(?:e|ed|es|ing|ptions?)\b|\bapproximat\w*|\brounded\b|\bestimat(?:e|es|ed|ion)\b"
    r"|\b(?:hypothetical|fictional|fictitious|made[- ]up|imaginary|illustrative|placeholder"
    r"|sample data|dummy data)\b|\bfor (?:illustrat\w+|demonstration|example) purposes\b"
    r"|\bnot (?:an? )?(?:exhaustive|complete|comprehensive|definitive)\b"
    r"|\b(?:may|might|could) not (?:be )?(?:accurate|exact|perfect|precise|correct|complete"
    r"|up[- ]to[- ]date|current|reflect)\b"
    r"|\bnot (?:always |entirely |completely |necessarily |be |100% )*(?:accurate|exact|precise"
    r"|correct|literal|practical|natural|reliable|verified)\b"
    r"|\b(?:inaccura\w*|discrepanc\w*|imprecis\w*|unclear|ambiguous|uncertain)\b"
    r"|\b(?:slight|small|minor|some) (?:error|mistake|typo|difference|change|adjustment"
    r"|inaccuracy|deviation|discrepancy|variation)s?\b"
    r"|\bthere (?:is|was|are|were) (?:an? )?(?:error|mistake|typo)s?\b"
    r"|\b(?:is|are|was|were) (?:just|only|merely|simply) (?:an?|one|some|my)\b"
    r"|\b(?:just|only|merely) (?:an?|one) (?:\w+ )?(?:example|sample|suggestion|illustration"
    r"|template|approximation|estimate|guess|outline|draft|interpretation)\b"
    r"|\b(?:real[- ]time (?:data|information|access)|knowledge cut-?off|as of my|training data)\b"
    r"|\b(?:cannot|can't|can’t|can not|unable to|not possible to|not able to) (?:provide"
    r"|verify|access|confirm|guarantee|browse|display|create|generate|draw)\b"
    r"|\btranslat\w*|\bliteral(?:ly)?\b|\bidiom\w*|\binformal\b|\bcolloquial\w*",
    re.IGNORECASE,
)
_HEADING_REST = re.compile(r"[ \t*_:]*(?:\n|\Z)")
_NOTE_SPAN = 600  # characters of a note read after its marker
_SENTENCE_SPAN = 400  # characters of a sentence read after a disclaimer or refusal
_MAX_MATCHES = 50  # candidates of one kind judged per turn


@register_rule
class ModelCommentary(Rule):
    """An answer carries the generating model's commentary: a disclaimer, refusal or note.

    **What it does**
    Looks at assistant text for what a model adds when it writes training data, reading
    the turn against its prompt (the user message before it and the system prompt):

    - an AI disclaimer (``As an AI language model, I ...``), unless the user asked who
      or what the assistant is, or asked for a dialogue or role-play about an AI;
    - a refusal of the task (``I'm sorry, but I can't help with that.``), unless the
      turn goes on to ask the user for what it needs (a clarifying question, or a
      system prompt telling it to ask for missing details), or the refusal is the
      content asked for (an excuse, an apology, a rejection letter, declining an
      invitation, a character's line in a role-play or dialogue);
    - a note about the answer itself (``Note: ...``, ``(Note that ...)``,
      ``**Note:**``, ``Please note ...``): the writer speaking (``I have assumed``),
      a caveat on its accuracy or completeness (``this is not an exhaustive list``,
      ``the data is approximate``, ``this is just a simple example``), its register, or
      any note after a translation, paraphrase or rewrite (the answer should be the
      output and nothing else). Notes that inform the reader (a tip, a policy, a
      heading ``Note:`` above a list) are content.

    Text the prompt itself contains (a passage to translate) is not commentary. One
    finding per turn, naming the first kind found. Informational: a refusal can be the
    intended answer (a function-calling set that declines tasks it has no tool for).

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
        if conv is None or is_raw_text(ctx):
            return
        for i, message in enumerate(conv.messages):
            if message.role != "assistant" or not message.content:
                continue
            if message.content_field.endswith(".refusal"):
                continue  # OpenAI's `refusal`: a refusal the record means to teach
            text = message.content
            low = text.lower()
            prompt: _Prompt | None = None
            for kind, pattern, words in _COMMENTARY:
                if not any(word in low for word in words):
                    continue
                for match in islice(pattern.finditer(text), _MAX_MATCHES):
                    prompt = prompt or _Prompt(conv.messages, i, bool(conv.tools))
                    if _is_commentary(kind, text, match, prompt):
                        break
                else:
                    continue
                field = message.content_field or f"messages[{i}].content"
                yield self.finding(
                    ctx,
                    f"assistant text `{field}` carries model commentary: {kind}",
                    field=field,
                    excerpt_text=snippet(text, match.start(), match.end(), pad=40),
                )
                break


class _Prompt:
    """What an assistant turn answers: the user message before it and the system prompt."""

    def __init__(self, messages: Sequence[Message], index: int, tools: bool = False) -> None:
        earlier = messages[:index]
        self.tools = tools  # the record declares tools the assistant may call
        self.user = next((m.text for m in reversed(earlier) if m.role == "user"), "")
        self.system = "\n".join(m.text for m in earlier if m.role in ("system", "developer"))
        self._folded: str | None = None

    def quotes(self, text: str) -> bool:
        """True when the prompt holds ``text`` (a passage to translate or echo)."""
        if self._folded is None:
            self._folded = " ".join(f"{self.system}\n{self.user}".split()).casefold()
        folded = " ".join(text.split()).casefold()
        return len(folded) >= 8 and folded in self._folded


def _is_commentary(kind: str, text: str, match: re.Match[str], prompt: _Prompt) -> bool:
    """Whether ``match`` (of kind ``kind``) is the model's commentary, not the content."""
    sentence = text[match.start() : _sentence_end(text, match.end())]
    if prompt.quotes(sentence):
        return False
    if kind != "an appended note" and prompt.tools and _OUT_OF_SCOPE.search(text):
        return False  # declining what the declared tools cannot do is what a tool set teaches
    if kind == "an AI disclaimer":
        if _IDENTITY.search(prompt.user):
            return False
        asked = _REQUESTED_REFUSAL.search(prompt.user) or _REQUESTED_REFUSAL.search(prompt.system)
        return not (asked and _AI_MENTION.search(prompt.user + "\n" + prompt.system))
    if kind == "a refusal":
        return not (_asks_for_input(text, match, prompt) or _requested_refusal(sentence, prompt))
    return _is_commentary_note(text, match, prompt)


# An answer explaining what its tools (functions, capabilities) can and cannot do.
_OUT_OF_SCOPE = re.compile(
    r"\b(?:functions?|tools?|capabilit\w*|abilit(?:y|ies))\b|\bcan only\b|\blimited to\b",
    re.IGNORECASE,
)
_AI_MENTION = re.compile(
    r"\b(?:AI|artificial intelligence|language model|chatbot|robot|virtual assistant)\b",
    re.IGNORECASE,
)


def _sentence_end(text: str, start: int) -> int:
    stop = start + _SENTENCE_SPAN
    ends = [i for i in (text.find(c, start, stop) for c in ".!?\n") if i >= 0]
    return min(ends) + 1 if ends else min(stop, len(text))


def _asks_for_input(text: str, match: re.Match[str], prompt: _Prompt) -> bool:
    """A clarifying turn: after the apology it asks the user for what it needs (a
    question that is not "anything else?"), or does what the system prompt says to do
    when details are missing."""
    after = match.end()
    mark = text.find("?", after)
    for _ in range(_MAX_QUESTIONS):
        if mark < 0:
            break
        start = max(after, *(text.rfind(c, after, mark) + 1 for c in ".!?\n"))
        if not _OFFER.search(text, start, mark):
            return True
        mark = text.find("?", mark + 1)
    return bool(_ASK_FOR_DETAILS.search(prompt.system) and _NEEDS_INPUT.search(text))


def _requested_refusal(sentence: str, prompt: _Prompt) -> bool:
    """The user asked for a text in which turning something down is the content."""
    asked = _REQUESTED_REFUSAL.search(prompt.user) or _REQUESTED_REFUSAL.search(prompt.system)
    return bool(asked) and not _REFUSES_TASK.search(sentence)


def _is_commentary_note(text: str, match: re.Match[str], prompt: _Prompt) -> bool:
    """A note about the answer itself (or any note after an output-only task)."""
    marker = match.group(0)
    at_line_start = not marker.lstrip().startswith("(") and "please" not in marker.lower()
    if at_line_start and _HEADING_REST.match(text, match.end()):
        return False  # "Note:" heading a section (a list, a paragraph): part of the answer
    end = text.find("\n\n", match.end(), match.end() + _NOTE_SPAN)
    note = text[match.end() : end if end >= 0 else match.end() + _NOTE_SPAN]
    if prompt.quotes(note):
        return False
    if _OUTPUT_ONLY.search(prompt.user) or _OUTPUT_ONLY.search(prompt.system):
        return True
    return bool(_ABOUT_THE_ANSWER.search(note))


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
        if not self._classification or conv is None or is_raw_text(ctx):
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

    def partial(self) -> Any:
        state = (
            self._labels,
            self._display,
            self._prompt_lines,
            self._records,
            self._field,
            self._path,
            self._classification,
        )
        self.__dict__.update(LabelSkew().__dict__)  # a fresh state for the next shard
        return state

    def absorb(self, partial: Any, shift: Shift) -> Iterator[Finding]:
        labels, display, prompt_lines, records, field, path, classification = partial
        self._classification = self._classification and classification
        self._labels.update(labels)
        for key, shown in display.items():
            self._display.setdefault(key, shown)
        for line, n in prompt_lines.items():
            if line in self._prompt_lines or len(self._prompt_lines) < _MAX_TRACKED_LINES:
                self._prompt_lines[line] += n
        self._records += records
        self._field = self._field or field
        self._path = self._path or path
        if len(self._labels) > _MAX_LABELS:
            self._classification = False
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
            f"{self._display[k]!r} {n} ({units.percent(n / self._records, 0)})"
            for k, n in labels.most_common()
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


# Answers of this many characters or more are looked at; below this a repeat is a style.
_REPEAT_MIN_CHARS = 400
# Compressed size / size under which text is one phrase over and over: prose compresses
# to 35-50%, code and tables to 15-25%, "Eat a banana! " x 2,000 to 0.4%.
_REPEAT_RATIO = 0.08


@register_rule
class RepeatedText(Rule):
    """An answer is one phrase repeated over and over (degenerate generation).

    **What it does**
    Compresses each assistant text of 400 characters or more (zlib, fast) and reports
    those that shrink below 8% of their size: text that is the same few words many
    times, as a model stuck in a loop writes it. Prose compresses to 35-50%, code and
    tables to 15-25%, so they are not reported.

    **Why is this bad?**
    The model learns to loop. Such a record also costs many tokens for nothing (the
    OpenAI cookbook's example repeats "Eat a banana!" 2,000 times: 99% of its file's
    trainable tokens).

    **Example**
    ```json
    {"messages": [{"role": "user", "content": "What should I eat?"},
                  {"role": "assistant", "content": "Eat a banana! Eat a banana! ..."}]}
    ```

    **Fix**
    Regenerate or drop the answer.
    """

    id = "repeated-text"
    severity = Severity.WARNING
    group = "quality"
    hint = "regenerate or drop the answer"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = ctx.conversation
        if conv is None or is_raw_text(ctx):
            return
        for i, message in enumerate(conv.messages):
            text = message.content
            if message.role != "assistant" or not text or len(text) < _REPEAT_MIN_CHARS:
                continue
            data = text.encode("utf-8", "surrogatepass")
            packed = len(zlib.compress(data, 1))
            if packed < _REPEAT_RATIO * len(data):
                field = message.content_field or f"messages[{i}].content"
                yield self.finding(
                    ctx,
                    f"`{field}` repeats itself: {len(text):,} characters compress to "
                    f"{units.percent(packed / len(data))} of their size",
                    field=field,
                    excerpt_text=text[:120],
                )
