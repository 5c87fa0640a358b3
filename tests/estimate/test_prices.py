"""Price files: numbers checked, YAML errors name their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sftprep.errors import UsageError
from sftprep.estimate import load_prices

pytestmark = [pytest.mark.qa]


@pytest.mark.parametrize(
    "row",
    [
        "usd_per_1m: .nan",
        "usd_per_1m: .inf",
        "usd_per_1m: -1",
        "usd_per_1m: true",
        "usd_per_1m: cheap",
        "usd_per_1m: 1\n  max_tokens: 1.5",
        "usd_per_1m: 1\n  max_tokens: 0",
    ],
)
def test_bad_price_numbers_are_rejected(tmp_path: Path, row: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"- model: m\n  {row}\n", encoding="utf-8")
    with pytest.raises(UsageError, match="finite number"):
        load_prices(path)


def test_yaml_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("prices:\n  - model: [unclosed\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"cannot read prices: .*\(line 3\)"):
        load_prices(path)
