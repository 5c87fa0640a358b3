"""Near-duplicates: MinHash sketches, LSH banding and clusters; 13-gram overlap.

Text is read as words (lower case, punctuation dropped, numbers dropped so that a
changed number changes nothing, words of one or two letters left out) and cut into
word 3-gram shingles, hashed in numpy over the bytes of a whole batch (no object per
word or shingle).
Each record gets a MinHash sketch of its prompt (user turns), of its answer
(assistant turns) and of the whole record (the two together: the minimum of the two
sketches, which is the MinHash of the union). Sketches are computed with ``rensa``
(Rust MinHash, chosen by measurement: see docs/near-duplicates.md), 128
permutations, a fixed seed, so every process and every run gives the same sketch.

Only the low byte of each of the 128 minimum hashes is kept (b-bit minwise hashing,
Li & König 2010): 128 bytes per sketch. Two sketches agree on a byte with
probability ``J + (1 - J) / 256``, so the Jaccard similarity is estimated from the
share of equal bytes, and the same bytes serve as LSH bands: 18 bands of 7 bytes
(a pair at Jaccard 0.8 shares a band with probability 0.986, at 0.3 with 0.004).
Pairs that share a band are verified against the threshold on the estimate; the
verified pairs are joined into clusters (connected components, numbered by their
first record). Sketches wait in a temporary file, not in memory: a check of 1 GB
keeps about 40 bytes per record in memory.

>>> words("Tom bought 12 apples, then 3 more of them!")
[b'tom', b'bought', b'apples', b'then', b'more', b'them']
>>> shingles([b"a", b"b", b"c", b"d"])
[b'a b c', b'b c d']
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from sftprep.formats.keys import digest

if TYPE_CHECKING:
    import numpy as np

NUM_PERM = 128
SEED = 1307  # fixed: every process, every run, every machine gives the same sketch
BAND_ROWS = 7
BANDS = NUM_PERM // BAND_ROWS  # 18 bands of 7 bytes (2 bytes unused)
MIN_WORD_BYTES = 3  # shorter words are not read (a CJK character is 3 bytes)
SHINGLE = 3  # words per shingle (the mixing in `shingle_hashes` takes three)
MIN_SHINGLES = 5  # a text with fewer shingles is too short to call a near-copy
DEFAULT_THRESHOLD = 0.8
KINDS = ("record", "prompt", "answer")  # what a sketch covers; "record" first: it is reported
NGRAM = 13  # contamination: n-gram length of GPT-3's overlap study (Brown et al. 2020, app. C)
NGRAM_MIN = 8  # a reference text shorter than 13 words counts whole when at least this long
INSTALL_HINT = "pip install 'sftprep[near]'"

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_HAS_CJK = re.compile(f"[{_CJK}]")
_PLAIN_WORD = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}]+|\d+")
_DIGITS = b"0123456789"
# The UTF-8 of U+3000-U+9FFF and U+AC00-U+D7AF (kana, CJK ideographs, Hangul syllables).
_CJK_UTF8 = re.compile(
    rb"[\xe3-\xe9][\x80-\xbf]{2}|\xea[\xb0-\xbf][\x80-\xbf]|[\xeb\xec][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9e][\x80-\xbf]"
)
# ASCII letters become lower case, ASCII punctuation and control characters spaces (one
# table, one pass); digits are deleted by the same `bytes.translate`.
_SEPARATORS = bytes(
    (b + 32 if 65 <= b <= 90 else b) if b >= 128 or chr(b).isalnum() else 32 for b in range(256)
)


def normalise(text: str) -> bytes:
    """``text`` as near-duplicate detection reads it: UTF-8, lower case (ASCII), ASCII
    punctuation and control characters as spaces, digits deleted (a changed number
    changes nothing); in text written without spaces (Chinese, Japanese) a space around
    each CJK character. Words are then the runs of non-space bytes (`words`)."""
    data = text.encode("utf-8", "surrogatepass").translate(_SEPARATORS, _DIGITS)
    # Spaced text keeps a CJK word whole (cheaper, and as precise there).
    if not text.isascii() and _HAS_CJK.search(text) and data.count(b" ") * 16 < len(data):
        data = _CJK_UTF8.sub(rb" \g<0> ", data)
    return data


def words(text: str) -> list[bytes]:
    """The words of ``text`` that are read (the readable form of what `word_hashes`
    hashes): runs of non-space bytes of at least `MIN_WORD_BYTES`."""
    return [w for w in normalise(text).split() if len(w) >= MIN_WORD_BYTES]


def plain_words(text: str) -> list[str]:
    """The words of ``text`` for n-gram overlap: case-folded, numbers kept."""
    return _PLAIN_WORD.findall(text.casefold())


def shingles(tokens: Sequence[bytes]) -> list[bytes]:
    """Word 3-grams of ``tokens`` (none when shorter): what a sketch is a sketch of
    (`Parts` computes their hashes directly, this is the readable form)."""
    return list(map(b" ".join, zip(tokens, tokens[1:], tokens[2:], strict=False)))


def available() -> str | None:
    """None when the sketch library and numpy import, else the reason they do not."""
    try:
        import numpy  # noqa: F401
        import rensa  # noqa: F401
    except ImportError as exc:
        return f"{exc.name or 'rensa'} is not installed ({INSTALL_HINT})"
    return None


_M = (
    0x9E3779B97F4A7C15,
    0xC2B2AE3D27D4EB4F,
    0x165667B19E3779F9,
    0xFF51AFD7ED558CCD,
    0xC4CEB9FE1A85EC53,
)  # odd 64-bit constants


@functools.cache
def _low_masks() -> np.ndarray:
    """Masks keeping the k first (low) bytes of a little-endian uint64, k = 0..8."""
    import numpy as np

    return np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)


def _fmix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, in place (uint64 arithmetic wraps)."""
    import numpy as np

    h ^= h >> np.uint64(33)
    h *= np.uint64(_M[3])
    h ^= h >> np.uint64(33)
    h *= np.uint64(_M[4])
    h ^= h >> np.uint64(33)
    return h


