from __future__ import annotations

import json

from sftprep.findings import Finding, Report, Severity
from sftprep.model import Location


def _finding(rule: str, severity: Severity, line: int) -> Finding:
    return Finding(rule, severity, "msg", Location("d.jsonl", line, line - 1), field="x")


def test_summary_counts_by_severity_and_rule() -> None:
    report = Report(
        findings=[
            _finding("empty-text", Severity.ERROR, 1),
            _finding("empty-text", Severity.ERROR, 2),
            _finding("duplicate", Severity.WARNING, 3),
        ]
    )
    assert report.summary == {
        "records": 0,
        "errors": 2,
        "warnings": 1,
        "infos": 0,
        "by_rule": {"empty-text": 2, "duplicate": 1},
    }
    assert report.worst() is Severity.ERROR


def test_to_json_has_documented_keys() -> None:
    doc = json.loads(Report(findings=[_finding("duplicate", Severity.WARNING, 4)]).to_json())
    assert set(doc) == {"files", "summary", "findings"}
    assert doc["findings"][0] == {
        "rule": "duplicate",
        "severity": "warning",
        "path": "d.jsonl",
        "line": 4,
        "record": 3,
        "field": "x",
        "message": "msg",
        "hint": "",
        "excerpt": "",
    }


def test_html_repr_escapes() -> None:
    report = Report(findings=[Finding("r", Severity.INFO, "<b>", Location("<f>", 1, 0))])
    html = report._repr_html_()
    assert "&lt;b&gt;" in html and "<b>" not in html.split("</p>", 1)[1]


def _many(n: int) -> list[Finding]:
    severities = [Severity.INFO, Severity.WARNING, Severity.ERROR]
    return [
        Finding(
            f"rule-{i % 4}",
            severities[i % 3],
            f"m{i}",
            Location("d.jsonl", i + 1, i),
            field=None if i % 5 else f"f{i}",
            hint="h",
            excerpt=f"e{i}",
        )
        for i in range(n)
    ]


def test_store_spills_past_keep_and_gives_everything_back_in_order() -> None:
    from sftprep.findings import FindingStore

    findings = _many(12_345)
    store = FindingStore(findings, keep=100)
    assert len(store) == 12_345
    assert repr(store) == "FindingStore(12345 findings, 10000 on disk)"
    assert list(store) == findings
    assert store[0] == findings[0] and store[-1] == findings[-1] and store[5_000] == findings[5_000]
    assert store[99:103] == findings[99:103]
    assert store.by_rule == {"rule-0": 3087, "rule-1": 3086, "rule-2": 3086, "rule-3": 3086}
    assert store.by_severity == {"info": 4115, "warning": 4115, "error": 4115}


def test_store_prepend_and_append_while_iterating() -> None:
    from sftprep.findings import FindingStore

    findings = _many(30)
    store = FindingStore(findings[10:], keep=3)
    store.prepend(findings[:10])
    assert list(store) == findings
    seen = []
    for i, finding in enumerate(store):
        seen.append(finding)
        if i < 5:
            store.append(findings[i])  # a flush mid-iteration must not move the reader
    assert seen[:30] == findings
    assert len(store) == 35


def test_report_over_a_spilled_store_is_exact() -> None:
    import io

    from sftprep.findings import FindingStore

    findings = _many(9_001)
    small = Report(findings=findings)
    spilled = Report(findings=FindingStore(findings, keep=7))
    assert spilled.summary == small.summary
    assert spilled.summary["errors"] == 3000 and spilled.summary["infos"] == 3001
    assert spilled.worst() is Severity.ERROR
    assert json.loads(spilled.to_json()) == small.to_dict()
    out = io.StringIO()
    spilled.write_json(out)
    assert out.getvalue() == json.dumps(small.to_dict(), ensure_ascii=False)


def test_worst_level_of_an_info_only_report() -> None:
    report = Report(findings=[_finding("missing-system", Severity.INFO, 1)])
    assert report.worst() is Severity.INFO
    assert Report().worst() is None
