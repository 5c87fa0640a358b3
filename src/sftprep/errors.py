"""Exceptions: dataset problems are findings, exceptions are for misuse.

A `UsageError` carries a one-line message the CLI prints before exiting with 2.
"""

from __future__ import annotations


class SftprepError(Exception):
    """Base class for every error sftprep raises on purpose."""


class UsageError(SftprepError):
    """Wrong use: unknown name, missing file, unreadable input. The message says the fix."""


class LossyConversionError(SftprepError):
    """A conversation cannot be written in a format without losing information."""


def check_max_tokens(max_tokens: int | None) -> None:
    """Refuse a ``max_tokens`` that is not a positive number of tokens (None: not given).

    Every API function that takes ``max_tokens`` calls this first, so the Python API
    and the CLI refuse the same values with the same message.

    >>> check_max_tokens(4096)
    >>> check_max_tokens(0)
    Traceback (most recent call last):
    ...
    sftprep.errors.UsageError: --max-tokens must be a positive number of tokens, got 0
    """
    if max_tokens is not None and max_tokens < 1:
        raise UsageError(f"--max-tokens must be a positive number of tokens, got {max_tokens}")
