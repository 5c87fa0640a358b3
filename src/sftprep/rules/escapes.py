"""Escape rules: text that kept the escape sequence instead of the character.

``literal-escape`` finds ``\\n``, ``\\t``, ``\\"`` and ``\\u00e9`` written as their
characters (a backslash and a letter), the trace of text encoded twice;
``lost-unicode-escape`` finds ``u2019`` and ``u00e9`` that lost their backslash
("the recipientu2019s address"), the trace of an escape stripped by a bad export.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from sftprep.findings import Finding, Severity
from sftprep.rules._common import iter_texts, snippet
from sftprep.rules.base import RecordContext, Rule, register_rule
from sftprep.rules.content import CODE

# \n \t \r not preceded by a backslash (``\\n`` is an escaped backslash) and not followed
# by a lower-case letter (\nu, \theta, \newline, \times: LaTeX; C:\temp: a path), \" and
# \uXXXX. A letter after \n is only counted once the text has an unambiguous escape.
_ESCAPE = re.compile(r'(?<!\\)\\(?:([ntr])|(")|u([0-9a-fA-F]{4}))')
_NAMES = {"n": "newline", "t": "tab", "r": "carriage return", '"': "quote"}
# LaTeX commands that start like an escape (\nu, \theta, \rho...): never an escape.
_LATEX_WORDS = frozenset({
    "nu", "ne", "neq", "ni", "nabla", "natural", "neg", "nmid", "nleq", "ngeq", "nless", "ngtr",
    "nolimits", "nonumber", "noindent", "not", "notin", "nexists", "nearrow", "nwarrow",
    "newline", "newpage", "newcommand", "nobreak", "normalsize", "nonstopmode", "theta", "tau",
    "times", "text", "textbf", "textit", "textrm", "texttt", "textsc", "textstyle", "tfrac",
    "tilde", "tiny", "to", "top", "tan", "tanh", "triangle", "therefore", "tt", "rho", "right",
    "rangle", "rfloor", "rceil", "rightarrow", "rm", "rbrace", "ref", "renewcommand", "rvert",
    "rVert"
})  # fmt: skip
# Where backslashes are legitimate: regular expressions (\d, \w, \s, \b, \., \(...),
# LaTeX (\frac, \begin, $...$), Windows paths (C:\, \\server), JSON (an object key or a
# list of strings), escapes quoted or named as such ('\n', "the \n character").
_LEGIT = re.compile(
    r"\\[dDwWsSbB.()\[\]{}+?|^$]"
    r"|\\(?:begin|end|frac|sqrt|sum|int|left|right|alpha|beta|gamma|delta|pi|sigma|mathbf"
    r"|mathrm|mathbb|cdot|section|usepackage|documentclass|item|label|cite|hline)\b"
    r"|\$[^$\n]{1,200}\$"
    r"|\b[A-Za-z]:\\|\\\\[A-Za-z]"
    r"|[{\[,]\s*\"[^\"\n]{0,100}\"\s*:|\[\s*\"[^\"\n]{0,100}\"\s*[,\]]"
    r"|[`'\"]\\[ntr\"u]|`[^`\n]{0,80}\\[ntr\"u][^`\n]{0,80}`"
    r"|\b(?:escape[sd]?|escaping|backslash(?:es)?|new[ -]?lines?|line ?breaks?|line feeds?"
    r"|carriage returns?|tab characters?)\b"
    r"|\b(?:printf|echo|regex|regexp|sprintf|println|puts|cout|std::|System\.out|fmt\.)",
    re.IGNORECASE,
)
# A string literal holding an escape, on one line: "a\nb", 'x\ty', "{\"k\": 1}" (code,
# a JSON string, a Python repr). The quotes around it are not escaped themselves.
_STRING_LITERAL = re.compile(
    r"(?<![\w\\])\"(?:[^\"\\\n]|\\.){0,200}?\\[ntr\"u](?:[^\"\\\n]|\\.){0,200}?\""
    r"|(?<![\w\\])'(?:[^'\\\n]|\\.){0,200}?\\[ntr'u](?:[^'\\\n]|\\.){0,200}?'"
)
# Escapes standing alone between spaces ("switch \n with \r\n"): named, not used.
_STANDALONE = re.compile(r'(?<!\S)(?:\\(?:[ntr"]|u[0-9a-fA-F]{4}))+(?=\s|$|[.,;:!?)])')
# Newlines that give text its shape: a blank line, a fence, a list item, a heading.
_STRUCTURAL = re.compile(r"\\n(?:\\n|```|[-*+] |#{1,6} |\d{1,3}[.)] )")


@register_rule
class LiteralEscape(Rule):
    r"""Text holds literal escape sequences (``\n`` as two characters) instead of characters.

    **What it does**
    Reports fields whose text contains an escape sequence as plain characters: a
    backslash followed by ``n``, ``t`` or ``r`` where a newline, tab or carriage return
    was meant, ``\"`` where a quote was meant, or ``\u00e9`` (six characters) where the
    character was meant: the trace of text encoded twice (JSON written into a JSON
    string, a CSV export of JSON). One finding per field; the message lists each
    sequence with its count and the excerpt points at the first. A backslash before a
    lower-case letter only counts once the text has an unambiguous escape, and never
    for LaTeX commands (``\newline``, ``\nu``, ``\theta``). Fields that look like code,
    regular expressions, LaTeX, Windows paths (``C:\temp``) or JSON, or that talk about
    escapes (``'\n'``, "the newline character"), are left alone, unless the text has no
    real newline at all and a literal one gives it its shape (``\n\n``, a code fence,
    a list item): then it was all encoded twice.

    **Why is this bad?**
    The model is trained on backslashes and letters instead of line breaks and
    quotes: it learns to print ``\n`` in its answers, and the prompt it reads is one
    long line.

    **Example**
    ```json
    {"instruction": "Summarise:\\n\\nThe text of the article...", "output": "..."}
    ```

    **Fix**
    Decode the text once more (``json.loads('"' + text + '"')``) or fix the export that
    encoded it twice.
    """

    id = "literal-escape"
    severity = Severity.WARNING
    group = "content"
    hint = "decode the text once more (or fix the export that encoded it twice)"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        if ctx.conversation is None:
            return
        # tool call arguments are JSON text, where escapes belong
        for field, text in iter_texts(ctx.conversation, arguments=False):
            if "\\" not in text:
                continue
            found = literal_escapes(text)
            if found:
                yield _finding(self, ctx, field, text, found, "literal escape sequences", 2)


def _finding(
    rule: Rule,
    ctx: RecordContext,
    field: str,
    text: str,
    found: list[tuple[int, str]],
    what: str,
    width: int,
) -> Finding:
    """One finding for a text's escapes: each kind with its count, the first shown."""
    counts = Counter(label for _, label in found)
    kinds = ", ".join(f"{label} x{n}" for label, n in counts.items())
    first = found[0][0]
    return rule.finding(
        ctx,
        f"`{field}` contains {what}: {kinds}",
        field=field,
        excerpt_text=snippet(text, first, first + width),
    )


