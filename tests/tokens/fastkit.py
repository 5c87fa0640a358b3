"""Helpers for the fast-backend tests: an offline o200k_base reference, quicktok hidden.

tiktoken downloads ``o200k_base.tiktoken`` once and keeps it in ``TIKTOKEN_CACHE_DIR``
under the sha1 of its URL; these tests may not download. quicktok bundles the same
vocabulary, so `write_o200k_cache` writes the rank file from it, and tiktoken itself
checks the file against the official sha256 before using it (a wrong byte and tiktoken
refuses the cache): the reference is tiktoken with OpenAI's own ranks.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"

# Run python with quicktok hidden: ``import quicktok`` raises ImportError, as if it were
# not installed (a fresh interpreter, so nothing imported it before).
HIDE_QUICKTOK = "import sys; sys.modules['quicktok'] = None; "


def write_o200k_cache(directory: Path) -> Path:
    """``directory`` as a tiktoken cache holding o200k_base (from quicktok's vocabulary)."""
    import quicktok

    from sftprep.tokens.tiktoken_backend import ENCODING_URL

    url = ENCODING_URL.format(name="o200k_base")  # tiktoken's cache key: the sha1 of the URL
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / hashlib.sha1(url.encode()).hexdigest()
    if not path.exists():
        enc = quicktok.get_encoding("o200k_base")
        size = len(enc.token_byte_values())
        lines = (
            base64.b64encode(enc.decode_single_token_bytes(i)) + b" %d\n" % i for i in range(size)
        )
        data = b"".join(lines)
        assert hashlib.sha256(data).hexdigest() == O200K_SHA256, "not OpenAI's o200k_base"
        path.write_bytes(data)
    return directory
