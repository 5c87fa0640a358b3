"""Media counts beside the text tokens: images per record, their sizes and image tokens.

A `MediaTally` rides in a shard's `TokenTally` (one row per counted record, in the same
order), filled from the record's probed media (`RecordContext.media`); `MediaStats`
merges the tallies of a dataset in file order, like `TokenStats`. Image tokens are
counted per family (`sftprep.tokens.images`) for every use of an image (an image
given twice is seen twice); sizes are over distinct images. Video and audio are
counted as references, their tokens ``not estimated``; remote URLs and files that
are missing or do not decode have no size and no tokens (`status` counts them).

>>> from sftprep.io.media import MediaInfo
>>> from sftprep.model import MediaRef
>>> tally = MediaTally()
>>> tally.add([(MediaRef("image", "path", "a.jpg"), MediaInfo("image", "ok", "/d/a.jpg",
...            "JPEG", 300, 168, 12324, "/d/a.jpg"))])
>>> stats = MediaStats(); stats.add_tally(tally)
>>> stats.to_dict()["image_tokens"]["qwen2-vl"]["total"]
66
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sftprep.stats import Distribution
from sftprep.tokens.images import FAMILIES, ImageFamily, get_image_family

NOT_ESTIMATED = (
    "video and audio tokens are not estimated: they depend on frame rate, duration and "
    "sampling settings the dataset does not state"
)
LARGEST_SHOWN = 3
# (kind, status, format, width, height, bytes, path) of one distinct medium.
Seen = tuple[str, str, "str | None", "int | None", "int | None", "int | None", "str | None"]


def _ints() -> array[int]:
    return array("i")  # as `Distribution` keeps its values


@dataclass
class MediaTally:
    """The media of a shard's counted records (one row per record, zeros for none)."""

    images: array[int] = field(default_factory=_ints)
    videos: array[int] = field(default_factory=_ints)
    audios: array[int] = field(default_factory=_ints)
    tokens: dict[str, array[int]] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)  # "image ok", "video missing"...
    seen: dict[str, Seen] = field(default_factory=dict)
    extra: tuple[str, ...] = ()  # families given by spec (``qwen2-vl:max_pixels=N``)

    @property
    def families(self) -> dict[str, ImageFamily]:
        return {**FAMILIES, **{spec: get_image_family(spec) for spec in self.extra}}

    def add(self, media: Iterable[tuple[Any, Any]]) -> None:
        """Add one counted record's probed media: ``(MediaRef, MediaInfo)`` pairs."""
        counts = {"image": 0, "video": 0, "audio": 0}
        families = self.families
        tokens = dict.fromkeys(families, 0)
        for ref, info in media:
            counts[ref.kind] = counts.get(ref.kind, 0) + 1
            label = f"{ref.kind} {info.status}"
            self.status[label] = self.status.get(label, 0) + 1
            if info.key not in self.seen:
                self.seen[info.key] = (
                    ref.kind,
                    info.status,
                    info.format,
                    info.width,
                    info.height,
                    info.size,
                    info.path,
                )
            if ref.kind == "image" and info.ok and info.width and info.height:
                for name, family in families.items():
                    tokens[name] += family.tokens(info.width, info.height, detail=ref.detail)
        self.images.append(counts["image"])
        self.videos.append(counts["video"])
        self.audios.append(counts["audio"])
        for name, n in tokens.items():
            self.tokens.setdefault(name, _ints()).append(n)

    def add_none(self) -> None:
        """A counted record without media."""
        self.pad(1)

    def pad(self, n: int) -> None:
        """``n`` counted records without media."""
        zeros = [0] * n
        for values in (self.images, self.videos, self.audios):
            values.extend(zeros)
        for name in (*FAMILIES, *self.extra):
            self.tokens.setdefault(name, _ints()).extend(zeros)


