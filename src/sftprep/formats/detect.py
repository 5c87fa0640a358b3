"""Format detection: score every format over a sample of records, explain the choice.

Each format's `matches` gives 0..1 per record, and every sampled object votes for
the format that reads it best (ties going to the more specific format, then to the
name); the format with the most votes wins, ties going to the higher mean score.
So a Dolly file with one Alpaca row stays Dolly (the row is `mixed-format`), even
though Alpaca, reading Dolly's ``response`` through an alias, reads every row
somehow. The confidence is the winner's mean score over the whole sample, where
records that are not objects count as misses. A sample with
no object at all falls back to ``messages`` with confidence 0 so that checking still
reports every record; objects that no format knows are a usage error naming the keys
seen and ``--format``. Records spelling the format with an alias (``query`` for
the prompt, alpaca rows with only ``input``) are counted in the evidence, so that
the reading is visible.

>>> detect([{"question": "q", "cot_answer": "a"}]).format
'qa'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sftprep import units
from sftprep.errors import UsageError
from sftprep.formats.base import FORMATS

FALLBACK = "messages"


@dataclass(frozen=True)
class Detection:
    """The chosen format, how sure we are (mean score over the sample) and why."""

    format: str
    confidence: float
    evidence: str

    def explain(self) -> str:
        return (
            f"detected format {self.format} ({units.percent(self.confidence, 0)}): {self.evidence}"
        )


def detect(records: Sequence[Any]) -> Detection:
    """Pick the format that fits the sampled records best."""
    objects = [r for r in records if isinstance(r, Mapping)]
    if not objects:
        what = "no records" if not records else "no record is a JSON object"
        return Detection(FALLBACK, 0.0, f"{what} in the sample")
    formats = {name: cls() for name, cls in FORMATS.items()}
    votes = Counter(_best(r, formats) for r in objects)
    ranked = sorted(
        ((_mean_score(name, objects), _specificity(name, objects), name) for name in FORMATS),
        key=lambda row: (-votes[row[2]], -row[0], -row[1], row[2]),
    )
    score, specificity, name = ranked[0]
    if score <= 0:
        keys = Counter(str(k) for r in objects for k in r)
        seen = ", ".join(k for k, _ in keys.most_common(8)) or "none: the objects are empty"
        raise UsageError(
            f"could not recognise the format (keys seen: {seen}); pass --format, one of: "
            + ", ".join(sorted(FORMATS))
        )
    fmt = FORMATS.get(name)()
    fitting = [r for r in objects if fmt.fits(r)]
    evidence = f"{len(fitting)}/{len(records)} sampled records have its keys"
    evidence += "".join(f", {note}" for note in fmt.key_notes(fitting))
    if len(objects) < len(records):
        evidence += f" ({len(records) - len(objects)} are not JSON objects)"
    if len(ranked) > 1 and ranked[1][0] > 0:
        runner_score, runner_specificity, runner_up = ranked[1]
        evidence += f"; next best {runner_up} ({units.percent(min(runner_score, 1.0), 0)})"
        if runner_score == score:
            evidence += (
                f", a tie won by the format knowing more of the keys ({name})"
                if specificity > runner_specificity
                else ", a tie between formats knowing the same keys (decided by name)"
            )
    confidence = score * len(objects) / len(records)
    return Detection(name, max(0.0, min(1.0, confidence)), evidence)


def _best(record: Mapping[str, Any], formats: Mapping[str, Any]) -> str:
    """The format that reads ``record`` best: highest score, then most known keys, then name."""
    ranked = (
        (fmt.matches(record), len(fmt.known_keys & set(record)), name)
        for name, fmt in formats.items()
    )
    score, _, name = min(ranked, key=lambda row: (-row[0], -row[1], row[2]))
    return name if score > 0 else ""


def _mean_score(name: str, records: Sequence[Mapping[str, Any]]) -> float:
    fmt = FORMATS.get(name)()
    return sum(fmt.matches(r) for r in records) / len(records)


def _specificity(name: str, records: Sequence[Mapping[str, Any]]) -> int:
    known = FORMATS.get(name)().known_keys
    return sum(len(known & set(r)) for r in records)
