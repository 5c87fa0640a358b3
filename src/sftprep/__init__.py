"""sftprep: prepare and validate instruction fine-tuning (SFT) datasets.

>>> import sftprep
>>> report = sftprep.check("examples/qa_dataset.jsonl")
>>> report.summary["records"], report.summary["errors"]
(12, 0)
>>> [c.roles for c in sftprep.load("examples/qa_dataset.jsonl")][0]
('user', 'assistant')
>>> stats = sftprep.count_tokens("examples/qa_dataset.jsonl", workers=1, progress=False)
>>> stats.records
12
>>> e = sftprep.estimate_training([812, 640, 1_024], model="gpt-4o-mini-2024-07-18", epochs=3)
>>> e.api["billed_tokens"], e.api["cost_usd"]
(7428, 0.0223)

Writing (each to a new file; an input is never overwritten):

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = lambda name: os.path.join(folder, name)
>>> sftprep.new_dataset("qa", path("qa.jsonl")).records
12
>>> sftprep.convert(path("qa.jsonl"), path("chat.jsonl"), to="messages").records_out
12
>>> fixed = sftprep.fix(path("chat.jsonl"), path("fixed.jsonl"), rejects=path("rejects.jsonl"))
>>> fixed.records_out, fixed.rejected
(12, 0)
>>> sftprep.split(path("chat.jsonl"), path("splits"), val_fraction=0.25, seed=1).counts
{'train': 9, 'validation': 3}
"""

from __future__ import annotations

from sftprep.check import check
from sftprep.count import count_tokens
from sftprep.estimate import estimate as estimate_training
from sftprep.findings import Finding, Report, Severity
from sftprep.model import Conversation, Location, Message, ToolCall
from sftprep.pipeline import load
from sftprep.transform.convert import convert
from sftprep.transform.fix import fix
from sftprep.transform.new import new_dataset
from sftprep.transform.split import split

__version__ = "0.1.0"

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