def literal_escapes(text: str) -> list[tuple[int, str]]:
    """``(position, label)`` of each literal escape in ``text`` (labels like ``\\n (newline)``)."""
    sure: list[tuple[int, str]] = []
    maybe: list[tuple[int, str]] = []
    named = {i for m in _STANDALONE.finditer(text) for i in range(m.start(), m.end())}
    for match in _ESCAPE.finditer(text):
        if match.start() in named:
            continue  # "replace \r\n with \n": the escape is named, not used
        letter, quote, code = match.groups()
        if code is not None:
            char = chr(int(code, 16))
            shown = char if char.isprintable() and not char.isspace() else f"U+{code.upper()}"
            sure.append((match.start(), f"\\u{code} ({shown})"))
            continue
        kind = letter or quote
        label = f"\\{kind} ({_NAMES[kind]})"
        after = text[match.end() : match.end() + 1]
        if not ("a" <= after <= "z"):
            sure.append((match.start(), label))
        elif _word_at(text, match.start() + 1) not in _LATEX_WORDS:
            maybe.append((match.start(), label))
    if not sure:
        return []
    legit = _LEGIT.search(text) or _STRING_LITERAL.search(text) or CODE.search(text)
    # backslashes belong there, unless the whole text was encoded twice
    if legit and ("\n" in text or not _STRUCTURAL.search(text)):
        return []
    return sorted(sure + maybe)


