"""Open the media a record refers to: resolve the path, read the header, say what it is.

A reference (`sftprep.model.MediaRef`) is probed into a `MediaInfo`: whether it is
there, its container format, byte size and, for an image, its pixel size. Images are
read with Pillow, the header only by default (the pixels are not decoded, so a
million images cost a few milliseconds each); ``deep`` decodes them fully, which
finds files cut short or damaged after the header. Videos and audio clips are
recognised by their container's magic bytes (MP4/MOV, WebM/Matroska, AVI, WAV, MP3,
FLAC, Ogg). Remote URLs are never fetched. ``data:`` URIs and bytes held in the
record (a Parquet image column) are decoded and read the same way.

A relative path is looked up under ``--media-root`` first, then beside the dataset
file. Files are probed once per process (keyed by path, size and modification time).

>>> gif = b"GIF89a\\x01\\x00\\x01\\x00\\x00\\x00\\x00"  # 1 x 1 pixels, no colour table
>>> gif += b",\\x00\\x00\\x00\\x00\\x01\\x00\\x01\\x00\\x00;"  # one frame: Pillow needs it
>>> info = probe_bytes("image", gif, "x")
>>> info.status, info.format, info.width, info.height
('ok', 'GIF', 1, 1)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import urllib.parse
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from sftprep.model import MediaRef

# Bytes read to recognise a video or audio container.
_SNIFF = 16
# Container magic bytes -> (kind, name). MP4/MOV/M4A share ISO-BMFF's ``ftyp`` box.
_CONTAINERS: tuple[tuple[int, bytes, str, str], ...] = (
    (4, b"ftyp", "video", "MP4"),
    (4, b"moov", "video", "MOV"),
    (0, b"\x1a\x45\xdf\xa3", "video", "WEBM"),
    (0, b"OggS", "audio", "OGG"),
    (0, b"fLaC", "audio", "FLAC"),
    (0, b"ID3", "audio", "MP3"),
    (0, b"\xff\xfb", "audio", "MP3"),
    (0, b"\xff\xf3", "audio", "MP3"),
    (0, b"\xff\xf2", "audio", "MP3"),
)


@dataclass(frozen=True)
class MediaOptions:
    """How media are found and read: ``root`` (``--media-root``) for relative paths,
    ``deep`` (``--deep``) to decode every image fully; ``families``: image token
    families to count besides the built-in ones (``qwen2-vl:max_pixels=1003520``)."""

    root: str | None = None
    deep: bool = False
    families: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What probing one reference found.

    ``status``: ``ok``; ``missing`` (no such file); ``unreadable`` (cannot be opened);
    ``undecodable`` (not a valid image / container, or bad base64); ``remote`` (a URL,
    not fetched); ``unchecked`` (Pillow is not installed). ``key`` identifies the media
    for counting distinct ones: the resolved path, the URL, or a digest of the bytes.
    """

    kind: str
    status: str
    key: str
    format: str | None = None
    width: int | None = None
    height: int | None = None
    size: int | None = None
    path: str | None = None
    reason: str = ""
    mode: str | None = None  # an image's pixel mode (RGB, RGBA, L, CMYK...)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def probe(ref: MediaRef, dataset: str, options: MediaOptions | None = None) -> MediaInfo:
    """Probe ``ref`` of a record read from the file ``dataset``."""
    options = options or MediaOptions()
    if ref.source == "url":
        return MediaInfo(ref.kind, "remote", ref.value or "")
    if ref.source == "bytes":
        return probe_bytes(ref.kind, ref.data or b"", _digest(ref.data or b""), deep=options.deep)
    if ref.source == "data":
        raw, error = decode_data(ref.value or "")
        if raw is None:
            return MediaInfo(ref.kind, "undecodable", "data:" + error, reason=error)
        return probe_bytes(ref.kind, raw, _digest(raw), deep=options.deep)
    return probe_path(ref.kind, resolve(ref.value or "", dataset, options.root), options.deep)


def resolve(value: str, dataset: str, root: str | None = None) -> Path:
    """Where a path written in a record is: absolute as is; relative under ``root`` when it
    is there, else beside the dataset file."""
    path = Path(os.path.expanduser(value))
    if path.is_absolute():
        return path
    if root is not None:
        under_root = Path(root) / path
        if under_root.exists():
            return under_root
    return Path(dataset).parent / path


