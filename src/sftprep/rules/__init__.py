"""Rules: each module registers a family of rules (see `sftprep.rules.base`).

``content``, ``conversation``, ``tools``, ``quality``, ``dataset`` and ``near``
(near-duplicates, leakage, contamination) check records; ``tokens`` needs a tokenizer.
The ids readers and format adapters emit are documented in `sftprep.catalog.structure`.
Every module here is imported the first time the catalogue is asked for all rules
(`sftprep.catalog.list_rules`), so a new family is one new module.
"""