def _word_at(text: str, start: int) -> str:
    end = start
    while end < len(text) and text[end].isalpha() and end - start < 20:
        end += 1
    return text[start:end]


# The characters whose escapes commonly lose their backslash: typographic punctuation,
# symbols, Latin-1 and Latin Extended-A letters, and the HTML characters JSON encoders
# escape (u0026 &, u0027 ', u003c <, u003e >, u0022 ").
_COMMON = frozenset(
    [0x22, 0x26, 0x27, 0x3C, 0x3E]
    + [c for c in range(0xA0, 0x180) if c not in (0xAD,)]
    + [*range(0x2010, 0x2016), *range(0x2018, 0x2023), 0x2026, 0x2030, 0x2032, 0x2033]
    + [0x2039, 0x203A, 0x20AC, 0x2122]
)
_UNICODE = re.compile(r"(?<!\\)u([0-9a-fA-F]{4})")
# "recipient 2019s", "don 2019t": the apostrophe's code without its \u, before a suffix.
_BARE_APOSTROPHE = re.compile(r"(?<![\w\\])([A-Za-z]+)( ?)2019(s|t|re|ve|ll|d|m)\b")
_CONTRACTION = re.compile(r"(?:s|t|re|ve|ll|d|m)\b")
_WORDS_BEFORE = {
    "re": frozenset(["you", "we", "they", "who", "what", "there", "here", "where", "how"]),
    "ve": frozenset(["i", "you", "we", "they", "who", "could", "would", "should", "might", "must"]),
    "ll": frozenset(
        ["i", "you", "he", "she", "it", "we", "they", "that", "who", "there", "this", "what"]
    ),
    "d": frozenset(["i", "you", "he", "she", "it", "we", "they", "who", "that", "there"]),
    "m": frozenset(["i"]),
}
# "in 2019s", "the 2019s": a number, not a lost apostrophe.
_NOT_BEFORE_S = frozenset({
    "the", "in", "of", "since", "from", "by", "until", "till", "for", "and", "or", "early",
    "late", "mid", "during", "before", "after", "to", "at", "on", "fy", "year", "years",
    "about", "around", "circa", "between", "than", "vs", "all", "both", "with", "without"
})  # fmt: skip
_APOSTROPHES = frozenset({"2019", "0027"})
_MAX_TOKEN = 40


@register_rule
class LostUnicodeEscape(Rule):
    """Text holds unicode escapes that lost their backslash (``recipientu2019s``).

    **What it does**
    Reports fields containing the four hex digits of a common character's ``\\uXXXX``
    escape glued into a word without their backslash: ``recipientu2019s``,
    ``don u2019t``, ``cafu00e9``, ``u201cquotedu201d``, ``Tu0026C``, and ``2019``
    that lost both the backslash and the ``u`` before a contraction suffix
    (``recipient 2019s``, ``don 2019t``). The message says which escapes and which
    character each should have been. Numbers stay numbers: ``in 2019 sales``,
    ``the 2010s``, a code such as ``u2000`` standing alone, hex strings and hashes
    (a word with other digits, or longer than 40 characters) are not reported; a code
    made only of digits (``u2014``) counts when glued to letters on both sides, or on
    one side when the same text has another lost escape.

    **Why is this bad?**
    The model learns to write ``u2019`` for an apostrophe and ``cafu00e9`` for café;
    the text it reads is garbled exactly where punctuation and accents were.

    **Example**
    ```json
    {"instruction": "Write a reminder.", "output": "Don u2019t forget the recipientu2019s address."}
    ```

    **Fix**
    Re-export the data from the source with a JSON-aware tool, or replace each code
    with the character the message names (``text.replace("u2019", "’")``) where the
    rule points.
    """

    id = "lost-unicode-escape"
    severity = Severity.WARNING
    group = "content"
    hint = "restore the characters (re-export the source, or replace each code)"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        if ctx.conversation is None:
            return
        for field, text in iter_texts(ctx.conversation, arguments=False):
            if not _maybe_lost(text):
                continue
            found = lost_escapes(text)
            if found:
                what = "unicode escapes that lost their backslash"
                yield _finding(self, ctx, field, text, found, what, 5)


