"""What the commands share for ``--aidaptiv-env``: load the project, pick its tokenizer."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sftprep.errors import UsageError
from sftprep.findings import Severity


def load(args: argparse.Namespace) -> Any:
    """The project of ``--aidaptiv-env`` / ``--aidaptiv-exp``; its config errors are listed
    on stderr (the command goes on with what it can read), none at all is a usage error."""
    from sftprep.formats.aidaptiv_project import load_project

    if getattr(args, "path", None) or getattr(args, "paths", None):
        raise UsageError("give a dataset path or --aidaptiv-env, not both")
    project = load_project(args.aidaptiv_env, args.aidaptiv_exp)
    errors = [f for f in project.findings if f.severity is Severity.ERROR]
    if errors:
        command = f"sftprep check --aidaptiv-env {args.aidaptiv_env}"
        print(f"{len(errors)} error(s) in the project configs ({command}):", file=sys.stderr)
        for f in errors[:10]:
            print(f"  {f.location}: {f.message}", file=sys.stderr)
    if not project.train_configs:
        raise UsageError(f"{project.env}: no training dataset YAML could be read")
    return project


def project_tokenizer(project: Any, given: str | None) -> tuple[str, str]:
    """--tokenizer, else the model's own (``model_name_or_path`` with a tokenizer.json on
    this machine), else cl100k_base; the note says which and why."""
    if given:
        return given, ""
    model = project.model_name_or_path
    if model and (Path(model).expanduser() / "tokenizer.json").is_file():
        return str(Path(model).expanduser()), "; the model's own tokenizer"
    from sftprep.tokens import DEFAULT_TOKENIZER

    return DEFAULT_TOKENIZER, (
        f"; model_name_or_path {model!r} has no tokenizer on this machine, so counts are "
        "approximate (give --tokenizer DIR for the model's)"
    )


def load_project_for_check(args: argparse.Namespace) -> Any:
    """The project for `check`: its findings go into the report, not to stderr."""
    from sftprep.formats.aidaptiv_project import load_project

    if args.paths or args.config:
        raise UsageError("give dataset paths (or --config) or --aidaptiv-env, not both")
    return load_project(args.aidaptiv_env, args.aidaptiv_exp)
