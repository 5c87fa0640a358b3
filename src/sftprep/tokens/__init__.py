"""Tokens exactly as the trainer sees them: tokenizer backends, chat templates, masks, counts.

>>> from sftprep.tokens import get_tokenizer
>>> get_tokenizer("cl100k_base").count("hello world")
2

A tokenizer subclasses `BaseTokenizer` (five members written, the rest derived).
Backends, each registering itself (`register_backend`): `tiktoken_backend` (OpenAI
encodings, cookbook chat convention) and `hf_backend` (Hugging Face tokenizers with
their chat template), the reference tokenizers; `fast` gives each a twin that
tokenizes with quicktok's C++ BPE (`quicktok_tiktoken`, `quicktok_hf`) once it has
reproduced the reference on the built-in corpus (`selfcheck`). `tally` keeps a
shard's per-record counts and `counting` a dataset's `TokenStats`. Counting a whole
dataset on every core is `sftprep.count`, on the engine.
"""

from sftprep.tokens.base import (
    DEFAULT_TOKENIZER,
    AssistantTurn,
    BaseTokenizer,
    Counts,
    RenderError,
    Rendering,
    Tokenizer,
    get_tokenizer,
    list_backends,
    register_backend,
)
from sftprep.tokens.counting import RecordCount, TokenStats

__all__ = [
    "DEFAULT_TOKENIZER",
    "AssistantTurn",
    "BaseTokenizer",
    "Counts",
    "RecordCount",
    "RenderError",
    "Rendering",
    "TokenStats",
    "Tokenizer",
    "get_tokenizer",
    "list_backends",
    "register_backend",
]
