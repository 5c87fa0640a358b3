"""`sftprep report PATH -o report.html`: one self-contained HTML page (and PNG charts)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sftprep import units
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
from sftprep.report.collect import TrainingPlan

DEFAULT = TrainingPlan()


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report",
        help="write a self-contained HTML report: charts, findings, estimate, token view",
    )
    p.add_argument("path", metavar="PATH", nargs="?", help="dataset file (or --aidaptiv-env)")
    p.add_argument("-o", "--output", default="report.html", help="HTML file to write")
    p.add_argument("--tokenizer", help="tokenizer name or path (default: the stats default)")
    add_backend_option(p)
    p.add_argument("--max-tokens", type=int, help="max sequence length drawn on the charts")
    p.add_argument("--png", metavar="DIR", help="also write each chart as DIR/<chart>.png")
    add_format_option(p, "skip detection and read as this format")
    p.add_argument("--examples", type=int, default=3, help="records shown in the token view")
    plan = p.add_argument_group("estimate (what the cost and time section prices)")
    plan.add_argument("--api-model", default=DEFAULT.api_model, help="hosted model to price")
    # None = not typed: the default, or an aiDAPTIV+ project's own setting
    plan.add_argument(
        "--model", help=f"local model: a name or a size (8B); default {DEFAULT.model}"
    )
    plan.add_argument("--gpu", default=DEFAULT.gpu, help="GPU type for the local run")
    plan.add_argument("--gpus", type=int, metavar="N", help=f"default {DEFAULT.gpus}")
    plan.add_argument(
        "--method", choices=["full", "lora", "qlora"], help=f"default {DEFAULT.method}"
    )
    plan.add_argument("--epochs", default=DEFAULT.epochs, metavar="auto|N")
    plan.add_argument("--batch-size", type=int, metavar="N", help=f"default {DEFAULT.batch_size}")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no summary line")
    add_project_options(p)
    add_media_options(p)
    add_engine_options(p)
    add_map_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from sftprep.errors import UsageError
    from sftprep.report.collect import TrainingPlan, build_report_data

    project = None
    if args.aidaptiv_env:
        from sftprep.cli.project import load

        project = load(args)
    elif not args.path:
        raise UsageError("give a dataset path (or --aidaptiv-env env_config.yaml)")
    # Refused before the work, not after it: the dataset itself, a folder, a pipe.
    from sftprep.io.write import check_target

    check_target(args.output, "-o", [args.path] if args.path else [])
    if args.png:
        from sftprep.report.png import check_png_folder

        check_png_folder(Path(args.png))
    data = build_report_data(
        args.path,
        project=project,
        tokenizer=args.tokenizer,
        max_tokens=args.max_tokens,
        format=args.format,
        key_map=key_map_from(args),
        examples=args.examples,
        runner=runner_from(args, progress=not args.quiet),
        backend=args.tokenizer_backend,
        media=media_options_from(args),
        plan=TrainingPlan(
            api_model=args.api_model or None,
            model=(args.model if args.model is not None else _default("model", project)) or None,
            gpu=args.gpu or None,
            gpus=args.gpus or _default("gpus", project),
            method=args.method or _default("method", project),
            epochs=args.epochs,
            batch_size=args.batch_size or _default("batch_size", project),
        ),
    )
    out = data.save(args.output)
    pngs = data.save_pngs(args.png) if args.png else []
    if not args.quiet:
        size = out.stat().st_size
        print(
            f"wrote {out} ({units.size(size)}): {_count(data.records, 'record')}, "
            f"{_count(data.findings_total, 'finding')}, {_count(len(data.charts()), 'chart')}",
            file=sys.stdout,
        )
        print(f"open it in a browser: file://{out.resolve()}")
        if pngs:
            print(f"wrote {len(pngs)} PNG charts to {args.png}")
    return 0


def _default(name: str, project: Any) -> Any:
    """The report's default, or None with a project (its own setting decides)."""
    return None if project is not None else getattr(DEFAULT, name)


def _count(n: int, noun: str) -> str:
    """``1 record``, ``2,017 records``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
