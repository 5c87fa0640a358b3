"""Options every command that reads a dataset shares: how to run the engine, how to count.

``--workers N`` (default: every core; small inputs run in this process),
``--engine local|ray`` and ``--ray-address`` (default ``RAY_ADDRESS``, else a local
Ray started on this machine); ``--tokenizer-backend auto|reference|fast`` for every
command that counts tokens. One place, so every command spells them alike.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sftprep.engine import ENGINES, Runner
from sftprep.formats.aliases import KeyMap
from sftprep.formats.base import list_formats
from sftprep.targets.base import list_targets
from sftprep.tokens.base import CHOICES, list_backends


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


def add_backend_option(parser: Any) -> None:
    """Add ``--tokenizer-backend auto|reference|fast`` (see `sftprep.tokens.base`)."""
    parser.add_argument(
        "--tokenizer-backend",
        choices=CHOICES,
        default="auto",
        help="what counts the tokens: fast = quicktok (exact C++ BPE, pip install "
        "'sftprep[fast]'), reference = tiktoken / Hugging Face tokenizers, auto (default) = "
        "fast when it serves the tokenizer and passes its self-check, else reference "
        "(tokenizer backends: {backends})",
    )


def add_format_option(parser: Any, help_text: str, *, metavar: str | None = None) -> None:
    """Add ``--format``, its help listing every registered format."""
    parser.add_argument("--format", metavar=metavar, help=f"{help_text}; one of: {{formats}}")


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


def add_quiet_option(parser: Any, help: str = "no progress bar") -> None:
    """``--quiet``: every command takes it, so scripts can pass it to any of them."""
    parser.add_argument("--quiet", action="store_true", help=help)


def add_map_option(parser: Any) -> None:
    """Add ``--map NAME=KEY`` (repeatable): read a column under another name."""
    parser.add_argument(
        "--map",
        action="append",
        metavar="NAME=KEY",
        help="read the column KEY as NAME before the format is detected (repeatable): "
        "--map output=answer_text, --map system=instructions, --map user=question "
        "--map assistant=query (user/assistant stand for prompt/completion)",
    )


def key_map_from(args: argparse.Namespace) -> KeyMap:
    """The `KeyMap` ``--map`` gives (empty without it)."""
    return KeyMap.parse(args.map)


def add_project_options(parser: Any) -> None:
    """Add ``--aidaptiv-env`` and ``--aidaptiv-exp``: read a whole aiDAPTIV+ project."""
    group = parser.add_argument_group("aiDAPTIV+ project")
    group.add_argument(
        "--aidaptiv-env",
        metavar="YAML",
        help="the project's env_config.yaml: its train_data_path / val_data_path dataset "
        "YAMLs are the data, its exp config the training settings",
    )
    group.add_argument(
        "--aidaptiv-exp",
        metavar="YAML",
        help="the project's exp_config.yaml (default: exp_config.yaml beside --aidaptiv-env)",
    )


def add_media_options(parser: Any, *, deep: bool = False) -> None:
    """Add ``--media-root DIR`` (and ``--deep`` for check): how media files are found."""
    parser.add_argument(
        "--media-root",
        metavar="DIR",
        help="look for relative image/video/audio paths here first (default: beside the "
        "dataset file)",
    )
    if deep:
        parser.add_argument(
            "--deep",
            action="store_true",
            help="decode every image fully (default: read the header only)",
        )


def media_options_from(args: argparse.Namespace) -> Any:
    """The `MediaOptions` the options ask for."""
    from sftprep.io.media import MediaOptions

    return MediaOptions(root=args.media_root, deep=bool(getattr(args, "deep", False)))


# Placeholders a help text may hold, filled from the registries only when help is printed:
# building the parser (every command) imports no format, target or backend module.
_REGISTERED: dict[str, Callable[[], list[str]]] = {
    "{formats}": list_formats,
    "{targets}": list_targets,
    "{backends}": list_backends,
}


class RegistryHelpFormatter(argparse.HelpFormatter):
    """Help with ``{formats}``, ``{targets}`` and ``{backends}`` spelled out."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help
        for placeholder, names in _REGISTERED.items():
            if text and placeholder in text:
                text = text.replace(placeholder, ", ".join(names()))
        return text
