"""The media a conversation refers to, in every shape datasets write them.

Adapters keep media where they found them: record-level columns (LLaMA-Factory's
``images``/``videos``/``audios``, LLaVA's ``image``, an aiDAPTIV+ ``vqa`` entry's
``image_key``, a Parquet image column's ``{"bytes", "path"}``) in the conversation's
``metadata``, and content parts (OpenAI's ``image_url`` and ``input_audio``, TRL's
``{"type": "image"}``, Anthropic's ``source``, Gemini's ``inlineData``) in the
message's ``extra``. `media_refs` reads both into `MediaRef`s, so rules, counts and
writers see one list whatever the format; nothing here opens a file.

>>> from sftprep.model import Conversation, Message
>>> conv = Conversation((Message("user", "<image>Who?"), Message("assistant", "Kane.")),
...                     metadata={"images": ["mllm_demo_data/1.jpg"]})
>>> [(r.kind, r.source, r.value, r.field) for r in media_refs(conv)]
[('image', 'path', 'mllm_demo_data/1.jpg', 'images[0]')]
>>> placeholders(conv)
{'image': 1, 'video': 0, 'audio': 0}
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sftprep.errors import LossyConversionError
from sftprep.formats.aliases import MEDIA_KEYS
from sftprep.model import Conversation, MediaKind, MediaRef

# The kind of media each record-level column holds.
COLUMN_KINDS: Mapping[str, MediaKind] = {
    "images": "image",
    "image": "image",
    "image_path": "image",
    "image_url": "image",
    "videos": "video",
    "video": "video",
    "audios": "audio",
    "audio": "audio",
}
# The placeholder each kind of record-level media stands at in the text (LLaMA-Factory,
# LLaVA, TRL's chat templates): one per item of the column, in order.
PLACEHOLDERS: Mapping[MediaKind, str] = {
    "image": "<image>",
    "video": "<video>",
    "audio": "<audio>",
}
# Content part types -> kind (OpenAI chat and Responses, TRL, Anthropic, Qwen's processor).
PART_KINDS: Mapping[str, MediaKind] = {
    "image_url": "image",
    "input_image": "image",
    "image": "image",
    "video": "video",
    "video_url": "video",
    "input_audio": "audio",
    "audio": "audio",
    "audio_url": "audio",
}
# A path: a folder separator or a file extension, on one line.
_PATHLIKE = re.compile(r"\A[^\n]{0,1024}(?:[/\\][^\n]*|\.[A-Za-z0-9]{2,5})\Z")
_REMOTE = ("http://", "https://", "s3://", "gs://", "hf://", "ftp://")
KINDS: tuple[MediaKind, ...] = ("image", "video", "audio")


def media_refs(conv: Conversation, keys: Sequence[str] = MEDIA_KEYS) -> tuple[MediaRef, ...]:
    """Every media reference of ``conv``: its content parts in message order, then the
    record-level columns ``keys`` (an aiDAPTIV+ ``vqa`` entry passes its ``image_key``)."""
    refs: list[MediaRef] = []
    for index, message in enumerate(conv.messages):
        for key, part in message.extra.items():
            if "[" in key and isinstance(part, Mapping):
                field = _part_field(message.field, message.content_field, key)
                refs.extend(_part_refs(part, field, index))
    for key in keys:
        if key in conv.metadata:
            kind = COLUMN_KINDS.get(key, "image")
            refs.extend(_value_refs(conv.metadata[key], kind, key, None))
    return tuple(refs)


def column_refs(
    conv: Conversation, keys: Sequence[str] = MEDIA_KEYS
) -> dict[MediaKind, list[MediaRef]]:
    """The record-level media by kind (what ``<image>`` placeholders stand for); a kind
    is present when its column is, even empty."""
    out: dict[MediaKind, list[MediaRef]] = {}
    for key in keys:
        if key in conv.metadata:
            kind = COLUMN_KINDS.get(key, "image")
            out.setdefault(kind, []).extend(_value_refs(conv.metadata[key], kind, key, None))
    return out


def media_columns(conv: Conversation, keys: Sequence[str] = MEDIA_KEYS) -> frozenset[str]:
    """The record-level columns of ``conv`` that hold media references (an ``image``
    column holding a caption is not one)."""
    if not conv.metadata:
        return frozenset()
    return frozenset(
        k
        for k in keys
        if k in conv.metadata
        and next(_value_refs(conv.metadata[k], COLUMN_KINDS.get(k, "image"), k, None), None)
    )


def is_media_part(key: str, part: Any) -> bool:
    """Whether a message's unread ``content[j]`` holds media (or is a bare placeholder
    part such as TRL's ``{"type": "image"}``)."""
    if "[" not in key or not isinstance(part, Mapping):
        return False
    return part.get("type") in PART_KINDS or bool(_gemini_refs(part, key, 0))


