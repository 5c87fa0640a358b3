"""Output: terminal tables (rich), the self-contained HTML report, PNG charts, notebook display.

>>> from sftprep.report import build_report_data
>>> data = build_report_data("examples/qa_dataset.jsonl", max_tokens=512)  # doctest: +SKIP
>>> data.save("report.html"); data.save_pngs("charts/")  # doctest: +SKIP
>>> data  # in Jupyter: the whole report inline  # doctest: +SKIP

Layers: `build` (dataset -> `ReportData`, streaming), `data` (what is shown, plain
data), `charts` (charts as data), `svg` / `png` (renderers), `html` (the page),
`display` (HTML fragments any object's ``_repr_html_`` can use), `terminal` (rich).
Nothing here imports matplotlib unless PNGs are asked for.
"""

from sftprep.report.collect import build_report_data
from sftprep.report.data import RecordLengths, ReportData, TokenExample

__all__ = ["RecordLengths", "ReportData", "TokenExample", "build_report_data"]
