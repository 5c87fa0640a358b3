"""sftprep: prepare and validate instruction fine-tuning (SFT) datasets.

>>> import sftprep
>>> sftprep.check("examples/qa_dataset.jsonl").summary["errors"]
0
>>> [c.messages[0].role for c in sftprep.load("examples/qa_dataset.jsonl")][:2]
['user', 'user']
>>> sftprep.count_tokens("examples/qa_dataset.jsonl").to_dict()["tokens"]["total"]
999
>>> sftprep.estimate_training([812, 640, 1_024], provider="openai",
...                           model="gpt-4o-mini-2024-07-18").api["cost_usd"]
0.1857

`count_tokens`, `estimate_training`, `convert`, `fix`, `split` and `new_dataset` are imported on
first use, so ``import sftprep`` stays light (no tokenizer, pyarrow or matplotlib).
"""

from __future__ import annotations

import importlib
from typing import Any

from sftprep.check import check
from sftprep.findings import Finding, Report, Severity
from sftprep.model import Conversation, Location, Message, ToolCall
from sftprep.pipeline import load

__version__ = "0.1.0"

# public name -> module that defines it, imported on first access
_LAZY = {
    "count_tokens": "sftprep.count",
    # not `estimate`: importing the subpackage sftprep.estimate would shadow it
    "estimate_training": "sftprep.estimate",
    "convert": "sftprep.transform.convert",
    "fix": "sftprep.transform.fix",
    "split": "sftprep.transform.split",
    "new_dataset": "sftprep.transform.new",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        return getattr(module, "estimate" if name == "estimate_training" else name)
    raise AttributeError(f"module 'sftprep' has no attribute {name!r}")


__all__ = [
    "Conversation",
    "Finding",
    "Location",
    "Message",
    "Report",
    "Severity",
    "ToolCall",
    "check",
    "convert",
    "count_tokens",
    "estimate_training",
    "fix",
    "load",
    "new_dataset",
    "split",
]