def placeholders(conv: Conversation) -> dict[MediaKind, int]:
    """How many placeholders of each kind the text holds: ``<image>`` tags, and content
    parts such as TRL's ``{"type": "image"}`` that name a kind but carry no media."""
    counts: dict[MediaKind, int] = dict.fromkeys(KINDS, 0)
    for message in conv.messages:
        text = message.text
        if "<" in text:
            for kind, tag in PLACEHOLDERS.items():
                counts[kind] += text.count(tag)
        for key, part in message.extra.items():
            if "[" in key and isinstance(part, Mapping):
                bare = PART_KINDS.get(str(part.get("type")))
                if bare is not None and not _part_refs(part, key, 0):
                    counts[bare] += 1
    return counts


def classify(text: str) -> str:
    """``url``, ``data`` or ``path`` for a reference written as text.

    >>> classify("https://x.org/a.png"), classify("data:image/png;base64,iVBO"), classify("a.png")
    ('url', 'data', 'path')
    """
    lowered = text[:8].lower()
    if lowered.startswith("data:"):
        return "data"
    if lowered.startswith(_REMOTE):
        return "url"
    return "path"


def _part_field(field: str, content_field: str, key: str) -> str:
    """``messages[0]`` + ``content[1]`` -> ``messages[0].content[1]``: where a part is."""
    if field:
        return f"{field}.{key}"
    head, dot, _ = content_field.rpartition(".")
    return f"{head}{dot}{key}"


def _text_ref(kind: MediaKind, text: str, field: str, message: int | None) -> MediaRef:
    source = classify(text)
    value = text[7:] if text.lower().startswith("file://") else text
    return MediaRef(kind, source, value, field, message)  # type: ignore[arg-type]


def _value_refs(value: Any, kind: MediaKind, field: str, message: int | None) -> Iterator[MediaRef]:
    """References in a column value: text, bytes, ``{"bytes", "path"}``, ``{"url"}``, lists.
    Text in a column that does not look like a path, URL or URI (a caption in an ``image``
    column) is no reference."""
    if isinstance(value, str):
        if classify(value) != "path" or _PATHLIKE.search(value):
            yield _text_ref(kind, value, field, message)
    elif isinstance(value, (bytes, bytearray)):
        yield MediaRef(kind, "bytes", None, field, message, bytes(value))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _value_refs(item, kind, f"{field}[{i}]", message)
    elif isinstance(value, Mapping):
        raw = value.get("bytes")
        path = value.get("path") or value.get("url")
        if isinstance(raw, (bytes, bytearray)) and raw:
            yield MediaRef(
                kind, "bytes", path if isinstance(path, str) else None, field, message, bytes(raw)
            )
        elif isinstance(path, str):
            yield _text_ref(kind, path, field, message)


