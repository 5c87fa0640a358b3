"""The max_seq_len sweep and its recommendation, at the boundary."""

from __future__ import annotations

import pytest

from sftprep.estimate import estimate
from sftprep.estimate.sweep import recommend, sweep

pytestmark = [pytest.mark.qa]


def test_recommendation_uses_exact_shares_not_rounded_ones() -> None:
    # 1,000 records: 999 of 100 tokens (994 with 100 trainable, 5 with none) and one
    # of 1,016 tokens with 600 trainable; 100,000 trainable in all.
    lengths = [100] * 999 + [1_016]
    trainable = [100] * 994 + [0] * 5 + [600]
    rows = sweep(lengths, trainable)
    r512 = next(r for r in rows if r["max_seq_len"] == 512)
    # cut at 512 loses min(600, 504) = 504 = 0.504% > 0.5%, shown rounded as 0.005
    assert r512["trainable_lost"] == 504 and r512["trainable_lost_share"] == 0.005
    assert r512["recommended"] is False
    assert [r["max_seq_len"] for r in rows if r["recommended"]] == [1_024]
    assert recommend(rows, records=1_000, trainable=100_000) == 1_024
    assert recommend(rows) == 512  # the rounded shares alone cannot tell
    est = estimate(lengths, trainable=trainable)
    assert est.recommended_max_seq_len == 1_024


def test_recommendation_keeps_exactly_99_percent() -> None:
    # 98,996 of 100,000 records kept is 98.996% < 99%, though it rounds to 0.99
    rows = [{"max_seq_len": 512, "records_kept": 98_996, "trainable_lost": 0}]
    rows[0] |= {"records_kept_share": 0.99, "trainable_lost_share": 0.0}
    rows.append(rows[0] | {"max_seq_len": 1_024, "records_kept": 99_000})
    assert recommend(rows, records=100_000, trainable=10) == 1_024
