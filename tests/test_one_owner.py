"""One owner per helper: no second definition of a key, a quantile or a unit format.

Greps ``src/sftprep``: each helper is defined once, by its owner, and the callers use it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "sftprep"
FILES = {p.relative_to(SRC).as_posix(): p.read_text(encoding="utf-8") for p in SRC.rglob("*.py")}

KEYS = "formats/keys.py"
QUANTILES = "stats/quantiles.py"
UNITS = "units.py"

# (what, pattern, the files allowed to match it)
OWNED = [
    ("a digest", r"\bblake2b\b", {KEYS, "io/media.py"}),  # io is below formats: media bytes
    (
        "a dedupe or prompt key",
        r"(?m)^def (canonical_json|digest|record_digest|fold_space|normalise_prompt"
        r"|\w*prompt_key|prompt_group_key|_digest)\(",
        {KEYS, "io/media.py"},
    ),
    ("a quantile", r"def (_?quantile|_?percentile|_?median)\((?!self)", {QUANTILES}),
    ("an hour format", r"def (fmt_hours|hours_text|_hours|_size)\(", set()),
    ("a percentage format spec", r"\{[^{}\n]*:[^{}\n]*%\}", {UNITS}),
    ("a unit after a number", r"\} (GB|MB|KB|h|min|s)\"", {UNITS}),
    ("the --max-tokens check", r"positive number of tokens(?!/s)", {"errors.py"}),
]


@pytest.mark.parametrize(("what", "pattern", "owners"), OWNED, ids=[o[0] for o in OWNED])
def test_one_definition(what: str, pattern: str, owners: set[str]) -> None:
    found = sorted(name for name, text in FILES.items() if re.search(pattern, text))
    assert set(found) <= owners, f"{what} outside its owner: {sorted(set(found) - owners)}"


def test_the_owners_exist_and_define_them() -> None:
    assert re.search(r"def record_digest\(", FILES[KEYS])
    assert re.search(r"def quantile\(", FILES[QUANTILES])
    assert re.search(r"def duration\(", FILES[UNITS])


def test_distribution_quantile_delegates_to_the_owner() -> None:
    text = FILES["stats/distribution.py"]
    assert "from sftprep.stats.quantiles import quantile" in text
    assert "math.floor" not in text