def _part_refs(part: Mapping[str, Any], field: str, message: int) -> list[MediaRef]:
    """The media of one content part (none for a bare placeholder part)."""
    kind = PART_KINDS.get(str(part.get("type")))
    if kind is None:
        return _gemini_refs(part, field, message)
    if kind == "audio" and isinstance(part.get("input_audio"), Mapping):
        audio = part["input_audio"]
        data = audio.get("data")
        if isinstance(data, str):
            return [MediaRef("audio", "data", data, f"{field}.input_audio.data", message)]
        return []
    source = part.get("source")
    if isinstance(source, Mapping):  # Anthropic: {"type": "base64"|"url", ...}
        if isinstance(source.get("data"), str):
            return [MediaRef(kind, "data", source["data"], f"{field}.source.data", message)]
        if isinstance(source.get("url"), str):
            return [_text_ref(kind, source["url"], f"{field}.source.url", message)]
        return []
    for key in (str(part.get("type")), "image_url", "url", "path", "image", "video", "audio"):
        value = part.get(key)
        if isinstance(value, Mapping) and isinstance(value.get("url"), str):
            ref = _text_ref(kind, value["url"], f"{field}.{key}.url", message)
            detail = value.get("detail")
            return [_with_detail(ref, detail)]
        if isinstance(value, str):
            return [
                _with_detail(_text_ref(kind, value, f"{field}.{key}", message), part.get("detail"))
            ]
        if isinstance(value, (bytes, bytearray)):
            return [MediaRef(kind, "bytes", None, f"{field}.{key}", message, bytes(value))]
    return []


def _gemini_refs(part: Mapping[str, Any], field: str, message: int) -> list[MediaRef]:
    """Gemini's ``inlineData`` (base64 with a MIME type) and ``fileData`` (a URI) parts."""
    for key in ("inlineData", "inline_data", "fileData", "file_data"):
        value = part.get(key)
        if not isinstance(value, Mapping):
            continue
        mime = str(value.get("mimeType") or value.get("mime_type") or "image/")
        kind: MediaKind = next((k for k in KINDS if mime.startswith(k)), "image")
        if isinstance(value.get("data"), str):
            return [MediaRef(kind, "data", value["data"], f"{field}.{key}.data", message)]
        uri = value.get("fileUri") or value.get("file_uri")
        if isinstance(uri, str):
            return [_text_ref(kind, uri, f"{field}.{key}", message)]
    return []


def _with_detail(ref: MediaRef, detail: Any) -> MediaRef:
    if not isinstance(detail, str):
        return ref
    return MediaRef(ref.kind, ref.source, ref.value, ref.field, ref.message, ref.data, detail)


# --- converting: columns and placeholders <-> content parts, paths rebased ------------------

_MEDIA_COLUMNS = {"image": "images", "video": "videos", "audio": "audios"}


def media_as_parts(conv: Conversation, keys: Sequence[str] = MEDIA_KEYS) -> Conversation:
    """Record-level images and their ``<image>`` placeholders as OpenAI ``image_url``
    content parts, each in the message of its placeholder (before the text when the
    placeholder starts it, else after: a message keeps one text part). Raises
    `LossyConversionError` for videos and audio files (OpenAI chat has no part for them)
    and when placeholders and images do not match.

    >>> from sftprep.model import Message
    >>> conv = Conversation((Message("user", "<image>Who?"), Message("assistant", "Kane.")),
    ...                     metadata={"images": ["a.jpg"]})
    >>> from sftprep.formats.turns import turn_to_dict
    >>> turn_to_dict(media_as_parts(conv).messages[0])["content"]
    [{'type': 'image_url', 'image_url': {'url': 'a.jpg'}}, {'type': 'text', 'text': 'Who?'}]
    """
    columns = column_refs(conv, keys)
    if not any(columns.values()):
        return conv
    for kind in ("video", "audio"):
        if columns.get(kind):
            raise LossyConversionError(f"OpenAI messages have no content part for a {kind} file")
    queue = list(columns.get("image", []))
    if placeholders(conv)["image"] != len(queue):
        raise LossyConversionError("the `<image>` placeholders do not match the images")
    messages = []
    for message in conv.messages:
        text = message.text
        if "<image>" not in text:
            messages.append(message)
            continue
        before = text.startswith("<image>")
        count = text.count("<image>")
        if any(part_index(k) is not None for k in message.extra):
            raise LossyConversionError("a message has both `<image>` placeholders and parts")
        parts = [_image_part(queue.pop(0)) for _ in range(count)]
        text = text.replace("<image>", "")
        extra = dict(message.extra)
        if before:
            slots = {f"content[{i}]": p for i, p in enumerate(parts)}
        else:
            slots = {f"content[{i + 1}]": p for i, p in enumerate(parts)}
        messages.append(replace(message, content=text, extra={**slots, **extra}))
    metadata = {k: v for k, v in conv.metadata.items() if k not in keys}
    return replace(conv, messages=tuple(messages), metadata=metadata)


