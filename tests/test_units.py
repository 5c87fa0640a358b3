"""`sftprep.units`: one format for hours, durations, shares and sizes, in the base layer."""

from __future__ import annotations

import ast
import doctest
from pathlib import Path

import pytest

from sftprep import units

SRC = Path(units.__file__)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.013456, "0.0135"), (2.5, "2.5"), (12.34, "12.3"), (99.94, "99.9"), (1234.5, "1,234")],
)
def test_sig3(value: float, text: str) -> None:
    assert units.sig3(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1 / 3600, "1.0 s"),
        (0.001 / 3600, "0.0 s"),
        (5.9 / 3600, "5.9 s"),
        (6.1 / 3600, "0.1 min"),  # from a tenth of a minute on: minutes
        (48.4 / 3600, "0.8 min"),
        (0.25, "15.0 min"),
        (0.5, "30.0 min"),
        (1.0, "1 h"),
        (2.5, "2.5 h"),  # one hour format: three significant digits (was also "2.50 h")
        (12.5, "12.5 h"),
        (1234.5, "1,234 h"),
    ],
)
def test_duration(value: float, text: str) -> None:
    assert units.duration(value) == text


def test_hours_is_sig3_with_the_unit() -> None:
    assert units.hours(0.0135) == "0.0135 h" and units.hours(2.5) == units.duration(2.5)


@pytest.mark.parametrize(
    ("share", "digits", "text"),
    [(0.1234, 1, "12.3%"), (0.5, 0, "50%"), (0.995, 0, "100%"), (1, 1, "100.0%"), (0, 1, "0.0%")],
)
def test_percent(share: float, digits: int, text: str) -> None:
    assert units.percent(share, digits) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(4.53, "4.5 GB"), (48, "48 GB"), (931.32, "931.3 GB"), (1000, "1,000 GB"), (0, "0 GB")],
)
def test_gigabytes(value: float, text: str) -> None:
    assert units.gigabytes(value) == text


@pytest.mark.parametrize(
    ("n", "text"), [(999, "1 KB"), (114_321, "114 KB"), (999_999, "1000 KB"), (2_345_678, "2.3 MB")]
)
def test_size(n: int, text: str) -> None:
    assert units.size(n) == text


def test_every_function_is_documented_with_an_example() -> None:
    tests = doctest.DocTestFinder().find(units)
    examples = {t.name.rsplit(".", 1)[-1] for t in tests if t.examples}
    assert set(units.__all__) <= examples
    assert doctest.testmod(units).failed == 0


def test_units_imports_nothing_from_sftprep() -> None:
    tree = ast.parse(SRC.read_text())
    modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + [
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    ]
    assert not [m for m in modules if m.startswith("sftprep")]
