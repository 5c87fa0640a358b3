"""Build and repair datasets: one module per command.

- `sftprep.transform.new`: starter datasets per task (`new_dataset`, templates in `tasks/`)
- `sftprep.transform.convert`: between formats and into a target's shape (`convert`)
- `sftprep.transform.fix`: safe, explained repairs with a rejects file (`fix`)
- `sftprep.transform.split`: deterministic, leak-free splits (`split`)

Each streams its input once (`split` twice), writes outputs atomically, never
modifies the input, and returns a summary whose counts reconcile.

>>> from sftprep.transform.convert import convert
>>> convert("examples/qa_dataset.jsonl", "chat.jsonl", to="messages").rejected
0
"""
