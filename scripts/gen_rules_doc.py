"""Write docs/rules.md (from the rule docstrings) and docs/reference.md (from the
registries: formats, targets, tokenizer backends, tasks, readers, writers, repairs).

Run after adding or editing a unit:  python scripts/gen_rules_doc.py
``--check``: exit 1 if either page is stale. ``--out DIR``: write the pages there instead
of docs/ (a plugin's own docs: set SFTPREP_PLUGINS and its units are included).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sftprep.report.reference import units_markdown
from sftprep.rules.docs import rules_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = {"rules.md": rules_markdown, "reference.md": units_markdown}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is stale")
    parser.add_argument("--out", type=Path, default=DOCS, help="folder to write (default docs/)")
    args = parser.parse_args(argv)
    if not args.check:
        args.out.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, render in PAGES.items():
        doc, text = args.out / name, render()
        if args.check:
            current = doc.read_text(encoding="utf-8") if doc.exists() else ""
            if current != text:
                stale.append(doc)
            continue
        doc.write_text(text, encoding="utf-8")
        print(f"wrote {doc}")
    for doc in stale:
        print(f"{doc} is out of date: run python scripts/gen_rules_doc.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
