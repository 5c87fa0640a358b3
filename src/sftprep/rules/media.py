"""Media rules: the images, videos and audio clips a conversation refers to.

Every reference `sftprep.formats.media.media_refs` finds (content parts, ``images``
columns, an aiDAPTIV+ ``image_key``, Parquet image bytes, ``data:`` URIs) is probed
once per record (`RecordContext.media`: the file's header by Pillow, or a video or
audio container's magic bytes; ``--deep`` decodes images fully). These rules report
what a trainer would stumble on: a file that is not there, one that does not decode,
placeholders that do not match the media, and what a platform (``--target``) refuses.
Remote URLs are never fetched: one note per file says how many were not checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sftprep.findings import Finding, Severity
from sftprep.formats.aliases import MEDIA_KEYS
from sftprep.formats.media import COLUMN_KINDS, PLACEHOLDERS, column_refs, placeholders
from sftprep.model import Location
from sftprep.rules.base import RecordContext, Rule, Shift, register_rule


@dataclass(frozen=True)
class MediaLimits:
    """What a platform accepts, as published (``source``, read on ``date``); None: no limit."""

    formats: frozenset[str] | None
    max_bytes: int | None
    max_images: int | None
    modes: frozenset[str] | None
    max_pixels: int | None
    assistant_images: bool
    given_as: frozenset[str]  # how an image may be given: "url", "data" (a local path: never)
    platform: str
    source: str
    date: str


# Per `--target`. Platforms not listed publish no media limits sftprep knows of.
MEDIA_LIMITS: Mapping[str, MediaLimits] = {
    "openai": MediaLimits(
        formats=frozenset({"JPEG", "PNG", "WEBP"}),
        max_bytes=10 * 1024 * 1024,
        max_images=10,
        modes=frozenset({"RGB", "RGBA"}),
        max_pixels=None,  # the guide names none: images are scaled (see tokens/images.py)
        assistant_images=False,
        given_as=frozenset({"url", "data"}),  # "either as HTTP URLs or data URLs"
        platform="OpenAI fine-tuning",
        source="https://developers.openai.com/api/docs/guides/vision-fine-tuning "
        "(Image data requirements)",
        date="2026-12-03",
    ),
    "together": MediaLimits(
        formats=frozenset({"JPEG", "PNG", "WEBP"}),
        max_bytes=10 * 1024 * 1024,
        max_images=10,
        modes=None,
        max_pixels=None,
        assistant_images=False,  # "Only user messages can contain images"
        given_as=frozenset({"data"}),  # base64 with a MIME prefix; URLs must be downloaded
        platform="Together fine-tuning",
        source="https://docs.together.ai/docs/fine-tuning/vision (Prepare your data)",
        date="2026-12-03",
    ),
}
_GIVEN_AS = {"url": "HTTP(S) URLs", "data": "base64 data: URIs"}


def _name(ref: Any, info: Any) -> str:
    """How a reference is shown: its path or URL, or what holds it."""
    if ref.source == "bytes":
        return f"{ref.kind} bytes" + (f" ({ref.value})" if ref.value else "")
    if ref.source == "data":
        return f"{ref.kind} data" + (" URI" if (ref.value or "")[:5].lower() == "data:" else "")
    return f"{ref.kind} `{ref.value}`"


@register_rule
class MediaMissing(Rule):
    """A referenced image, video or audio file is not there, or cannot be opened.

    **What it does**
    Resolves every media path of a record (content parts, ``images``/``videos``/
    ``audios`` columns, an aiDAPTIV+ ``image_key``) against ``--media-root`` and the
    dataset file's folder, and reports each file that does not exist or cannot be read.

    **Why is this bad?**
    The trainer stops at the first missing file (LLaMA-Factory, TRL) or the upload is
    refused (OpenAI); hours into a run is the worst time to find out.

    **Example**
    ```json
    {"messages": [{"role": "user", "content": "<image>Who?"},
                  {"role": "assistant", "content": "Kane."}], "images": ["img/9.jpg"]}
    ```
    (and ``img/9.jpg`` is not beside the dataset)

    **Fix**
    Copy the files next to the dataset (the paths are relative to its folder), pass
    ``--media-root DIR``, or drop the records.
    """

    id = "media-missing"
    severity = Severity.ERROR
    group = "media"
    hint = "put the file where the path says (relative to the dataset), or pass --media-root"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        for ref, info in ctx.media:
            if info.status in ("missing", "unreadable"):
                where = f" (looked for {info.path})" if info.path else ""
                what = "not found" if info.status == "missing" else f"unreadable: {info.reason}"
                yield self.finding(ctx, f"{_name(ref, info)} {what}{where}", field=ref.field)


@register_rule
class MediaUndecodable(Rule):
    """A referenced image does not decode, or a video/audio file is no known container.

    **What it does**
    Reads each image's header with Pillow (``--deep``: decodes every pixel, which also
    finds files cut short), each ``data:`` URI's base64, and each video or audio file's
    first bytes (MP4/MOV, WebM, AVI, WAV, MP3, FLAC, Ogg), and reports what is not valid.

    **Why is this bad?**
    A corrupt or truncated file (a failed download, an HTML error page saved as
    ``.jpg``) crashes the data loader or trains on garbage pixels.

    **Example**
    ```json
    {"messages": [{"role": "user", "content": "<image>What is this?"},
                  {"role": "assistant", "content": "A dog."}], "images": ["img/1.jpg"]}
    ```
    (where ``img/1.jpg`` holds ``<html>404 Not Found</html>``)

    **Fix**
    Download or convert the file again, or drop the record.
    """

    id = "media-undecodable"
    severity = Severity.ERROR
    group = "media"
    hint = "replace the file with a valid one, or drop the record"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        for ref, info in ctx.media:
            if info.status == "undecodable":
                message = f"{_name(ref, info)} does not decode: {info.reason}"
                yield self.finding(ctx, message, field=ref.field)


@register_rule
class MediaPlaceholderMismatch(Rule):
    """The ``<image>`` (``<video>``, ``<audio>``) placeholders do not match the media column.

    **What it does**
    Where a record lists its media in a column (``images``, ``videos``, ``audios``,
    LLaVA's ``image``), counts the placeholders in its messages (``<image>`` tags, and
    content parts such as TRL's ``{"type": "image"}``) and compares.

    **Why is this bad?**
    Each placeholder is where the trainer inserts the next image's tokens: LLaMA-Factory
    refuses such a record ("The number of images does not match the number of <image>
    tokens"), other trainers silently shift every image onto the wrong turn.

    **Example**
    ```json
    {"messages": [{"role": "user", "content": "Compare these."},
                  {"role": "assistant", "content": "Same."}], "images": ["a.jpg", "b.jpg"]}
    ```

    **Fix**
    Put one placeholder where each image belongs, in the order of the column.
    """

    id = "media-placeholder-mismatch"
    severity = Severity.ERROR
    group = "media"
    hint = "put one placeholder per item of the media column, in order"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = ctx.conversation
        if conv is None or not conv.metadata:
            return
        keys = getattr(ctx.adapter, "media_keys", MEDIA_KEYS)
        columns = column_refs(conv, keys)
        if not columns or ctx.format == "aidaptiv":  # aiDAPTIV+ vqa has no placeholders
            return
        tags = placeholders(conv)
        for kind, refs in columns.items():
            if tags[kind] != len(refs):
                column = next(
                    k for k in keys if k in conv.metadata and COLUMN_KINDS.get(k, "image") == kind
                )
                tag = PLACEHOLDERS[kind]
                message = (
                    f"{_plural(tags[kind], f'`{tag}` placeholder')} in the messages but "
                    f"{_plural(len(refs), kind)} in `{column}`"
                )
                yield self.finding(ctx, message, field=column)


def _plural(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


@register_rule
class MediaLimit(Rule):
    """An image is outside what the chosen platform accepts (format, size, mode, count).

    **What it does**
    With ``--target`` naming a platform that publishes media limits (OpenAI vision
    fine-tuning: JPEG, PNG or WEBP; at most 10 MB per image; RGB or RGBA; at most 10
    images per example; no images in assistant messages; images as HTTP URLs or
    ``data:`` URIs, not local files. Together: the same formats, sizes and count, as
    ``data:`` URIs only), reports each image and record outside them. The limits are
    in `MEDIA_LIMITS` with their source and date.

    **Why is this bad?**
    The platform rejects the file at upload, or skips the example, after you have
    waited for validation.

    **Example**
    ```json
    {"messages": [{"role": "user", "content": [{"type": "image_url",
      "image_url": {"url": "scan.tiff"}}]}, {"role": "assistant", "content": "A receipt."}]}
    ```

    **Fix**
    Convert the image (JPEG/PNG/WEBP, RGB), downscale or recompress it, or split the
    record.
    """

    id = "media-limit"
    severity = Severity.ERROR
    group = "media"
    hint = "convert, downscale or recompress the image, or split the record"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        limits = MEDIA_LIMITS.get(str(ctx.options.get("target") or ""))
        if limits is None or not ctx.media:
            return
        images = [(ref, info) for ref, info in ctx.media if ref.kind == "image"]
        for ref, info in images:
            yield from self._image(ctx, ref, info, limits)
        if limits.max_images is not None and len(images) > limits.max_images:
            message = f"{len(images)} images in one example; at most {limits.max_images}"
            yield self.finding(ctx, message + f" ({limits.source})", field=images[-1][0].field)

    def _image(
        self, ctx: RecordContext, ref: Any, info: Any, limits: MediaLimits
    ) -> Iterator[Finding]:
        name, field = _name(ref, info), ref.field
        given = "data" if ref.source == "bytes" else ref.source  # bytes are written as data:
        if given not in limits.given_as:
            takes = " or ".join(_GIVEN_AS[g] for g in sorted(limits.given_as, reverse=True))
            what = "a local file" if ref.source == "path" else "a remote URL"
            message = f"{name} is {what}; {limits.platform} takes {takes}"
            yield self.finding(ctx, message, field=field)
        conv = ctx.conversation
        if (
            not limits.assistant_images
            and ref.message is not None
            and conv is not None
            and conv.messages[ref.message].role == "assistant"
        ):
            yield self.finding(ctx, f"{name} is in an assistant message", field=field)
        if not info.ok:
            return  # missing or undecodable: said by those rules
        problems = []
        if limits.formats is not None and info.format not in limits.formats:
            problems.append(f"format {info.format} (accepted: {', '.join(sorted(limits.formats))})")
        if limits.max_bytes is not None and (info.size or 0) > limits.max_bytes:
            problems.append(f"{info.size:,} bytes (at most {limits.max_bytes:,})")
        if limits.modes is not None and info.mode not in limits.modes:
            problems.append(f"mode {info.mode} (accepted: {', '.join(sorted(limits.modes))})")
        pixels = (info.width or 0) * (info.height or 0)
        if limits.max_pixels is not None and pixels > limits.max_pixels:
            problems.append(f"{info.width}x{info.height} px (at most {limits.max_pixels:,} px)")
        for problem in problems:
            yield self.finding(ctx, f"{name}: {problem}", field=field)


@register_rule
class MediaRemote(Rule):
    """Media given as remote URLs were not fetched, so they were not checked or counted.

    **What it does**
    Counts the media references that are URLs (``https://``, ``s3://``...). sftprep runs
    offline: it does not download them, so their existence, format, size and tokens
    are unknown. One note per file, at the first such record, with the count.

    **Why is this bad?**
    Not bad in itself (OpenAI accepts image URLs), but a URL that has gone dead fails
    the upload, and the token and cost numbers leave these images out.

    **Example**
    ```json
    {"messages": [{"role": "user", "content": [{"type": "image_url",
      "image_url": {"url": "https://example.com/chart.png"}}]},
     {"role": "assistant", "content": "Sales grow."}]}
    ```

    **Fix**
    Nothing to fix; download the images and point the records at the local copies if
    you want them checked and counted.
    """

    id = "media-remote"
    severity = Severity.INFO
    group = "media"
    hint = "download the media and refer to local copies to have them checked and counted"

    def __init__(self) -> None:
        self._count = 0
        self._first: tuple[Location, str] | None = None

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        for ref, info in ctx.media:
            if info.status == "remote":
                self._count += 1
                if self._first is None:
                    self._first = (ctx.location, ref.field)
        return iter(())

    def partial(self) -> Any:
        state = (self._count, self._first)
        self._count, self._first = 0, None
        return state

    def absorb(self, partial: Any, shift: Shift) -> Iterator[Finding]:
        count, first = partial
        self._count += count
        if self._first is None and first is not None:
            self._first = (shift(first[0]), first[1])
        return iter(())

    def finish(self) -> Iterator[Finding]:
        if self._first is None:
            return
        where, field = self._first
        message = (
            f"{_plural(self._count, 'media reference')} {'is a' if self._count == 1 else 'are'} "
            f"remote URL{'' if self._count == 1 else 's'}, not fetched (offline): not checked, "
            "not counted in image tokens"
        )
        yield self.finding(where, message, field=field)
