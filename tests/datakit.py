"""Small helpers the tests share: JSON Lines files in and out, terminal text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    """``rows`` as a JSON Lines file at ``path``; returns the path."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[Any]:
    """The records of a JSON Lines file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def terminal_text(capsys: pytest.CaptureFixture[str]) -> str:
    """What a command printed, on one line (rich wraps long lines)."""
    return " ".join(capsys.readouterr().out.split())