def probe_path(kind: str, path: Path, deep: bool = False) -> MediaInfo:
    """Probe a file (cached per process by path, size and modification time)."""
    key = os.path.abspath(path)
    if not str(path) or path.name == "":
        return MediaInfo(kind, "missing", key, path=str(path), reason="empty path")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return MediaInfo(kind, "missing", key, path=str(path), reason="no such file")
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        return MediaInfo(kind, "unreadable", key, path=str(path), reason=_why(exc))
    if not os.path.isfile(path):
        return MediaInfo(kind, "unreadable", key, path=str(path), reason="not a file")
    return _probe_file(kind, key, str(path), deep, st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=65536)
def _probe_file(kind: str, key: str, path: str, deep: bool, size: int, mtime: int) -> MediaInfo:
    try:
        with open(path, "rb") as fh:
            info = _probe_stream(kind, fh, key, deep)
    except OSError as exc:
        return MediaInfo(kind, "unreadable", key, size=size, path=path, reason=_why(exc))
    return MediaInfo(
        kind,
        info.status,
        key,
        info.format,
        info.width,
        info.height,
        size,
        path,
        info.reason,
        info.mode,
    )


def probe_bytes(kind: str, raw: bytes, key: str, *, deep: bool = False) -> MediaInfo:
    """Probe media held in memory (a ``data:`` URI, a Parquet image column)."""
    if not raw:
        return MediaInfo(kind, "undecodable", key, size=0, reason="no bytes")
    info = _probe_stream(kind, io.BytesIO(raw), key, deep)
    return MediaInfo(
        kind,
        info.status,
        key,
        info.format,
        info.width,
        info.height,
        len(raw),
        None,
        info.reason,
        info.mode,
    )


def decode_data(value: str) -> tuple[bytes | None, str]:
    """The bytes of a ``data:`` URI or of bare base64 text (OpenAI's ``input_audio``),
    or ``(None, why)``.

    >>> decode_data("data:text/plain;base64,aGk=")
    (b'hi', '')
    >>> decode_data("data:image/png;base64,@@@")[1]
    'the data: URI is not valid base64'
    """
    if value[:5].lower() == "data:":
        header, comma, payload = value[5:].partition(",")
        if not comma:
            return None, "the data: URI has no ',' before its data"
        if not header.lower().endswith(";base64"):
            return urllib.parse.unquote_to_bytes(payload), ""
        what = "the data: URI"
    else:
        payload, what = value, "the base64 data"
    try:
        return base64.b64decode("".join(payload.split()), validate=True), ""
    except (binascii.Error, ValueError):
        return None, f"{what} is not valid base64"


def _probe_stream(kind: str, fh: IO[bytes], key: str, deep: bool) -> MediaInfo:
    if kind != "image":
        head = fh.read(_SNIFF)
        name = container(head)
        if name is None:
            return MediaInfo(kind, "undecodable", key, reason=f"not a known {kind} container")
        return MediaInfo(kind, "ok", key, name)
    try:
        from PIL import Image
    except ImportError:  # optional: media are found and sized by bytes only
        return MediaInfo(kind, "unchecked", key, reason="Pillow is not installed")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a decompression-bomb warning is a size, not a bug
            with Image.open(fh) as image:
                fmt, (width, height), mode = image.format, image.size, image.mode
                if deep:
                    image.load()
    except Image.UnidentifiedImageError:  # its message names a buffer's memory address
        return MediaInfo(kind, "undecodable", key, reason="not an image format Pillow knows")
    except Exception as exc:  # Pillow raises many kinds for damaged files: all mean "bad image"
        return MediaInfo(kind, "undecodable", key, reason=_why(exc))
    return MediaInfo(kind, "ok", key, fmt, width, height, mode=mode)


def container(head: bytes) -> str | None:
    """The container a file's first bytes name (``MP4``, ``WAV``...), or None.

    >>> container(b"RIFF\\x00\\x00\\x00\\x00WAVEfmt "), container(b"\\x00\\x00\\x00\\x18ftypmp42")
    ('WAV', 'MP4')
    """
    if head[:4] == b"RIFF":
        return {b"WAVE": "WAV", b"AVI ": "AVI"}.get(head[8:12])
    for offset, magic, _, name in _CONTAINERS:
        if head[offset : offset + len(magic)] == magic:
            return name
    return None


def _digest(raw: bytes) -> str:
    return "sha:" + hashlib.blake2b(raw, digest_size=16).hexdigest()


def _why(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:160]