def word_hashes(texts: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """A 64-bit hash of every word of every `normalise`d text, flat, and the number of
    words of each text, computed in numpy over the joined bytes (no object per word).

    A word's hash mixes its first 8 bytes, its last 8 bytes and its length: two words
    collide only when they agree on all three (equal words longer than 16 bytes that
    differ only inside their middle bytes), which changes a similarity negligibly.
    """
    import numpy as np

    joined = b" ".join(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    text_start = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=text_start[1:])
    buf = np.frombuffer(joined, dtype=np.uint8)
    change = np.diff((buf != 32).view(np.int8), prepend=np.int8(0), append=np.int8(0))
    edges = np.flatnonzero(change != 0)  # a word's start, then its end, alternately
    starts, ends = edges[0::2], edges[1::2]
    # Words of one or two bytes ("a", "of", "is") carry little and are a third of the
    # words of English text: left out, they cost nothing to hash.
    long_enough = (ends - starts) >= MIN_WORD_BYTES
    starts, ends = starts[long_enough], ends[long_enough]
    counts = np.diff(np.searchsorted(starts, text_start))
    if not len(starts):
        return np.zeros(0, dtype=np.uint64), counts
    padded = np.concatenate([np.zeros(8, dtype=np.uint8), buf, np.zeros(8, dtype=np.uint8)])
    windows = np.lib.stride_tricks.as_strided(padded, (len(buf) + 9, 8), (1, 1), writeable=False)
    head = windows[starts + 8].view(np.uint64).ravel()  # the 8 bytes from the word's start
    size = ends - starts
    head &= _low_masks()[np.minimum(size, 8)]  # little-endian: the word's bytes are the low ones
    h = head * np.uint64(_M[0])
    h += size.astype(np.uint64) * np.uint64(_M[2])
    long = np.flatnonzero(size > 8)  # and the last 8 bytes of a longer word (the high bits)
    if len(long):
        tail = windows[ends[long]].view(np.uint64).ravel()
        h[long] ^= tail * np.uint64(_M[1])
    return _fmix(h), counts


def shingle_hashes(texts: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The 64-bit hashes of the word 3-grams of every `normalise`d text, flat, and the
    row offsets (a text of fewer than three words has none). A 3-gram's hash mixes its
    words' hashes, in order: no shingle string is ever built."""
    import numpy as np

    flat, counts = word_hashes(texts)
    grams = np.maximum(counts - (SHINGLE - 1), 0)
    offsets = np.zeros(len(texts) + 1, dtype=np.uint64)
    np.cumsum(grams, out=offsets[1:])
    total = int(grams.sum())
    if not total:
        return np.zeros(0, dtype=np.uint64), offsets
    # every run of three consecutive words, then only those inside one text
    mixed = flat[:-2] * np.uint64(_M[0])
    mixed += flat[1:-1] * np.uint64(_M[1])
    mixed += flat[2:] * np.uint64(_M[2])
    inside = np.ones(len(mixed), dtype=bool)
    ends = np.cumsum(counts)  # one past each text's last word
    for back in (1, 2):  # runs starting at a text's last two words cross into the next
        at = ends - back
        inside[at[(at >= 0) & (at < len(mixed))]] = False
    mixed = mixed[inside]
    return _fmix(mixed), offsets


@functools.cache
def _rensa() -> Any:
    """rensa, its thread pool made with one thread.

    rensa computes batches on a rayon thread pool. A process that forks after the pool
    started (the engine's worker processes, a test that checks twice) gets children
    whose pool threads do not exist, and the first batch there waits forever. The
    engine already runs one process per core, so rensa gets one thread: its pool is
    created under ``RAYON_NUM_THREADS=1``, set only for that first call.
    """
    import numpy as np
    import rensa

    old = os.environ.get("RAYON_NUM_THREADS")
    os.environ["RAYON_NUM_THREADS"] = "1"
    try:
        # a batch big enough to go parallel, so that the pool is made now
        rows = np.arange(1025, dtype=np.uint64)
        rensa.RMinHash.digest_matrix_from_flat_token_hashes(rows[:-1], rows, 8, SEED)
    finally:
        if old is None:
            del os.environ["RAYON_NUM_THREADS"]
        else:
            os.environ["RAYON_NUM_THREADS"] = old
    return rensa


def sketch_rows(texts: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The 32-bit MinHash rows of the 3-grams of each `normalise`d text (uint32, a row
    of 0xFFFFFFFF for a text without 3-grams, which a minimum with another row
    ignores), and the number of 3-grams of each."""
    import numpy as np

    rensa = _rensa()
    if not texts:
        return np.zeros((0, NUM_PERM), dtype=np.uint32), np.zeros(0, dtype=np.int64)
    hashes, offsets = shingle_hashes(texts)
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(hashes, offsets, NUM_PERM, SEED)
    return np.array(matrix.to_rows(), dtype=np.uint32), np.diff(offsets).astype(np.int64)


@dataclass
class Parts:
    """A batch of records read for sketching: their prompts and answers, `normalise`d."""

    prompts: list[bytes] = field(default_factory=list)
    answers: list[bytes] = field(default_factory=list)

    def add(self, prompt: str, answer: str) -> None:
        self.prompts.append(normalise(prompt))
        self.answers.append(normalise(answer))

    def __len__(self) -> int:
        return len(self.prompts)

    def sketch(self) -> tuple[np.ndarray, np.ndarray]:
        """``(sketches, has)``: uint8 (n, kinds, NUM_PERM) and bool (n, kinds)."""
        import numpy as np

        n = len(self.prompts)
        rows, grams = sketch_rows([*self.prompts, *self.answers])
        prompt, answer = rows[:n], rows[n:]
        full = np.stack([np.minimum(prompt, answer), prompt, answer], axis=1)
        p, a = grams[:n], grams[n:]
        has = np.stack([p + a >= MIN_SHINGLES, p >= MIN_SHINGLES, a >= MIN_SHINGLES], axis=1)
        return (full & 0xFF).astype(np.uint8), has


def estimate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of b-bit sketch rows ``a`` and ``b`` (same shape)."""
    import numpy as np

    equal = (a == b).mean(axis=-1)
    return np.clip((equal - 1 / 256) / (1 - 1 / 256), 0.0, 1.0)


class SketchStore:
    """Sketches of every record in order, in a temporary file, and what memory keeps:
    per record an 8-byte digest, its length in characters and which kinds it has."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="sftprep-sketches-")  # noqa: SIM115
        self.digests = array("Q")
        self.sizes = array("I")
        self.has = array("B")  # bit k: the record has a sketch of KINDS[k]
        self.count = 0

    def add(self, sketches: np.ndarray, has: np.ndarray, digests: Sequence[int],
            sizes: Sequence[int]) -> None:  # fmt: skip
        """Append a batch (``sketches`` uint8 (n, kinds, NUM_PERM), ``has`` bool (n, kinds))."""
        import numpy as np

        self._file.seek(0, 2)
        self._file.write(np.ascontiguousarray(sketches, dtype=np.uint8).tobytes())
        bits = (has.astype(np.uint8) << np.arange(len(KINDS), dtype=np.uint8)).sum(axis=1)
        self.has.frombytes(bits.astype(np.uint8).tobytes())
        self.digests.extend(digests)
        clipped = np.minimum(np.asarray(sizes, dtype=np.int64), 0xFFFFFFFF)
        self.sizes.frombytes(clipped.astype(np.uint32).tobytes())
        self.count += len(digests)

    def matrix(self, kind: int) -> np.ndarray:
        """The uint8 (count, NUM_PERM) sketches of one kind, read back from the file."""
        import numpy as np

        out = np.empty((self.count, NUM_PERM), dtype=np.uint8)
        row = len(KINDS) * NUM_PERM
        self._file.seek(0)
        step = 1 << 14
        for start in range(0, self.count, step):
            n = min(step, self.count - start)
            chunk = np.frombuffer(self._file.read(n * row), dtype=np.uint8)
            out[start : start + n] = chunk.reshape(n, len(KINDS), NUM_PERM)[:, kind]
        return out

    def has_kind(self, kind: int) -> np.ndarray:
        import numpy as np

        return (np.frombuffer(self.has, dtype=np.uint8) >> kind & 1).astype(bool)

    def close(self) -> None:
        self._file.close()


@dataclass
class Clusters:
    """Connected components of near-duplicate pairs: ``label[i]`` is the first record of
    record ``i``'s cluster (``i`` itself when alone)."""

    label: np.ndarray

    def groups(self) -> dict[int, list[int]]:
        """Every cluster of two or more records: first record -> its members, in order."""
        import numpy as np

        n = len(self.label)
        counts = np.bincount(self.label, minlength=n)
        members = np.nonzero(counts[self.label] > 1)[0]
        out: dict[int, list[int]] = {}
        for i in members.tolist():
            out.setdefault(int(self.label[i]), []).append(i)
        return out


def cluster(store: SketchStore, threshold: float = DEFAULT_THRESHOLD,
            kinds: Iterable[int] = range(len(KINDS))) -> Clusters:  # fmt: skip
    """The clusters of ``store``'s records whose sketches of a kind reach ``threshold``.

    Band by band, kind by kind: the records sharing a band are candidates, a candidate
    pair already in one cluster is skipped, the others are verified and joined. So a
    large cluster (thousands of copies of one template) costs one pass over its members
    per band, not a pair for every two of them.
    """
    import numpy as np

    label = np.arange(store.count, dtype=np.int64)
    for kind in kinds:
        sk, has = store.matrix(kind), store.has_kind(kind)
        rows = np.nonzero(has)[0]
        if len(rows) < 2:
            continue
        every = len(rows) == len(sk)
        padded = np.zeros((len(rows), 8), dtype=np.uint8)  # one band's bytes, as uint64 keys
        for band in range(BANDS):
            columns = slice(band * BAND_ROWS, (band + 1) * BAND_ROWS)
            padded[:, :BAND_ROWS] = sk[:, columns] if every else sk[rows, columns]
            a, b = _band_pairs(padded.view(np.uint64).ravel(), rows)
            apart = label[a] != label[b]
            a, b = a[apart], b[apart]
            if not len(a):
                continue
            keep = np.concatenate([
                estimate(sk[a[i : i + 65536]], sk[b[i : i + 65536]]) >= threshold
                for i in range(0, len(a), 65536)
            ])  # fmt: skip
            if keep.any():
                label = _components(label, a[keep], b[keep])
        del sk
    return Clusters(label)


def _band_pairs(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (record numbers) among ``rows`` sharing a band key: in each run of
    equal keys, every member with the run's first member and with the one before it
    (linear in the run, enough to connect it)."""
    import numpy as np

    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    same = sorted_keys[1:] == sorted_keys[:-1]
    if not same.any():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    start = np.r_[True, ~same]
    head = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    later = np.nonzero(~start)[0]
    first = np.concatenate([head[later], later - 1])
    second = np.concatenate([later, later])
    x, y = rows[order[first]], rows[order[second]]
    return np.minimum(x, y), np.maximum(x, y)


def _components(label: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``label`` (each node's root: the smallest member of its component) with the edges
    ``a``-``b`` added."""
    import numpy as np

    label = label.copy()
    while True:
        low = np.minimum(label[a], label[b])
        before = label.copy()
        np.minimum.at(label, label[a], low)  # the roots take the smaller root
        np.minimum.at(label, label[b], low)
        np.minimum.at(label, a, low)
        np.minimum.at(label, b, low)
        while True:  # pointer jumping: every node straight to its current root
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(label, before):
            return label


def ngram_keys(tokens: Sequence[str], n: int = NGRAM) -> set[bytes]:
    """8-byte hashes of every ``n``-gram of ``tokens`` (empty when shorter)."""
    return {digest(" ".join(tokens[i : i + n]), size=8) for i in range(len(tokens) - n + 1)}


@dataclass
class NgramIndex:
    """The 13-grams of reference texts (a benchmark's test set), for contamination.

    A reference text shorter than 13 words (but of at least 8) is indexed whole, at its
    own length. ``where[i]`` names reference text ``i`` (path, line, record).
    """

    grams: dict[bytes, int] = field(default_factory=dict)
    short: dict[int, dict[bytes, int]] = field(default_factory=dict)
    where: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    short_refs: set[int] = field(default_factory=set)

    def add(self, text: str, where: tuple[str, int | None, int | None]) -> None:
        tokens = plain_words(text)
        ref = len(self.where)
        self.where.append(where)
        if len(tokens) >= NGRAM:
            for key in ngram_keys(tokens):
                self.grams.setdefault(key, ref)
        elif len(tokens) >= NGRAM_MIN:
            self.short_refs.add(ref)
            for key in ngram_keys(tokens, len(tokens)):
                self.short.setdefault(len(tokens), {}).setdefault(key, ref)

    def matches(self, text: str) -> dict[int, int]:
        """Reference text -> number of its n-grams found in ``text``."""
        tokens = plain_words(text)
        found: dict[int, int] = {}
        if self.grams:
            for key in ngram_keys(tokens):
                ref = self.grams.get(key)
                if ref is not None:
                    found[ref] = found.get(ref, 0) + 1
        for n, table in self.short.items():
            for key in ngram_keys(tokens, n):
                ref = table.get(key)
                if ref is not None:
                    found[ref] = found.get(ref, 0) + 1
        return found

    def __len__(self) -> int:
        return len(self.where)


def describe(where: tuple[str, int | None, int | None], here_path: str) -> str:
    """``record 3 (line 4)``, with ``of FILE`` when in another file, as `duplicate` says it."""
    path, line, record = where
    text = f"record {record}" if line is None else f"record {record} (line {line})"
    return text if path == here_path else f"{text} of {path}"


def digest8(digest: bytes) -> int:
    """The first 8 bytes of a record digest as an integer."""
    return int.from_bytes(digest[:8], "little")


def word_diff(base: str, text: str, limit: int = 300) -> list[tuple[str, bool]]:
    """``text`` (its first ``limit`` characters) as runs of words, each marked True when
    it is not in ``base`` (in order): what the side-by-side cluster views highlight.

    >>> word_diff("Anna has 3 apples", "Ben has 3 pears")
    [('Ben', True), ('has 3', False), ('pears', True)]
    """
    import difflib

    a, b = base[:limit].split(), text[:limit].split()
    runs: list[tuple[str, bool]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, _, _, j1, j2 in matcher.get_opcodes():
        if j2 > j1:
            runs.append((" ".join(b[j1:j2]), op != "equal"))
    return runs
