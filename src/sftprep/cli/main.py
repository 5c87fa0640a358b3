"""`sftprep` entry point: builds the parser from the subcommand modules and runs one.

Each subcommand module exposes ``add_parser(subparsers)`` and ``run(args) -> int``.
A `UsageError` (or any unexpected error) becomes one line on stderr and exit 2;
set ``SFTPREP_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from types import ModuleType
from typing import Any

from sftprep import __version__
from sftprep.cli.common import RegistryHelpFormatter
from sftprep.errors import SftprepError
from sftprep.registry import DuplicateName, load_plugins

COMMANDS = ("check", "rules", "stats", "estimate", "report", "new", "convert", "fix", "split")
EXIT_USAGE = 2


def _command_modules() -> dict[str, ModuleType]:
    modules = {}
    for name in COMMANDS:
        try:
            modules[name] = importlib.import_module(f"sftprep.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"sftprep.cli.{name}":
                raise
    return modules


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", RegistryHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse's own usage errors exit 2 already; keep them to one line plus usage.
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"sftprep: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sftprep",
        description="Prepare and validate instruction fine-tuning (SFT) datasets.",
    )
    parser.add_argument("--version", action="version", version=f"sftprep {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _command_modules().values():
        module.add_parser(subparsers)
    return parser


class Terminated(BaseException):
    """SIGTERM: unwinds like Ctrl-C, so every temporary file is removed on the way out."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    try:
        load_plugins()  # before the parser: its help lists what plugins register
        parser = build_parser()
    except SftprepError as exc:
        return _fail(_message(exc))
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    from sftprep.io.write import remove_temporaries

    previous = _install(signal.SIGTERM, _on_sigterm)
    try:
        return int(args.run(args))
    except SftprepError as exc:
        return _fail(_message(exc))
    except KeyboardInterrupt:
        return _fail("interrupted", code=130)
    except Terminated:
        return _fail(
            "terminated (SIGTERM); unfinished outputs removed, earlier files kept",
            code=128 + signal.SIGTERM,
        )
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except SystemExit as exc:
        # rich answers a closed pipe with SystemExit(1) after pointing stdout at
        # /dev/null; exit 1 means "findings" here, so a pipe closed early is 0, as above.
        if exc.code == 1 and _stdout_is_devnull():
            return 0
        raise
    except RecursionError:
        return _fail(
            "a record is nested too deeply to process (a JSON value thousands of levels deep); "
            "run `sftprep check` to find it and `sftprep fix` to set it aside"
        )
    except Exception as exc:  # the promise: never a traceback for bad input
        if os.environ.get("SFTPREP_DEBUG"):
            raise
        return _fail(f"unexpected error: {type(exc).__name__}: {exc} (SFTPREP_DEBUG=1 shows more)")
    finally:
        remove_temporaries()  # whatever path led here, no hidden temporary file stays
        _install(signal.SIGTERM, previous)


def _install(signum: int, handler: Any) -> Any:
    """Set a signal handler where that is possible (the main thread), else leave it."""
    try:
        return signal.signal(signum, handler)
    except (ValueError, TypeError):  # not the main thread, or no previous Python handler
        return None


def _stdout_is_devnull() -> bool:
    try:
        out, null = os.fstat(sys.stdout.fileno()), os.stat(os.devnull)
    except (OSError, ValueError):
        return False
    return (out.st_dev, out.st_ino) == (null.st_dev, null.st_ino)


def _quiet_broken_pipe() -> int:
    """The reader of our output went away (``| head``): stop quietly, as `cat` does."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the final flush at exit cannot fail
    except (OSError, ValueError):
        pass
    return 0


def _message(exc: SftprepError) -> str:
    if isinstance(exc, DuplicateName):  # found when a registry imports its built-ins
        return f"{exc} (a plugin and a built-in use the same name)"
    return str(exc)


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    from sftprep.io.text import one_line

    # Messages quote the data (keys, paths): one line, whatever the data holds.
    print(f"sftprep: error: {one_line(message)}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
