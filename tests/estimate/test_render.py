"""How the estimate is shown: hours, minutes and seconds."""

from __future__ import annotations

import pytest

from sftprep.estimate.render import _hours

pytestmark = [pytest.mark.qa]


def test_hours_display() -> None:
    assert _hours(2.5) == "2.50 h" and _hours(0.5) == "30.0 min" and _hours(1 / 3600) == "1.0 s"
    assert _hours(48.4 / 3600) == "0.8 min"  # as in the README's drone example