@dataclass
class MediaStats:
    """The media of a dataset, merged from its shards' tallies in file order; per-record
    rows line up with `TokenStats`' rows."""

    images: Distribution = field(default_factory=Distribution)
    videos: Distribution = field(default_factory=Distribution)
    audios: Distribution = field(default_factory=Distribution)
    tokens: dict[str, Distribution] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    seen: dict[str, Seen] = field(default_factory=dict)

    def pad(self, n: int) -> None:
        """``n`` counted records without media."""
        zeros = [0] * n
        for dist in (self.images, self.videos, self.audios):
            dist.extend(zeros)
        for values in self.tokens.values():
            values.extend(zeros)

    def add_tally(self, tally: MediaTally) -> None:
        for name in tally.tokens:  # a family first seen here: zeros for the rows before
            self.tokens.setdefault(name, Distribution.of([0] * len(self.images)))
        self.images.extend(tally.images)
        self.videos.extend(tally.videos)
        self.audios.extend(tally.audios)
        for name, values in tally.tokens.items():
            self.tokens.setdefault(name, Distribution()).extend(values)
        for label, n in tally.status.items():
            self.status[label] = self.status.get(label, 0) + n
        for key, row in tally.seen.items():
            self.seen.setdefault(key, row)

    @property
    def references(self) -> int:
        return self.images.total + self.videos.total + self.audios.total

    def record_tokens(self, family: str) -> Sequence[int]:
        """Image tokens of every counted record under ``family`` (zeros for none)."""
        found = self.tokens.get(family)
        return found.values if found is not None else [0] * len(self.images)

    def add_image_tokens(self, lengths: list[int], family: str) -> list[str]:
        """Add each record's image tokens under ``family`` to its length (``lengths`` in
        file order, changed in place): images are prompt input, so they cost tokens but
        are not trained. Returns the assumptions this makes, for an estimate."""
        extra = self.record_tokens(family)
        lengths[:] = [n + m for n, m in zip(lengths, extra, strict=True)]
        notes = [
            f"{sum(extra):,} image tokens for {self.images.total:,} image references in "
            f"{sum(1 for m in extra if m):,} records added to the prompt tokens: "
            + get_image_family(family).formula()
        ]
        uncounted = {
            k: v for k, v in self.status.items() if k.startswith("image ") and k != "image ok"
        }
        if uncounted:
            detail = ", ".join(f"{k} {v:,}" for k, v in sorted(uncounted.items()))
            notes.append(f"images without tokens (not found, not decoded or remote): {detail}")
        if self.videos.total or self.audios.total:
            notes.append(
                f"{self.videos.total:,} video and {self.audios.total:,} audio references: "
                + NOT_ESTIMATED
            )
        return notes

    def distinct(self, kind: str) -> int:
        return sum(1 for row in self.seen.values() if row[0] == kind)

    def largest(self, limit: int = LARGEST_SHOWN) -> list[dict[str, Any]]:
        """The largest distinct images by pixels (ties by bytes): what the report shows."""
        rows = [r for r in self.seen.values() if r[0] == "image" and r[1] == "ok" and r[3]]
        rows.sort(key=lambda r: (-(r[3] or 0) * (r[4] or 0), -(r[5] or 0), r[6] or ""))
        return [
            {"path": r[6], "format": r[2], "width": r[3], "height": r[4], "bytes": r[5]}
            for r in rows[:limit]
        ]

    def to_dict(self) -> dict[str, Any] | None:
        """The ``media`` section of the stats document (None when no record has media)."""
        if not self.references:
            return None
        images = [r for r in self.seen.values() if r[0] == "image" and r[1] == "ok" and r[3]]
        with_media = sum(
            1
            for a, b, c in zip(
                self.images.values, self.videos.values, self.audios.values, strict=True
            )
            if a or b or c
        )
        out: dict[str, Any] = {
            "records_with_media": with_media,
            "references": {
                "image": self.images.total,
                "video": self.videos.total,
                "audio": self.audios.total,
            },
            "distinct": {k: self.distinct(k) for k in ("image", "video", "audio")},
            "status": dict(sorted(self.status.items())),
            "images_per_record": self.images.summary(),
            "image_size": {
                "width": Distribution.of(r[3] or 0 for r in images).summary(),
                "height": Distribution.of(r[4] or 0 for r in images).summary(),
                "bytes": Distribution.of(r[5] or 0 for r in images).summary(),
            },
            "image_tokens": {
                name: {
                    "total": dist.total,
                    "per_record": dist.summary(),
                    "formula": get_image_family(name).formula(),
                }
                for name, dist in self.tokens.items()
            },
            "largest": self.largest(),
        }
        if self.videos.total or self.audios.total:
            out["not_estimated"] = {
                "video": self.videos.total,
                "audio": self.audios.total,
                "note": NOT_ESTIMATED,
            }
        return out
