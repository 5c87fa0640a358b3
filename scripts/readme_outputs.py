"""Re-run every ``$ sftprep ...`` command in README.md and put its real output back.

Runs in a scratch folder holding links to ``examples/`` and the real datasets of
``../shared/data/real/`` (the README names them by file name), 100 columns wide.
The ``--json`` example block is regenerated with its findings cut to the first one.

    python scripts/readme_outputs.py            # rewrite README.md
    python scripts/readme_outputs.py --check    # exit 1 when README.md is out of date
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
SFTPREP = Path(sys.executable).with_name("sftprep")
BLOCK = re.compile(r"```\n(\$ sftprep .*?)```\n", re.S)
JSON_BLOCK = re.compile(
    r"(`--json` prints exactly one document[^\n]*\n\n```json\n)(.*?)(```)", re.S
)


def run(command: str, cwd: Path) -> str:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    args = command.split()
    args[0] = str(SFTPREP)
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    return (done.stdout + done.stderr).replace(str(cwd), "/home/you/data")


def scratch() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="sftprep-readme-"))
    (tmp / "examples").symlink_to(ROOT / "examples")
    for path in REAL.iterdir():
        (tmp / path.name).symlink_to(path)
    shared = tmp.parent / "shared"  # `../shared/tokenizers/...` as the README writes it
    if not shared.exists():
        shared.symlink_to(ROOT.parent / "shared")
    return tmp


def _shorten(output: str) -> str:
    """A rule's explanation up to its first section: its example's fence would end the block."""
    head, found, _ = output.partition("\n**Why is this bad?**")
    return head + "\n...\n" if found else output


def regenerate(text: str, cwd: Path) -> str:
    def block(match: re.Match[str]) -> str:
        commands = [line[2:] for line in match.group(1).splitlines() if line.startswith("$ ")]
        out = "".join(f"$ {c}\n" + _shorten(run(c, cwd)) for c in commands)
        return "```\n" + out + "```\n"

    text = BLOCK.sub(block, text)
    doc = json.loads(run("sftprep check examples/qa_flawed.jsonl --json", cwd))
    doc["findings"] = doc["findings"][:1]
    return JSON_BLOCK.sub(lambda m: m.group(1) + json.dumps(doc, indent=1, ensure_ascii=False)
                          + "\n" + m.group(3), text)  # fmt: skip


def main() -> int:
    readme = ROOT / "README.md"
    old = readme.read_text(encoding="utf-8")
    new = regenerate(old, scratch())
    if "--check" in sys.argv:
        return 0 if new == old else 1
    readme.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