def _maybe_lost(text: str) -> bool:
    """Cheap substring tests first: every code of `_COMMON` has a 0 or a 1 in it (one
    character is found much faster than two), then the prefixes of the codes."""
    return ("0" in text or "1" in text) and (
        "u0" in text or "u2" in text or "u1" in text or "2019" in text
    )


def lost_escapes(text: str) -> list[tuple[int, str]]:
    """``(position, label)`` of each lost escape in ``text`` (labels like ``u2019 → ’``)."""
    strong: list[tuple[int, str]] = []
    weak: list[tuple[int, str]] = []
    for match in _UNICODE.finditer(text):
        code = match.group(1).lower()
        if int(code, 16) not in _COMMON or not _plain_word(text, match.start(), match.end()):
            continue
        label = f"u{code} → {_show(code)}"
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        glued_before, glued_after = before.isalpha(), after.isalpha()
        if code in _APOSTROPHES and _contraction(text, match.start(), match.end()):
            strong.append((match.start(), label))
        elif glued_before or glued_after:
            # a code of digits only (u2014) could be a number glued to a word
            certain = (glued_before and glued_after) or not code.isdigit()
            (strong if certain else weak).append((match.start(), label))
    for match in _BARE_APOSTROPHE.finditer(text):
        word, space, suffix = match.groups()
        if not space and word.endswith("u"):
            continue  # "recipientu2019s": the escape with its u, counted above
        if _contraction_word(word, suffix):
            strong.append((match.start(3) - 4, "2019 → ’"))
    return sorted(strong + weak) if strong else []


def _show(code: str) -> str:
    char = chr(int(code, 16))
    return "no-break space" if char == "\u00a0" else char


def _plain_word(text: str, start: int, end: int) -> bool:
    """The run of letters and digits around ``text[start:end]`` is a word, not a hex
    string: at most 40 characters, and no digits besides those of escapes."""
    lo, hi = start, end
    while lo > 0 and text[lo - 1].isalnum() and end - lo <= _MAX_TOKEN:
        lo -= 1
    while hi < len(text) and text[hi].isalnum() and hi - lo <= _MAX_TOKEN:
        hi += 1
    token = text[lo:hi]
    if len(token) > _MAX_TOKEN:
        return False
    rest = _UNICODE.sub("", token)
    return not any(c.isdigit() for c in rest)


def _contraction(text: str, start: int, end: int) -> bool:
    """``don u2019t``, ``recipientu2019s``: an apostrophe code before a contraction
    suffix, after a word (glued, or one space away)."""
    suffix = _CONTRACTION.match(text, end)
    if suffix is None:
        return False
    lo = start - 1 if start and text[start - 1] == " " else start
    hi = lo
    while lo > 0 and text[lo - 1].isalpha() and hi - lo < _MAX_TOKEN:
        lo -= 1
    return _contraction_word(text[lo:hi], suffix.group(0))


def _contraction_word(word: str, suffix: str) -> bool:
    word = word.lower()
    if not word:
        return False
    if suffix == "s":
        return word not in _NOT_BEFORE_S
    if suffix == "t":
        return word.endswith("n")
    return word in _WORDS_BEFORE[suffix]
