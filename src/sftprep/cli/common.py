"""Options every command that reads a dataset shares: how to run the engine.

``--workers N`` (default: every core; small inputs run in this process),
``--engine local|ray`` and ``--ray-address`` (default ``RAY_ADDRESS``, else a local
Ray started on this machine). One place, so every command spells them alike.
"""

from __future__ import annotations

import argparse
from typing import Any

from sftprep.engine import ENGINES, Runner


def add_engine_options(parser: Any) -> None:
    """Add ``--workers``, ``--engine`` and ``--ray-address`` to a subcommand's parser."""
    group = parser.add_argument_group("execution")
    group.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="worker processes (default: every core; small inputs run in one process)",
    )
    group.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="local processes, or Ray (pip install 'sftprep[ray]'; shard files must be "
        "visible on every node)",
    )
    group.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="Ray cluster to connect to (default: $RAY_ADDRESS, else a local Ray)",
    )


def runner_from(args: argparse.Namespace, *, progress: bool) -> Runner:
    """The `Runner` the options ask for."""
    return Runner(
        workers=args.workers,
        engine=args.engine,
        ray_address=args.ray_address,
        progress=progress,
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of workers >= 1, got {text!r}")
    return value
