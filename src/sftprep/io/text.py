"""Shared text handling for readers: BOM, undecodable bytes, binary detection, parsing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import IO, Any

from sftprep.errors import UsageError

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


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for reading bytes; an OS error (permissions, ...) is a `UsageError`."""
    try:
        return path.open("rb")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from exc


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
        return json.loads(data)
    except RecursionError as exc:
        raise ValueError("nesting too deep to parse") from exc


def describe_error(exc: Exception) -> str:
    """A short message for a JSON error."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"invalid JSON: {text}"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with lone surrogates (legal as ``"\\ud800"`` in JSON, not in UTF-8) shown
    as ``\\ud800``, so it can be printed or written as UTF-8."""
    if text.isascii():
        return text
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
