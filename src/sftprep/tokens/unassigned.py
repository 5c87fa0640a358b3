"""Text the fast backend leaves to the reference: code points a Unicode table may not know.

A pre-tokenizer sorts characters into letters, numbers, spaces and the rest from its
own Unicode tables; quicktok, tiktoken's regex engine and the tokenizers library each
ship theirs, of different versions. They agree on every character assigned in Unicode
14.0 (a differential test over random text says so), but a code point assigned later,
or not at all, may be a letter to one and nothing to another, and the ids then differ.
So the fast tokenizers hand any text holding such a code point (or a lone surrogate)
to the reference: exact always, fast for all text that real datasets hold.

``unassigned.json`` lists the ranges, made once from Python 3.11's ``unicodedata``
(Unicode 14.0.0) by `ranges_from_unicodedata`. ASCII text is never looked at, nor
text whose lines ``str.isprintable`` clears (when Python's Unicode is not newer than
14.0); other text is searched with one ``re`` character class, and its few characters
above the Basic Multilingual Plane are looked up one by one.

>>> Unassigned().holds("caf\\u00e9 \\U0001f680")
False
>>> Unassigned().holds("\\U00032fe1")  # CJK Extension H: Unicode 15.0
True
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from functools import cache
from importlib.resources import files
from typing import Any

DATA = "unassigned.json"


class Unassigned:
    """Finds code points outside Unicode 14.0's assigned characters (see above)."""

    def __init__(self) -> None:
        self._pattern, self._starts, self._ends = _tables()

    def holds(self, text: str) -> bool:
        """True when ``text`` has a code point unassigned in Unicode 14.0 or a surrogate."""
        if text.isascii() or (PRINTABLE_IS_ASSIGNED and _printable_lines(text)):
            return False
        match = self._pattern.search(text)
        while match is not None:
            code = ord(match.group())
            if code <= 0xFFFF or self._unassigned(code):
                return True
            match = self._pattern.search(text, match.end())
        return False

    def _unassigned(self, code: int) -> bool:
        """Whether ``code`` (above the Basic Multilingual Plane) is in a range."""
        i = bisect_right(self._starts, code) - 1
        return i >= 0 and code <= self._ends[i]


# str.isprintable() is False for unassigned code points and surrogates (categories Cn,
# Cs) of Python's own Unicode version: a C-speed answer for most text, when that version
# assigns no more than Unicode 14.0 does.
PRINTABLE_IS_ASSIGNED = tuple(map(int, unicodedata.unidata_version.split("."))) <= (14, 0, 0)


def _printable_lines(text: str) -> bool:
    """Every line of ``text`` printable (line breaks are not, and are all assigned)."""
    return all(line.isprintable() for line in text.splitlines())


@cache
def _tables() -> tuple[re.Pattern[str], list[int], list[int]]:
    """One ``re`` character class matching the Basic Multilingual Plane's unassigned
    characters and every character above it (few in real text: emoji mostly), and the
    sorted ranges above it, where each such character is then looked up."""
    ranges = load_ranges()["ranges"]
    bmp = "".join(f"{chr(a)}-{chr(min(b, 0xFFFF))}" for a, b in ranges if a <= 0xFFFF)
    pattern = re.compile(f"[{bmp}\U00010000-\U0010ffff]")
    astral = [(first, last) for first, last in ranges if last > 0xFFFF]
    return pattern, [max(a, 0x10000) for a, _ in astral], [b for _, b in astral]


def load_ranges() -> dict[str, Any]:
    """The packaged ranges: ``{"unicode": "14.0.0", "ranges": [[first, last], ...]}``."""
    data: dict[str, Any] = json.loads(files("sftprep.tokens").joinpath(DATA).read_text())
    return data


def ranges_from_unicodedata() -> list[list[int]]:
    """The ranges as this Python's ``unicodedata`` gives them (how the file was made)."""
    import unicodedata

    ranges: list[list[int]] = []
    for code in range(0x110000):
        if unicodedata.category(chr(code)) in ("Cn", "Cs"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return ranges
