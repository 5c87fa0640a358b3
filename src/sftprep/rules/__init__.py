"""Rules: each module registers a family of rules (see `sftprep.rules.base`).

``structure`` documents the ids readers and format adapters emit; ``content``,
``conversation``, ``tools``, ``quality``, ``dataset`` and
``near`` (near-duplicates, leakage, contamination) check records; ``tokens`` needs
a tokenizer.
"""

from sftprep.rules import (  # noqa: F401
    content,
    conversation,
    coverage,
    datakind,
    dataset,
    escapes,
    leftovers,
    media,
    near,
    quality,
    structure,
    tokens,
    tools,
)
