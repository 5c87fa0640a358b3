"""Output: terminal tables (rich), the self-contained HTML report, PNG charts, notebook display.

>>> from sftprep.report import build_report_data
>>> data = build_report_data("examples/qa_dataset.jsonl", max_tokens=512)
>>> data.save("report.html"), len(data.save_pngs("charts/"))
(PosixPath('report.html'), 5)
>>> data._repr_html_().startswith('<div class="sftprep-report">')  # Jupyter shows it inline
True

Layers: `collect` (dataset -> `ReportData`, streaming), `data` (what is shown, plain
data), `charts` (charts as data), `svg` / `png` (renderers), `html` (the page),
`display` (HTML fragments any object's ``_repr_html_`` can use), `terminal` (rich).
Nothing here imports matplotlib unless PNGs are asked for.
"""

from sftprep.report.collect import build_report_data
from sftprep.report.data import RecordLengths, ReportData, TokenExample

__all__ = ["RecordLengths", "ReportData", "TokenExample", "build_report_data"]
