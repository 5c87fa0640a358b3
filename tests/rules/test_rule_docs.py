"""Every rule is documented the same way, and docs/rules.md matches the docstrings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sftprep.catalog import list_rules
from sftprep.cli.main import main
from sftprep.findings import Severity
from sftprep.rules.base import Rule
from sftprep.rules.docs import SECTIONS, rules_markdown

ROOT = Path(__file__).resolve().parents[2]
RULES = list_rules()
# The ids every family must provide (issue 2).
REQUIRED = {
    "json-syntax", "invalid-utf8", "csv-shape", "not-an-object", "missing-key", "unknown-key",
    "wrong-type", "config-invalid", "empty-text", "invalid-role", "no-assistant-turn",
    "role-order", "last-turn-not-assistant", "missing-system", "missing-user",
    "invalid-weight", "tool-call-arguments", "tool-undeclared", "tool-response-orphan",
    "duplicate", "special-token-leak", "encoding-damage", "template-placeholder",
}  # fmt: skip
# Reader rules document input that is not valid JSON on purpose.
NON_JSON_EXAMPLES = {"json-syntax", "invalid-utf8"}


def test_required_rules_are_registered() -> None:
    assert {rule.id for rule in RULES} >= REQUIRED


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_documented(rule: type[Rule]) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.id)
    assert isinstance(rule.severity, Severity)
    assert rule.scope in ("reader", "schema", "record", "token")
    assert rule.hint and rule.group
    doc = rule.doc()
    summary = doc.splitlines()[0]
    assert summary.endswith(".") and not summary.startswith("**")
    positions = [doc.find(f"\n{section}\n") for section in SECTIONS]
    assert all(p > 0 for p in positions) and positions == sorted(positions), rule.id
    example = re.search(r"```json\n(.*?)\n```", doc, re.S)
    assert example, f"{rule.id}: the Example section needs a ```json block"
    if rule.id not in NON_JSON_EXAMPLES:
        json.loads(example.group(1))


def test_unknown_key_is_a_warning() -> None:
    severities = {rule.id: rule.severity for rule in RULES}
    assert severities["unknown-key"] is Severity.WARNING
    assert severities["missing-system"] is Severity.INFO
    assert severities["missing-user"] is Severity.WARNING


def test_docs_page_is_up_to_date() -> None:
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == rules_markdown(), "run: python scripts/gen_rules_doc.py"


def test_generator_check_mode() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_rules_doc.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_emitted_rule_id_is_registered() -> None:
    """Readers and adapters build findings by id: each id they use must be documented."""
    ids = {rule.id for rule in RULES}
    pattern = re.compile(r"make_finding\(\s*\"([a-z0-9-]+)\"")
    used = {
        (m.group(1), path.relative_to(ROOT).as_posix())
        for path in (ROOT / "src" / "sftprep").rglob("*.py")
        for m in pattern.finditer(path.read_text(encoding="utf-8"))
    }
    assert {(rule_id, path) for rule_id, path in used if rule_id not in ids} == set()


def test_cli_lists_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ID", "SEVERITY", "SCOPE", "SUMMARY"]
    rows = {line.split()[0]: line.split()[1:3] for line in out[1:]}
    assert rows["empty-text"] == ["error", "record"]
    assert rows["json-syntax"] == ["error", "reader"]
    assert len(rows) == len(RULES)


def test_cli_shows_one_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "duplicate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("duplicate (warning, scope record, group dataset)")
    for section in SECTIONS:
        assert section in out


def test_cli_json_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in doc] == [r.id for r in RULES]
    assert set(doc[0]) == {"id", "severity", "scope", "group", "summary", "hint", "doc"}
    assert main(["rules", "role-order", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["severity"] == "warning"
    assert main(["rules", "--markdown"]) == 0
    assert capsys.readouterr().out == rules_markdown()


def test_cli_unknown_rule_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "no-such-rule"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sftprep: error: unknown rule 'no-such-rule'; known: ")
    assert err.count("\n") == 1