def media_as_column(conv: Conversation) -> Conversation:
    """Content parts holding media as an ``images``/``videos``/``audios`` column and one
    ``<image>`` placeholder each, where the part was (before the text or after it): the
    shape LLaMA-Factory and LLaVA read. A record that already has a column is left alone.
    """
    if any(k in conv.metadata for k in _MEDIA_COLUMNS.values()):
        return conv
    columns: dict[str, list[Any]] = {}
    messages = []
    changed = False
    for index, message in enumerate(conv.messages):
        parts = {
            k: v
            for k, v in message.extra.items()
            if part_index(k) is not None and isinstance(v, Mapping) and _part_refs(v, k, index)
        }
        if not parts:
            messages.append(message)
            continue
        changed = True
        taken = {part_index(k) for k in message.extra if part_index(k) is not None}
        at = next(i for i in range(len(taken) + 1) if i not in taken)  # where the text was
        head: list[str] = []
        tail: list[str] = []
        for key, part in sorted(parts.items(), key=lambda kv: part_index(kv[0]) or 0):
            (ref,) = _part_refs(part, key, index)
            columns.setdefault(_MEDIA_COLUMNS[ref.kind], []).append(_column_value(ref))
            (head if (part_index(key) or 0) < at else tail).append(PLACEHOLDERS[ref.kind])
        extra = {k: v for k, v in message.extra.items() if k not in parts}
        text = "".join(head) + message.text + "".join(tail)
        messages.append(replace(message, content=text, extra=extra))
    if not changed:
        return conv
    return replace(conv, messages=tuple(messages), metadata={**conv.metadata, **columns})


def embed_parts(conv: Conversation, read: Any) -> Conversation:
    """``conv`` with every image part given as a local path rewritten as a base64
    ``data:`` URI of the file's bytes (``read(ref) -> bytes`` opens it): what OpenAI and
    Together upload. Raises `LossyConversionError` naming a file that cannot be read."""
    messages = []
    changed = False
    for index, message in enumerate(conv.messages):
        extra = dict(message.extra)
        for key, part in message.extra.items():
            if part_index(key) is None or not isinstance(part, Mapping):
                continue
            refs = _part_refs(part, key, index)
            if not refs or refs[0].source != "path" or refs[0].kind != "image":
                continue
            try:
                data = read(refs[0])
            except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
                why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                raise LossyConversionError(
                    f"image `{refs[0].value}` cannot be read: {why}"
                ) from None
            uri = f"data:{_mime(data, 'image')};base64," + base64.b64encode(data).decode("ascii")
            extra[key] = {"type": "image_url", "image_url": {"url": uri}}
            if isinstance(part.get("image_url"), Mapping) and "detail" in part["image_url"]:
                extra[key]["image_url"]["detail"] = part["image_url"]["detail"]
            changed = True
        messages.append(replace(message, extra=extra) if extra != message.extra else message)
    return replace(conv, messages=tuple(messages)) if changed else conv


def rebase_media(
    conv: Conversation, source_dir: str, out_dir: str, keys: Sequence[str] = MEDIA_KEYS
) -> Conversation:
    """``conv`` with every relative media path rewritten for a file written in
    ``out_dir`` (the record was read from a file in ``source_dir``): relative when the
    two folders share a parent below the root, else absolute."""
    move = _mover(source_dir, out_dir)
    if move is None or not media_refs(conv, keys):
        return conv
    metadata = {k: (_rewrite(v, move) if k in keys else v) for k, v in conv.metadata.items()}
    messages = tuple(
        replace(
            m,
            extra={
                k: (_rewrite(v, move) if part_index(k) is not None else v)
                for k, v in m.extra.items()
            },
        )
        if m.extra
        else m
        for m in conv.messages
    )
    return replace(conv, messages=messages, metadata=metadata)


