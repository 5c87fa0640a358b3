"""`sftprep rules [ID]`: list the rules, or show one rule's documentation.

``--markdown`` prints the docs page (``docs/rules.md``), ``--json`` a JSON document.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sftprep.cli.common import add_quiet_option


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("rules", help="list the validation rules or explain one")
    p.add_argument("rule", nargs="?", metavar="ID", help="show this rule's full documentation")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--markdown", action="store_true", help="print the docs/rules.md page")
    add_quiet_option(p, "accepted for symmetry with the other commands (rules prints no progress)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from sftprep.catalog import get_rule, list_rules
    from sftprep.rules.docs import rule_info, rule_text, rules_markdown

    if args.markdown:
        if args.rule:
            get_rule(args.rule)  # an unknown id is still a usage error
        sys.stdout.write(rules_markdown())
        return 0
    if args.rule:
        rule = get_rule(args.rule)
        if args.json:
            sys.stdout.write(json.dumps(rule_info(rule), ensure_ascii=False, indent=2) + "\n")
        else:
            sys.stdout.write(rule_text(rule))
        return 0
    rules = list_rules()
    if args.json:
        doc = [rule_info(rule) for rule in rules]
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return 0
    width = max(len(rule.id) for rule in rules)
    sys.stdout.write(f"{'ID':<{width}}  {'SEVERITY':<8}  {'SCOPE':<7}  SUMMARY\n")
    for rule in rules:
        sys.stdout.write(
            f"{rule.id:<{width}}  {rule.severity.value:<8}  {rule.scope:<7}  "
            f"{rule.summary_line()}\n"
        )
    return 0
