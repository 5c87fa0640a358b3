"""Shared text handling for readers: BOM, undecodable bytes, binary detection, parsing."""

from __future__ import annotations

import json
import math
import os
import re
import stat
from pathlib import Path
from typing import IO, Any

from sftprep.errors import UsageError
from sftprep.findings import printable

BOM = b"\xef\xbb\xbf"
SNIFF_BYTES = 8192

# Files that are not text, told apart by their first bytes, with what to do instead.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "is UTF-32 text; re-encode it as UTF-8"),
    (b"\x00\x00\xfe\xff", "is UTF-32 text; re-encode it as UTF-8"),
    (b"\xff\xfe", "is UTF-16 text; re-encode it as UTF-8 (iconv -f utf-16 -t utf-8)"),
    (b"\xfe\xff", "is UTF-16 text; re-encode it as UTF-8 (iconv -f utf-16 -t utf-8)"),
    (b"\x1f\x8b", "is gzip-compressed; decompress it first (gunzip)"),
    (b"PK\x03\x04", "is a zip archive; extract it first"),
    (b"\x28\xb5\x2f\xfd", "is zstd-compressed; decompress it first (unzstd)"),
    (b"BZh", "is bzip2-compressed; decompress it first (bunzip2)"),
    (b"\xfd7zXZ\x00", "is xz-compressed; decompress it first (unxz)"),
    (b"PAR1", "is a Parquet file; give it the .parquet extension"),
)

try:  # orjson is several times faster; json stays the fallback and the reference
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is a declared dependency
    from json import loads as _fast_loads  # type: ignore[assignment]


# (device, inode) -> path of every file this process read.
_INPUTS: dict[tuple[int, int], str] = {}


def note_input(st: os.stat_result, path: str | Path) -> None:
    """Remember a file this process reads: no output may replace it."""
    _INPUTS[(st.st_dev, st.st_ino)] = str(path)


def read_inputs() -> set[tuple[int, int]]:
    """The files read that still exist under their name (a deleted file's inode number
    may be given to a new file, which is no input)."""
    alive = set()
    for key, path in list(_INPUTS.items()):
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            st = None
        if st is not None and (st.st_dev, st.st_ino) == key:
            alive.add(key)
        else:
            del _INPUTS[key]  # gone or replaced: forgotten, so the table stays small
    return alive


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for reading bytes; an OS error (permissions, ...) is a `UsageError`.

    Only a regular file is read: a pipe or a device would block forever or never end.
    Opened without blocking, so even a pipe with no writer is refused at once.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({os_reason(exc)})") from exc
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(f"{path}: cannot read (a directory)")
        if not stat.S_ISREG(st.st_mode):
            raise UsageError(
                f"{path}: not a regular file (a pipe, a device or a socket); give a file"
            )
        os.set_blocking(fd, True)
        note_input(st, path)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_small_text(path: Path) -> str:
    """The UTF-8 text of a small side file (a price table, a config): a regular file only,
    so a pipe never blocks the command; `UsageError` when it cannot be read."""
    with open_binary(path) as fh:
        data = fh.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def regular_file(path: Path) -> None:
    """Refuse ``path`` unless it is a regular file (for readers that open by name)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({os_reason(exc)})") from exc
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{path}: not a regular file (a pipe, a device or a socket); give a file")
    note_input(st, path)


def os_reason(exc: OSError) -> str:
    """What an `OSError` means, in a few words (a symbolic link loop, permission denied)."""
    import errno

    if exc.errno == errno.ELOOP:
        return "a loop of symbolic links"
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long for the file system"
    return str(exc.strerror or exc).lower()


def ensure_text_file(path: Path) -> None:
    """Refuse binary files with one clear line, judged on the first 8 KB.

    Binary means a NUL byte (never in UTF-8 JSON or CSV) or more than 10%
    undecodable characters (a Latin-1 file has a few, a binary file mostly); a known
    magic number (UTF-16, gzip, zip, Parquet...) then says what the file is.
    """
    with open_binary(path) as fh:
        head = fh.read(SNIFF_BYTES)
    text = head.decode("utf-8", errors="replace")
    undecodable = text.count("\ufffd") > max(8, len(text) // 10)
    if b"\x00" not in head and not undecodable:
        return
    for magic, what in MAGIC:
        if head.startswith(magic):
            raise UsageError(f"{path}: not a text file: it {what}")
    if b"\x00" in head:
        raise UsageError(f"{path}: not a text file (NUL bytes); expected UTF-8 JSON, JSONL or CSV")
    raise UsageError(f"{path}: not a text file (mostly undecodable bytes); expected UTF-8")


def decode(data: bytes) -> tuple[str, bool]:
    """Decode UTF-8; returns (text, ok). Undecodable bytes become U+FFFD when not ok."""
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), False


def first_bad_byte(data: bytes) -> int | None:
    """Offset of the first byte that is not valid UTF-8, or None."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def parse_json(data: bytes | str) -> Any:
    """Parse one JSON value; raises ValueError (also for nesting too deep)."""
    try:
        return _fast_loads(data)
    except ValueError:
        pass  # orjson refuses lone surrogates and deep nesting: ask json for the verdict
    try:
        return json.loads(data, parse_constant=_not_json, parse_float=_finite)
    except RecursionError as exc:
        raise ValueError("nesting too deep to parse") from exc


def _not_json(name: str) -> Any:
    # Python's json reads NaN and Infinity; JSON has neither, and no output may carry them.
    raise ValueError(f"{name} is not a JSON value (JSON has no NaN or Infinity)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:24]} is too large for a float (it would be Infinity)")
    return value


def describe_error(exc: Exception) -> str:
    """A short message for a JSON error."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"invalid JSON: {text}"


def deep_dumps(value: Any, *, sort_keys: bool = False, ensure_ascii: bool = True) -> str:
    """JSON text of ``value`` however deep it nests (no recursion: json's encoder stops
    near a thousand levels, which a parsed record can come close to). Compact; NaN and
    infinities as null; other types by ``str``."""
    out: list[str] = []
    # The stack holds values to write, or ready text (closing brackets, separators).
    stack: list[Any] = [value]
    encoder = json.encoder
    encode = encoder.encode_basestring_ascii if ensure_ascii else encoder.encode_basestring
    while stack:
        item = stack.pop()
        if isinstance(item, _Raw):
            out.append(item.text)
        elif isinstance(item, dict):
            keys = sorted(item, key=str) if sort_keys else list(item)
            parts: list[Any] = [_Raw("}")]
            for i, key in enumerate(reversed(keys)):
                parts.append(item[key])
                parts.append(_Raw(encode(str(key)) + ":"))
                if i < len(keys) - 1:
                    parts.append(_Raw(","))
            out.append("{")
            stack.extend(parts)
        elif isinstance(item, (list, tuple)):
            parts = [_Raw("]")]
            for i, element in enumerate(reversed(item)):
                parts.append(element)
                if i < len(item) - 1:
                    parts.append(_Raw(","))
            out.append("[")
            stack.extend(parts)
        elif isinstance(item, str):
            out.append(encode(item))
        elif item is None or isinstance(item, bool):
            out.append(json.dumps(item))
        elif isinstance(item, int):
            out.append(str(int(item)))
        elif isinstance(item, float):
            out.append(repr(item) if math.isfinite(item) else "null")
        else:
            out.append(encode(str(item)))
    return "".join(out)


class _Raw:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """``text`` safe to print on one terminal line: control characters (newlines, ANSI
    escape sequences from the data) and lone surrogates shown as escapes."""
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], printable(text))
