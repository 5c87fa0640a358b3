"""Output paths are checked before anything is read: the input is never overwritten,
outputs are distinct, and a destination that cannot be written is a one-line error.

>>> check_outputs("in.jsonl", [("-o", "in.jsonl")])
Traceback (most recent call last):
sftprep.errors.UsageError: -o in.jsonl is the input file; the input is never modified
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sftprep.errors import UsageError


def check_outputs(
    inputs: str | Path | Sequence[str | Path] | None,
    outputs: Sequence[tuple[str, str | Path | None]],
) -> None:
    """Refuse outputs that are an input, name the same file twice, or cannot be written.

    ``outputs`` pairs the option that named a path (``-o``, ``--rejects``) with the path.
    """
    sources = _resolved(inputs)
    seen: dict[Path, str] = {}
    for flag, path in outputs:
        if path is None:
            continue
        resolved = _resolve(path, flag)
        if resolved in sources:
            raise UsageError(f"{flag} {path} is the input file; the input is never modified")
        if resolved in seen:
            raise UsageError(f"{seen[resolved]} and {flag} name the same file ({path})")
        seen[resolved] = flag
        check_writable(path, flag)


def check_writable(path: str | Path, flag: str) -> None:
    """``path`` can be created or replaced: a regular file or none, in a writable directory."""
    from sftprep.io.write import check_target

    check_directory(Path(path).parent, f"{flag} {path}")
    check_target(path, flag)


def check_directory(directory: str | Path, what: str) -> None:
    """``directory`` exists as a writable directory or can be created below one."""
    current = Path(directory).absolute()
    try:
        while not current.exists():
            if current.parent == current:
                break
            current = current.parent
    except OSError as exc:  # a loop of symbolic links, a name too long
        raise UsageError(f"{what}: {exc.strerror or exc}") from None
    if not current.is_dir():
        raise UsageError(f"{what}: {current} is a file, not a directory")
    if not os.access(current, os.W_OK | os.X_OK):
        raise UsageError(f"{what}: cannot write in {current} (permission denied)")


@contextmanager
def os_errors_as_usage(path: str | Path) -> Iterator[None]:
    """Turn an `OSError` while writing ``path`` (disk full, read-only) into one line."""
    try:
        yield
    except OSError as exc:
        # The temporary file beside the target means nothing to the user: name the target.
        name = str(exc.filename or "")
        where = name if name and not name.endswith(".tmp") else path
        raise UsageError(f"cannot write {where}: {exc.strerror or exc}") from exc


def _resolved(inputs: str | Path | Sequence[str | Path] | None) -> set[Path]:
    if inputs is None:
        return set()
    items = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    return {_resolve(p, "input") for p in items}


def _resolve(path: str | Path, what: str) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop (< 3.13)
        raise UsageError(f"{what} {path}: cannot follow its symbolic links ({exc})") from None
