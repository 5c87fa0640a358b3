"""`sftprep check`'s terminal output: findings grouped by problem, or all with --show-all."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from datakit import write_jsonl
from sftprep.cli.main import main
from sftprep.findings import FileSummary, Finding, FindingStore, Report, Severity
from sftprep.model import Location
from sftprep.report.terminal import (
    field_shape,
    group_findings,
    message_shape,
    print_check_report,
)

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
TOTALS = "{} errors, {} warnings, {} infos in {} records"


def render(report: Report, **options: object) -> str:
    console = Console(record=True, width=100, color_system=None, file=io.StringIO())
    print_check_report(report, console=console, **options)  # type: ignore[arg-type]
    return console.export_text()


def body(text: str) -> str:
    """The output after the "Findings by rule" table."""
    return text.split("└", 1)[1].split("\n", 1)[1]


def finding(
    rule: str,
    severity: Severity,
    message: str,
    line: int | None,
    *,
    path: str = "d.jsonl",
    record: int | None = None,
    field: str | None = None,
    hint: str = "",
    excerpt: str = "",
) -> Finding:
    if record is None and line is not None:
        record = line - 1
    return Finding(rule, severity, message, Location(path, line, record), field, hint, excerpt)


def duplicates(n: int) -> list[Finding]:
    """``n`` duplicates of record 0, one message each ("record 0 (line 1)", ...)."""
    return [
        finding(
            "duplicate",
            WARNING,
            f"exact duplicate of record {i} (line {i + 1})",
            i + 2,
            hint="drop the repeated records (sftprep build --dedupe)",
            excerpt=f"What is {i}+{i}?",
        )
        for i in range(n)
    ]


def test_a_thousand_findings_of_one_shape_are_one_line() -> None:
    report = Report(files=[FileSummary("d.jsonl", "qa", 1_001, 1_001)], findings=duplicates(1_000))
    out = render(report)
    assert out.startswith("d.jsonl: format qa, 1001 records, 1001 without errors\n")
    assert "Findings by rule" in out and "│ duplicate │ warning  │  1000 │" in out
    assert body(out) == (
        "1,000 findings in 1 group (errors first, then the biggest)\n"
        "warning  duplicate ×1,000  exact duplicate of record 0 (line 1)  "
        "at d.jsonl:2, :3, :4 (3 of 1,000 locations shown)\n"
        "    What is 0+0?\n"
        "    hint: drop the repeated records (sftprep build --dedupe)\n"
        + TOTALS.format(0, 1000, 0, 1001)
        + "\n"
    )


def test_indices_in_fields_and_messages_group_together() -> None:
    report = Report(
        findings=[
            finding(
                "empty-text",
                ERROR,
                f"assistant text `messages[{i}].content` is empty",
                i,
                field=f"messages[{i}].content",
            )
            for i in (3, 1, 5, 7)
        ]
    )
    assert body(render(report)) == (
        "4 findings in 1 group (errors first, then the biggest)\n"
        "error    empty-text ×4  messages[*].content: assistant text `messages[3].content` is "
        "empty  at d.jsonl:3, :1, :5 (3 of 4 locations shown)\n" + TOTALS.format(4, 0, 0, 0) + "\n"
    )


def test_different_quoted_names_stay_separate_groups() -> None:
    findings = [
        finding("unknown-role", ERROR, "unknown role 'bot'", 1, field="messages[0].role"),
        finding("unknown-role", ERROR, "unknown role 'model'", 2, field="messages[0].role"),
        finding("unknown-role", ERROR, "unknown role 'bot'", 3, field="messages[2].role"),
        finding("unknown-key", WARNING, "key `source` is not part of the qa format", 1),
        finding("unknown-key", WARNING, "key `id` is not part of the qa format", 1),
        finding("unknown-key", WARNING, "key `id2` is not part of the qa format", 2),
        finding("unknown-key", WARNING, "key `id` is not part of the qa format", 2),
    ]
    assert body(render(Report(findings=findings))) == (
        "7 findings in 5 groups (errors first, then the biggest)\n"
        "error    unknown-role ×2  messages[*].role: unknown role 'bot'  at d.jsonl:1, :3\n"
        "error    unknown-role  messages[*].role: unknown role 'model'  at d.jsonl:2\n"
        "warning  unknown-key ×2  key `id` is not part of the qa format  at d.jsonl:1, :2\n"
        "warning  unknown-key  key `source` is not part of the qa format  at d.jsonl:1\n"
        "warning  unknown-key  key `id2` is not part of the qa format  at d.jsonl:2\n"
        + TOTALS.format(3, 4, 0, 0)
        + "\n"
    )


def test_errors_come_first_whatever_the_counts() -> None:
    findings = [finding("missing-system", INFO, "conversation has no system message", i)
                for i in range(1, 501)]  # fmt: skip
    findings += [finding("duplicate-prompt", INFO, f"same prompt as record {i}", i + 600)
                 for i in range(500)]  # fmt: skip
    findings += [finding("unknown-key", WARNING, "key `x` is not part of the qa format", i)
                 for i in range(1, 51)]  # fmt: skip
    findings.append(finding("empty-text", ERROR, "assistant text `a` is empty", 900, field="a"))
    lines = body(render(Report(findings=findings))).splitlines()
    assert lines == [
        "1,051 findings in 4 groups (errors first, then the biggest)",
        "error    empty-text  a: assistant text `a` is empty  at d.jsonl:900",
        "warning  unknown-key ×50  key `x` is not part of the qa format  "
        "at d.jsonl:1, :2, :3 (3 of 50 locations shown)",
        # two groups of 500: the one seen first comes first
        "info     missing-system ×500  conversation has no system message  "
        "at d.jsonl:1, :2, :3 (3 of 500 locations shown)",
        "info     duplicate-prompt ×500  same prompt as record 0  "
        "at d.jsonl:600, :601, :602 (3 of 500 locations shown)",
        TOTALS.format(1, 50, 1000, 0),
    ]


def test_group_cap_says_how_many_groups_are_not_shown() -> None:
    findings = [
        finding("empty-text", ERROR, "assistant text `a` is empty", 1, field="a"),
        finding("unknown-key", WARNING, "key `x` is not part of the qa format", 1),
        finding("unknown-key", WARNING, "key `y` is not part of the qa format", 1),
        *[finding("missing-system", INFO, "no system message", i) for i in range(1, 11)],
    ]
    assert body(render(Report(findings=findings), max_findings=2)) == (
        "First 2 of 4 groups of findings (13 findings; errors first, then the biggest)\n"
        "error    empty-text  a: assistant text `a` is empty  at d.jsonl:1\n"
        "warning  unknown-key  key `x` is not part of the qa format  at d.jsonl:1\n"
        "… 2 more groups not shown (11 findings): raise --max-findings, or --show-all to list "
        "every finding\n" + TOTALS.format(1, 2, 10, 0) + "\n"
    )
    capped = body(render(Report(findings=findings), max_findings=0)).splitlines()
    assert capped[0].startswith("First 0 of 4 groups of findings (13 findings;")
    assert capped[1].startswith("… 4 more groups not shown (13 findings)")
    assert len(capped) == 3
    one = body(render(Report(findings=findings), max_findings=3)).splitlines()
    assert one[-2].startswith("… 1 more group not shown (10 findings)")


def test_show_all_prints_every_finding_in_file_order() -> None:
    findings = [
        *duplicates(3),
        finding("empty-text", ERROR, "assistant text `a` is empty", 9, field="a"),
        finding("json-syntax", ERROR, "invalid JSON", None, path="t.csv", record=4),
    ]
    out = render(Report(findings=findings), max_findings=1, show_all=True)
    assert body(out) == (
        "All 5 findings (file order)\n"
        "d.jsonl:2  duplicate  exact duplicate of record 0 (line 1)\n"
        "    What is 0+0?\n"
        "d.jsonl:3  duplicate  exact duplicate of record 1 (line 2)\n"
        "    What is 1+1?\n"
        "d.jsonl:4  duplicate  exact duplicate of record 2 (line 3)\n"
        "    What is 2+2?\n"
        "d.jsonl:9  empty-text  a: assistant text `a` is empty\n"
        "t.csv record 4  json-syntax  invalid JSON\n" + TOTALS.format(2, 3, 0, 0) + "\n"
    )


def test_locations_without_lines_and_in_several_files() -> None:
    findings = [
        finding("duplicate", WARNING, "exact duplicate of record 0", None, path="a.csv", record=7),
        finding("duplicate", WARNING, "exact duplicate of record 1", None, path="a.csv", record=9),
        finding("duplicate", WARNING, "exact duplicate of record 2", 4, path="b.jsonl"),
        finding("duplicate", WARNING, "exact duplicate of record 3", 5, path="b.jsonl"),
        finding("empty-dataset", WARNING, "the file holds no records", None, path="c.json"),
    ]
    assert body(render(Report(findings=findings))).splitlines()[1:3] == [
        "warning  duplicate ×4  exact duplicate of record 0  "
        "at a.csv record 7, record 9, b.jsonl:4 (3 of 4 locations shown)",
        "warning  empty-dataset  the file holds no records  at c.json",
    ]


def test_text_from_the_data_is_escaped_printable_and_one_line() -> None:
    long = "word " * 100
    findings = [
        finding(
            "unknown-key",
            WARNING,
            "key `[bold]x\ud800` is not part of the qa format",
            1,
            path="[red]d.jsonl",
            field="[bold]x\ud800",
            hint="rename [i]it[/i]",
            excerpt="line one\nline two\t[/] \x1b[31mred\\",
        ),
        finding("model-commentary", INFO, "commentary", 2, excerpt=long),
    ]
    lines = body(render(Report(findings=findings))).splitlines()
    assert lines[1:4] == [
        "warning  unknown-key  [bold]x\\ud800: key `[bold]x\\ud800` is not part of the qa format  "
        "at [red]d.jsonl:1",
        "    line one\\nline two\\t[/] \\u001b[31mred\\",
        "    hint: rename [i]it[/i]",
    ]
    assert lines[4] == "info     model-commentary  commentary  at d.jsonl:2"
    assert lines[5] == "    " + long[:159] + "…"
    shown = body(render(Report(findings=findings), show_all=True)).splitlines()
    assert shown[1] == (
        "[red]d.jsonl:1  unknown-key  [bold]x\\ud800: key `[bold]x\\ud800` is not part of the "
        "qa format"
    )
    assert shown[2] == lines[2]
    assert len(shown) == 6


def test_no_findings() -> None:
    report = Report(files=[FileSummary("d.jsonl", "qa", 3, 3, "detected format qa (100%)")])
    assert render(report) == (
        "d.jsonl: format qa, 3 records, 3 without errors\n"
        "  detected format qa (100%)\n"
        "No problems found.\n"
    )


def test_shapes() -> None:
    assert field_shape("messages[3].content") == field_shape("messages[1].content")
    assert field_shape("messages[12].tool_calls[0].arguments") == (
        "messages[*].tool_calls[*].arguments"
    )
    assert field_shape(None) == ""
    same = message_shape("exact duplicate of record 0 (line 1)")
    assert same == message_shape("exact duplicate of record 7 (line 8)")
    assert message_shape("unknown role 'bot'") != message_shape("unknown role 'model'")
    assert message_shape("key `source` here") != message_shape("key `id` here")
    assert message_shape("key `f1` here") != message_shape("key `f2` here")
    assert message_shape('tool_call_id "it\'s 1"') != message_shape('tool_call_id "it\'s 2"')
    assert message_shape("U+200B zero-width x3") != message_shape("U+2060 word joiner x3")
    assert message_shape("U+200B zero-width x3") == message_shape("U+200B zero-width x12")
    assert message_shape("the model's answer 3") == message_shape("the model's answer 4")


def test_grouping_streams_over_a_spilled_store_once() -> None:
    store = FindingStore(duplicates(2_000), keep=10)  # most of it on disk
    store.append(finding("empty-text", ERROR, "assistant text `a` is empty", 5))
    passes = 0

    def once() -> Iterator[Finding]:
        nonlocal passes
        passes += 1
        yield from store

    [error, dup] = group_findings(once())
    assert passes == 1
    assert (error.rule, error.count, dup.count) == ("empty-text", 1, 2_000)
    assert [loc.line for loc in dup.locations] == [2, 3, 4]  # only the first few kept
    assert dup.first == store[0]
    line = body(render(Report(findings=store))).splitlines()[2]
    assert line == (
        "warning  duplicate ×2,000  exact duplicate of record 0 (line 1)  "
        "at d.jsonl:2, :3, :4 (3 of 2,000 locations shown)"
    )


def test_past_the_group_limit_new_shapes_share_one_group_per_rule() -> None:
    findings = [finding("unknown-key", WARNING, f"key `k{i}` is unknown", i) for i in range(1, 8)]
    groups = group_findings(findings, max_groups=3)
    assert [(g.count, g.first.message, g.mixed) for g in groups] == [
        (4, "key `k4` is unknown", True),  # k4 to k7 in a catch-all group, k4 its example
        (1, "key `k1` is unknown", False),
        (1, "key `k2` is unknown", False),
        (1, "key `k3` is unknown", False),
    ]
    out = body(render(Report(findings=FindingStore(findings))))
    assert "7 findings in 7 groups" in out
    capped = render_groups(findings, max_groups=3)
    assert capped[0] == (
        "warning  unknown-key ×4  key `k4` is unknown (and other messages)  "
        "at d.jsonl:4, :5, :6 (3 of 4 locations shown)"
    )


def render_groups(findings: list[Finding], *, max_groups: int) -> list[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sftprep.report.terminal.MAX_GROUPS", max_groups)
        return body(render(Report(findings=findings))).splitlines()[1:]


def test_json_findings_carry_the_excerpt() -> None:
    report = Report(findings=[*duplicates(2), finding("r", INFO, "m", 1, excerpt="lone \ud800")])
    doc = json.loads(report.to_json())
    assert [f["excerpt"] for f in doc["findings"]] == [
        "What is 0+0?",
        "What is 1+1?",
        "lone \\ud800",
    ]
    assert doc == json.loads(report.to_json(indent=1))
    out = io.StringIO()
    report.write_json(out)
    out.getvalue().encode("utf-8")  # a lone surrogate would not encode
    assert set(doc["findings"][0]) == {
        "rule", "severity", "path", "line", "record", "field", "message", "hint", "excerpt"
    }  # fmt: skip


def _qa(tmp_path: Path) -> Path:
    path = tmp_path / "qa.jsonl"
    rows = [{"question": f"Question {i}?", "cot_answer": ""} for i in range(30)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_cli_groups_by_default_and_lists_all_with_show_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _qa(tmp_path)
    assert main(["check", "--quiet", str(path)]) == 1
    out = capsys.readouterr().out
    assert "30 findings in 1 group (errors first, then the biggest)" in out
    assert out.count("empty-text ×30  cot_answer: assistant text `cot_answer` is empty") == 1
    assert f"at {path}:1, :2, :3 (3 of 30 locations shown)" in out
    assert main(["check", "--quiet", "--show-all", "--max-findings", "1", str(path)]) == 1
    out = capsys.readouterr().out
    assert "All 30 findings (file order)" in out
    assert out.count("  empty-text  cot_answer: assistant text `cot_answer` is empty") == 30
    assert main(["check", "--json", "--show-all", str(path)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["findings"]) == 30 and all("excerpt" in f for f in doc["findings"])


@pytest.mark.unseen
def test_terminal_shows_errors_before_infos(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[object] = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]}
        for i in range(30)
    ]
    rows.append(
        {"messages": [{"role": "user", "content": "last"}, {"role": "assistant", "content": ""}]}
    )
    path = write_jsonl(tmp_path / "m.jsonl", rows)
    # grouped: one error (empty-text) and 31 infos of one shape (missing-system)
    assert main(["check", "--quiet", "--max-findings", "2", str(path)]) == 1
    out = capsys.readouterr().out
    assert "32 findings in 2 groups (errors first, then the biggest)" in out
    listed = out.split("then the biggest)", 1)[1]
    assert listed.index("error    empty-text  ") < listed.index("info     missing-system ×31  ")
    assert listed.count("missing-system") == 1
    # capped at one group: the error is shown, the 31 infos are not
    assert main(["check", "--quiet", "--max-findings", "1", str(path)]) == 1
    out = capsys.readouterr().out
    assert "First 1 of 2 groups of findings (32 findings; errors first" in out
    listed = out.split("then the biggest)", 1)[1]
    assert "error    empty-text  " in listed and "info     missing-system" not in listed
    assert "… 1 more group not shown (31 findings)" in listed
