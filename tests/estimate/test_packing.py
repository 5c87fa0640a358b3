"""Packing by best-fit decreasing on crafted lengths."""

from __future__ import annotations

import pytest

from sftprep.estimate.packing import pack, simulate

pytestmark = [pytest.mark.qa]


def test_best_fit_decreasing_on_crafted_lengths() -> None:
    # 9 -> A (room 1); 8 -> B (2); 2 -> B, the tightest fit (0); 2 -> new C (8);
    # 1 -> A (0); 1, 1 -> C (6): three rows of 10
    lengths = [9, 8, 2, 2, 1, 1, 1]
    assert pack(lengths, max_seq_len=10) == [[9, 1], [8, 2], [2, 1, 1]]
    sim = simulate(lengths, max_seq_len=10, batch_size=2)
    # padding in order: [9,8] -> 18, [2,2] -> 4, [1,1] -> 2, [1] -> 1 = 25 for 24 real
    assert sim["real_tokens"] == 24
    assert sim["padded"] == {"tokens": 25, "efficiency": 0.96, "steps_per_epoch": 4}
    assert sim["packed"] == {"rows": 3, "tokens": 30, "efficiency": 0.8, "steps_per_epoch": 2}
