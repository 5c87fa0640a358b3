"""The fast twin of a Hugging Face tokenizer: the model's own chat template, quicktok's BPE.

Rendering stays transformers' ``apply_chat_template``, and the trainable mask is found
as `HFTokenizer` finds it (the same code, inherited). Only the tokenizing changes: the
rendered text is split on the tokenizer's added tokens (``<|im_start|>``, ``<|eot_id|>``,
``<tool_call>``...) the way the tokenizers library splits it (leftmost, longest first),
each added token is its own id, and every piece between them goes to quicktok. So the
template's special tokens, and special-token text inside a message, count exactly as
transformers counts them.

**When quicktok serves a tokenizer** (`build`; otherwise the reference counts): a BPE
model without byte fallback or dropout; no normalizer, or NFC; a pre-tokenizer made of
one ``Split`` on a grammar quicktok compiles (Llama-3's, Qwen's) and a ``ByteLevel``
without prefix space; no offset trimming after it; added tokens matched on the raw text
(not normalized, no strip, not single-word); and a vocabulary equal, id for id, to a
quicktok vocabulary, with merges in rank order, so that merging by rank merges what the
merge list merges. The vocabulary is quicktok's bundled one for the grammar (``llama3``,
``qwen3``), or else quicktok's import of the tokenizer.json (quicktok verifies it against
the tokenizers library; kept in ``~/.cache/sftprep/quicktok``). The self-check of
`sftprep.tokens.fast` then compares ids and masks on the built-in corpus.

**Where each token sits.** The mask needs the characters of each token, as the tokenizers
library's offsets give them: `PieceEncoding` computes them from the tokens' byte
lengths (a character split over two tokens belongs to both). A text that NFC would
change is tokenized by the reference instead: its offsets map normalized text back.
So is text with a code point Unicode 14.0 does not assign, or a lone surrogate
(`sftprep.tokens.unassigned`): the Unicode tables of the two libraries may disagree.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import operator
import os
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from functools import cache
from itertools import accumulate, islice
from pathlib import Path
from typing import Any

from sftprep.tokens.base import library_version
from sftprep.tokens.hf_backend import HFTokenizer
from sftprep.tokens.unassigned import Unassigned

# The pre-tokenizer patterns quicktok compiles by hand, as tokenizer.json files spell them,
# with the normalizer each needs -> quicktok's bundled vocabulary of that grammar.
LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
GRAMMARS = {
    (LLAMA3_PATTERN, "none"): "llama3",  # Llama 3.x, DeepSeek-R1 distills of Llama
    (QWEN_PATTERN, "NFC"): "qwen3",  # Qwen2, Qwen2.5, Qwen3
}


class PieceEncoding:
    """The ids of one text and where each token sits, shaped like a tokenizers
    ``Encoding`` for what the mask code asks of one (``ids``, ``char_to_token``,
    ``token_to_chars``; characters counted in the original text).

    ``starts`` holds the first character and the first token of each piece (the text
    between added tokens, or one added token). A token's bytes are added up within its
    piece only, when first asked: the mask looks at a few tokens near the start of an
    assistant turn and at its end-of-turn token, never at the whole text.
    """

    __slots__ = ("_ascii", "_chars", "_ends", "_lengths", "_raw", "_tokens", "ids", "text")

    def __init__(
        self, text: str, ids: list[int], starts: list[tuple[int, int]], lengths: Sequence[int]
    ) -> None:
        self.text = text
        self.ids = ids
        self._chars = [char for char, _ in starts]
        self._tokens = [token for _, token in starts]
        self._lengths = lengths
        self._ascii = text.isascii()
        self._raw: bytes | None = None
        self._ends: dict[int, list[int]] = {}  # piece -> the byte where each of its tokens ends

    def char_to_token(self, char: int) -> int | None:
        """The token holding character ``char`` (the first, when two share it)."""
        if not 0 <= char < len(self.text):
            return None
        piece = bisect_right(self._chars, char) - 1
        token = self._tokens[piece] + bisect_right(self._piece_ends(piece), self._byte(char))
        return token if token < len(self.ids) else None

    def token_to_chars(self, token: int) -> tuple[int, int]:
        """The characters token ``token`` covers: every character one of its bytes is of."""
        piece = bisect_right(self._tokens, token) - 1
        ends, first = self._piece_ends(piece), self._tokens[piece]
        start = ends[token - first - 1] if token > first else self._byte(self._chars[piece])
        end = ends[token - first]
        if self._ascii:
            return start, end
        return self._chars_before(start + 1) - 1, self._chars_before(end)

    def _piece_ends(self, piece: int) -> list[int]:
        ends = self._ends.get(piece)
        if ends is None:
            first = self._tokens[piece]
            last = self._tokens[piece + 1] if piece + 1 < len(self._tokens) else len(self.ids)
            lengths = map(self._lengths.__getitem__, self.ids[first:last])
            ends = self._ends[piece] = list(
                accumulate(lengths, initial=self._byte(self._chars[piece]))
            )[1:]
        return ends

    def _byte(self, char: int) -> int:
        """The byte offset of character ``char``."""
        return char if self._ascii else len(self.text[:char].encode("utf-8"))

    def _chars_before(self, byte: int) -> int:
        """How many characters start before byte offset ``byte``."""
        if self._raw is None:
            self._raw = self.text.encode("utf-8")
        # A character cut at ``byte`` decodes to one U+FFFD: it is counted, as it starts before.
        return len(self._raw[:byte].decode("utf-8", "replace"))


class FastHFTokenizer(HFTokenizer):
    """A Hugging Face tokenizer whose text quicktok tokenizes (see the module docstring)."""

    backend = "fast"

    def __init__(
        self,
        reference: HFTokenizer,
        quick: Any,
        added: dict[str, int],
        *,
        nfc: bool,
        lengths: list[int],
    ) -> None:
        super().__init__(reference.spec, reference.tokenizer, template=reference.template_option)
        self.quick = quick
        self._added = added
        # Longest first: at one position the regex takes the first alternative that matches.
        self._split = re.compile("|".join(map(re.escape, sorted(added, key=len, reverse=True))))
        self._nfc = nfc
        self._count_text = quick.count
        self._encode_text = quick.encode_ordinary
        self._lengths = lengths
        self._unassigned = Unassigned()

    def library(self) -> str:
        return library_version("quicktok-v1")

    def encode(self, text: str) -> list[int]:
        if self._unassigned.holds(text):
            return super().encode(text)
        return self._ids(text)[0]

    def count(self, text: str) -> int:
        if self._unassigned.holds(text):
            return super().count(text)
        return self._count(text)

    def _encoding(self, text: str) -> Any:
        if self._unassigned.holds(text) or (
            self._nfc and not unicodedata.is_normalized("NFC", text)
        ):
            return super()._encoding(text)  # the reference's (offsets through normalization)
        return PieceEncoding(text, *self._ids(text), self._lengths)

    def _ids(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """The ids of ``text`` (each added token's, quicktok's for the text between them)
        and the first character and first token of every piece."""
        ids: list[int] = []
        starts: list[tuple[int, int]] = []
        encode, added = self._encode_text, self._added
        pos = 0
        for match in self._split.finditer(text):
            if match.start() > pos:
                starts.append((pos, len(ids)))
                ids.extend(encode(text[pos : match.start()]))
            starts.append((match.start(), len(ids)))
            ids.append(added[match.group()])
            pos = match.end()
        if pos < len(text):
            starts.append((pos, len(ids)))
            ids.extend(encode(text[pos:]))
        return ids, starts

    def _count(self, text: str) -> int:
        count, n, pos = self._count_text, 0, 0
        for match in self._split.finditer(text):
            n += 1 + (count(text[pos : match.start()]) if match.start() > pos else 0)
            pos = match.end()
        return n + (count(text[pos:]) if pos < len(text) else 0)


# --- when quicktok serves a tokenizer -----------------------------------------------------


class Refused(Exception):
    """Why quicktok cannot reproduce a tokenizer (the message says it)."""


def build(reference: HFTokenizer, quicktok: Any) -> FastHFTokenizer | str:
    """The fast twin of ``reference``, or why quicktok cannot serve it."""
    import orjson

    backend = reference._fast
    try:
        if getattr(backend, "encode_special_tokens", False):
            raise Refused("the tokenizer encodes special tokens as text")
        text = backend.to_str()
        spec = orjson.loads(text)
        quick = quicktok.get_encoding(grammar(spec))
        added = added_tokens(backend)
        try:
            tokens = vocabulary(spec["model"], quick)
        except Refused:  # a vocabulary quicktok does not bundle, on a grammar it knows
            quick = imported(text, quicktok)
            tokens = vocabulary(spec["model"], quick)
        merge_order(spec["model"])
    except Refused as why:
        return str(why)
    nfc = _normalizer(spec.get("normalizer")) == "NFC"
    return FastHFTokenizer(reference, quick, added, nfc=nfc, lengths=token_lengths(tokens, added))


def imported(text: str, quicktok: Any) -> Any:
    """quicktok's own import of the tokenizer.json ``text``, which it verifies against the
    tokenizers library before writing it; kept in the cache (`cache_dir`) under the hash
    of the text, so it is imported once (raises `Refused` when quicktok refuses it)."""
    name = "sftprep-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    directory = cache_dir()
    if not (directory / f"{name}.enc").is_file():  # written last, once verified
        directory.mkdir(parents=True, exist_ok=True)
        source = directory / f"{name}.tokenizer.json"
        source.write_text(text, encoding="utf-8")
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # it reports on stdout
                quicktok.import_tokenizer(str(source), name, data_dir=str(directory))
        except Exception as exc:  # ImportRefused, a verification that failed, I/O
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise Refused(f"quicktok cannot import it ({reason})") from None
        finally:
            source.unlink(missing_ok=True)
    return quicktok.Tokenizer(name, str(directory))


def cache_dir() -> Path:
    """Where imported vocabularies are kept: ``$XDG_CACHE_HOME/sftprep/quicktok``
    (``~/.cache/sftprep/quicktok`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sftprep" / "quicktok"


def grammar(spec: dict[str, Any]) -> str:
    """quicktok's vocabulary for this tokenizer.json's model, normalizer and pre-tokenizer
    (raises `Refused`)."""
    model = spec.get("model") or {}
    if model.get("type") != "BPE" or model.get("byte_fallback") or model.get("dropout"):
        raise Refused("not a byte-level BPE model without byte fallback or dropout")
    if model.get("continuing_subword_prefix") or model.get("end_of_word_suffix"):
        raise Refused("the BPE model has a subword prefix or suffix")
    normalizer = _normalizer(spec.get("normalizer"))
    pattern = _split_pattern(spec.get("pre_tokenizer"))
    if pattern is None:
        raise Refused("its pre-tokenizer is not one Split followed by ByteLevel")
    if _trims_offsets(spec.get("post_processor")):
        raise Refused("its post-processor trims offsets")
    name = GRAMMARS.get((pattern, normalizer))
    if name is None:
        raise Refused(f"quicktok has no grammar for its pre-tokenizer ({normalizer} normalizer)")
    return name


def _normalizer(node: Any) -> str:
    if node is None or (node.get("type") == "Sequence" and not node.get("normalizers")):
        return "none"
    return str(node.get("type"))


def _split_pattern(node: Any) -> str | None:
    """The regex of a ``Sequence[Split(regex, Isolated), ByteLevel(no prefix space)]``."""
    if not node or node.get("type") != "Sequence" or len(node.get("pretokenizers", ())) != 2:
        return None
    split, byte_level = node["pretokenizers"]
    if split.get("type") != "Split" or split.get("behavior") != "Isolated" or split.get("invert"):
        return None
    if byte_level.get("type") != "ByteLevel" or byte_level.get("add_prefix_space"):
        return None
    if byte_level.get("use_regex"):
        return None
    regex = (split.get("pattern") or {}).get("Regex")
    return regex if isinstance(regex, str) else None


def _trims_offsets(node: Any) -> bool:
    if not node:
        return False
    if node.get("type") == "Sequence":
        return any(_trims_offsets(n) for n in node.get("processors", ()))
    return node.get("type") == "ByteLevel" and bool(node.get("trim_offsets"))


def added_tokens(backend: Any) -> dict[str, int]:
    """Each added token's text and id (raises `Refused` when they cannot be split off the
    plain way)."""
    added: dict[str, int] = {}
    for token, entry in backend.get_added_tokens_decoder().items():
        if entry.normalized or entry.lstrip or entry.rstrip or entry.single_word:
            raise Refused(f"added token {entry.content!r} is normalized, stripped or single-word")
        added[str(entry.content)] = int(token)
    if not added:
        raise Refused("the tokenizer has no added tokens")
    return added


def vocabulary(model: dict[str, Any], quick: Any) -> list[bytes]:
    """The bytes of each id, when the tokenizer.json model's vocabulary is quicktok's id
    for id (raises `Refused` where they differ)."""
    vocab: dict[str, int] = model.get("vocab") or {}
    size = len(vocab)
    try:
        tokens: list[bytes] = list(map(quick.decode_single_token_bytes, range(size)))
    except KeyError:  # an id without a token: the slow way, to say which
        tokens = [_token_bytes(quick, token) for token in range(size)]
    if _token_bytes(quick, size) and not quick.is_special_token(size):
        raise Refused(f"quicktok's {quick.name} has more than its {size} tokens")
    texts = [""] * size
    for text, token in vocab.items():
        if 0 <= token < size:
            texts[token] = text
    # ByteLevel writes one character per byte: the same lengths, id by id, and the same
    # bytes end to end mean the same token for every id (one C-speed pass, not 150k).
    try:
        joined = "".join(texts).translate(_byte_level_alphabet()).encode("latin-1")
    except UnicodeEncodeError:  # a character outside ByteLevel's alphabet
        joined = b""
    if list(map(len, texts)) != list(map(len, tokens)) or joined != b"".join(tokens):
        _raise_first_difference(vocab, tokens, quick.name)
    return tokens


def _raise_first_difference(vocab: dict[str, int], tokens: list[bytes], name: str) -> None:
    to_bytes = _byte_level_alphabet()
    for text, token in vocab.items():
        try:
            same = 0 <= token < len(tokens) and tokens[token] == text.translate(to_bytes).encode(
                "latin-1"
            )
        except UnicodeEncodeError:
            same = False
        if not same:
            raise Refused(f"token {token} ({text!r}) is not quicktok's {name} token {token}")
    raise Refused(f"its vocabulary leaves ids of quicktok's {name} out")


def merge_order(model: dict[str, Any]) -> None:
    """Raises `Refused` where the merges stop following the ranks of what they make
    (merging by rank would then merge otherwise than the merge list)."""
    vocab: dict[str, int] = model.get("vocab") or {}
    merges = model.get("merges") or []
    # "a b" (older files) or ["a", "b"]; ByteLevel tokens hold no space
    made = (m.replace(" ", "", 1) if isinstance(m, str) else "".join(m) for m in merges)
    ranks = [vocab.get(token, -1) for token in made]
    # equal is fine: two merges may make the same token
    if all(map(operator.le, ranks, islice(ranks, 1, None))) and -1 not in ranks:
        return
    previous = -1
    for merge, rank in zip(merges, ranks, strict=True):
        if rank < previous or rank < 0:
            raise Refused(f"its merges are not in rank order at {merge!r}")
        previous = rank


def token_lengths(tokens: list[bytes], added: dict[str, int]) -> list[int]:
    """Bytes of every id: the vocabulary's tokens, then the added tokens' text."""
    lengths = [len(t) for t in tokens]
    lengths.extend([0] * (max(added.values(), default=0) + 1 - len(lengths)))
    for content, token in added.items():
        lengths[token] = len(content.encode("utf-8"))
    return lengths


def _token_bytes(quick: Any, token: int) -> bytes:
    try:
        return bytes(quick.decode_single_token_bytes(token))
    except KeyError:
        return b""


@cache
def _byte_level_alphabet() -> dict[int, int]:
    """A `str.translate` table from ByteLevel's printable character for each byte (GPT-2's
    table) back to that byte, as a Latin-1 character."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    chars = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(chars, printable, strict=True))