def rebase_record(record: Any, source_dir: str, out_dir: str) -> Any:
    """A raw record written unchanged (`split`) with its relative media paths rewritten
    for ``out_dir``: the media columns, and the media parts of ``messages`` /
    ``conversations`` turns. Returns ``record`` itself when nothing moves."""
    move = _mover(source_dir, out_dir)
    if move is None or not isinstance(record, Mapping):
        return record
    out = dict(record)
    for key in MEDIA_KEYS:
        if key in out:
            out[key] = _rewrite(out[key], move)
    for key in ("messages", "conversations"):
        turns = out.get(key)
        if isinstance(turns, list):
            out[key] = [_rebase_turn(turn, move) for turn in turns]
    return out if out != record else record


def media_identities(
    conv: Conversation, dataset: str, keys: Sequence[str] = MEDIA_KEYS
) -> list[str]:
    """What identifies each medium of ``conv`` without opening it: the normalised path
    (resolved against the dataset's folder), the URL, or a digest of the data."""
    from sftprep.formats.keys import digest

    base = os.path.dirname(os.path.abspath(dataset))
    out = []
    for ref in media_refs(conv, keys):
        if ref.source == "path":
            out.append("p:" + os.path.normpath(os.path.join(base, ref.value or "")))
        elif ref.source == "bytes":
            out.append("b:" + digest(ref.data or b"").hex())
        else:
            out.append(f"{ref.source}:{ref.value}")
    return out


def _rebase_turn(turn: Any, move: Any) -> Any:
    if not isinstance(turn, Mapping):
        return turn
    for key in ("content", "value"):
        parts = turn.get(key)
        if isinstance(parts, list):
            moved = [
                _rewrite(p, move) if isinstance(p, Mapping) and p.get("type") in PART_KINDS else p
                for p in parts
            ]
            return {**turn, key: moved}
    return turn


def _mover(source_dir: str, out_dir: str) -> Any:
    """The function moving one relative path written beside ``source_dir`` to ``out_dir``
    (None when the folders are the same)."""
    src, dst = os.path.abspath(source_dir or "."), os.path.abspath(out_dir or ".")
    if src == dst:
        return None

    def move(text: str) -> str:
        if not text or classify(text) != "path" or os.path.isabs(text):
            return text
        target = os.path.normpath(os.path.join(src, text))
        if os.path.commonpath([target, dst]) == os.path.sep:
            return target
        return os.path.relpath(target, dst)

    return move


def part_index(key: str) -> int | None:
    """``content[2]`` -> 2: where an unread content part (an image) of a message was in
    its list of parts; None for a key of the message itself."""
    match = _PART_KEY.fullmatch(key)
    return int(match.group(1)) if match else None


_PART_KEY = re.compile(r"(?:content|value|parts)\[(\d+)\]")
_PATH_KEYS = frozenset({"path", "url", "image", "image_url", "video", "audio", "video_url"})


def _rewrite(value: Any, move: Any) -> Any:
    """``value`` with the paths it holds moved: text, lists, and the ``path``/``url``-like
    keys of objects (never ``bytes`` or base64 data)."""
    if isinstance(value, str):
        return move(value)
    if isinstance(value, list):
        return [_rewrite(v, move) for v in value]
    if isinstance(value, Mapping):
        return {k: (_rewrite(v, move) if k in _PATH_KEYS else v) for k, v in value.items()}
    return value


def _image_part(ref: MediaRef) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": _column_value(ref)}}


def _column_value(ref: MediaRef) -> Any:
    """A reference as a column item: its path, URL or URI; bytes as a ``data:`` URI."""
    if ref.source == "bytes":
        data = ref.data or b""
        return f"data:{_mime(data, ref.kind)};base64," + base64.b64encode(data).decode("ascii")
    return ref.value


def _mime(data: bytes, kind: str) -> str:
    """The MIME type of image bytes from their magic number (``image/png``...)."""
    for magic, name in ((b"\x89PNG", "png"), (b"\xff\xd8", "jpeg"), (b"GIF8", "gif")):
        if data.startswith(magic):
            return f"image/{name}"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return f"{kind}/octet-stream" if kind != "image" else "application/octet-stream"
