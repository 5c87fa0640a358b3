"""`sftprep check PATH...`: validate datasets and print a summary (or one JSON document)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sftprep.check import check
from sftprep.cli.common import (
    add_backend_option,
    add_engine_options,
    add_format_option,
    add_map_option,
    add_media_options,
    add_project_options,
    key_map_from,
    media_options_from,
    runner_from,
)
from sftprep.findings import Report, Severity

FAIL_LEVELS = {"error": Severity.ERROR.rank, "warning": Severity.WARNING.rank, "never": 99}


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("check", help="validate datasets and report every problem")
    p.add_argument("paths", nargs="*", metavar="PATH", help="dataset files")
    add_format_option(p, "skip detection and read as this format")
    p.add_argument("--config", help="aiDAPTIV+ dataset YAML driving the conversion")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--fail-on", choices=list(FAIL_LEVELS), default="error")
    p.add_argument("--select", type=_csv, help="only these rule ids (comma-separated)")
    p.add_argument("--ignore", type=_csv, help="skip these rule ids (comma-separated)")
    p.add_argument(
        "--max-findings",
        type=_count,
        default=20,
        metavar="N",
        help="groups of findings shown in the terminal (errors first, then the biggest)",
    )
    p.add_argument(
        "--show-all",
        action="store_true",
        help="list every finding on its own line, in file order (no grouping, no cap)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--tokenizer", help="run the token rules with this tokenizer (cl100k_base, ...)")
    p.add_argument("--max-tokens", type=int, help="context limit for the token rules")
    add_backend_option(p)
    p.add_argument(
        "--target",
        help="also apply a platform's rules: {targets}",
    )
    add_project_options(p)
    add_media_options(p, deep=True)
    p.add_argument(
        "--against",
        action="append",
        metavar="FILE",
        help="a validation split or a benchmark's test set to compare with (repeatable): "
        "copies and near-copies of its records are `leakage`, shared 13-grams "
        "`contamination`; the file itself is not checked",
    )
    p.add_argument(
        "--near-threshold",
        type=_fraction,
        metavar="J",
        help="Jaccard similarity from which records are near-duplicates (default 0.8)",
    )
    add_engine_options(p)
    add_map_option(p)
    p.set_defaults(run=run)


def _fraction(text: str) -> float:
    """A number in (0, 1], for argparse."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


def _count(text: str) -> int:
    """A non-negative integer, for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def run(args: argparse.Namespace) -> int:
    if args.aidaptiv_env:
        return _run_project(args)
    if not args.paths and not args.config:
        from sftprep.errors import UsageError

        raise UsageError("give at least one dataset path (or --config FILE.yaml)")
    report = check(
        args.paths,
        format=args.format,
        key_map=key_map_from(args),
        config=args.config,
        select=args.select,
        ignore=args.ignore,
        options={**_options(args), "media": media_options_from(args)},
        target=args.target,
        runner=runner_from(args, progress=not args.quiet and not args.json),
        against=args.against,
    )
    return _show(report, args)


def _run_project(args: argparse.Namespace) -> int:
    """Check an aiDAPTIV+ project: its configs (file and line), then every dataset YAML it
    lists, the token rules on at the project's max_seq_len."""
    from sftprep.check import check_project
    from sftprep.cli.project import load_project_for_check, project_tokenizer

    project = load_project_for_check(args)
    tokenizer, _ = project_tokenizer(project, args.tokenizer)
    report = check_project(
        project,
        tokenizer=_token_spec(tokenizer, args.tokenizer_backend),
        max_tokens=args.max_tokens,
        key_map=key_map_from(args),
        select=args.select,
        ignore=args.ignore,
        target=args.target,
        runner=runner_from(args, progress=not args.quiet and not args.json),
    )
    return _show(report, args)


def _show(report: Report, args: argparse.Namespace) -> int:
    if args.json:
        report.write_json(sys.stdout)
        sys.stdout.write("\n")
    else:
        from sftprep.report.terminal import print_check_report

        print_check_report(report, max_findings=args.max_findings, show_all=args.show_all)
    return exit_code(report, args.fail_on)


def _token_spec(tokenizer: str, backend: str) -> str:
    from sftprep.tokens.base import with_choice

    return with_choice(tokenizer, backend) or tokenizer


def _options(args: argparse.Namespace) -> dict[str, Any]:
    options = _token_options(args)
    if args.near_threshold is not None:
        options["near_threshold"] = args.near_threshold
    return options


def _token_options(args: argparse.Namespace) -> dict[str, Any]:
    from sftprep.tokens.base import with_choice

    # --max-tokens alone checks lengths with the default tokenizer (cl100k_base)
    if args.tokenizer is None and args.max_tokens is None:
        return {}
    # The backend travels in the name ("fast:cl100k_base"): every worker counts alike.
    spec = with_choice(args.tokenizer or "cl100k_base", args.tokenizer_backend)
    return {"tokenizer": spec, "max_tokens": args.max_tokens}


def exit_code(report: Report, fail_on: str) -> int:
    worst = report.worst()
    return 1 if worst is not None and worst.rank >= FAIL_LEVELS[fail_on] else 0
