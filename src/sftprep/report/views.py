"""The views of the result objects made below report/ (see `sftprep.views`)."""

from __future__ import annotations

from typing import Any

from sftprep.report.display import estimate_html, report_html, token_stats_html
from sftprep.report.estimate import renderable
from sftprep.views import VIEWS


def _token_stats_html(stats: Any) -> str:
    return token_stats_html(
        stats.to_dict(), lengths=stats.total.values.tolist(), limit=stats.max_tokens
    )


VIEWS.add("Report.html", report_html)
VIEWS.add("TokenStats.html", _token_stats_html)
VIEWS.add("Estimate.html", lambda e: str(estimate_html(e.to_dict())))
VIEWS.add("Estimate.rich", lambda e: renderable(e.to_dict()))
