"""A new format, rule, tokenizer backend and target each come from one module, with no
other file edited.

The modules under tests/plugins/ are plugins (``SFTPREP_PLUGINS``, or the
``sftprep.plugins`` entry point group of an installed package): nothing in src/ names
them, yet they show in ``sftprep rules``, detection, ``--help`` and the generated docs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ROOT / "tests" / "plugins"
MODULES = (
    "sftprep_pingpong_format",
    "sftprep_shouting_rule",
    "sftprep_words_backend",
    "sftprep_pingpong_target",
)
NAMES = ("ping-pong", "shouting", "one token per word", "ping-platform")
RECORDS = [
    {"ping": "Hello?", "pong": "Hi, how can I help?"},
    {"ping": "Say it loud", "pong": "I AM SAYING IT LOUD"},
    {"ping": "Tell me a story", "pong": "Once upon a time there was a dataset."},
]


def sftprep(*argv: str, plugins: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PLUGINS), env.get("PYTHONPATH", "")])
    env["SFTPREP_PLUGINS"] = ",".join(MODULES) if plugins else ""
    env["COLUMNS"] = "200"
    command = argv[1:] if argv[0] == "python" else ["-m", "sftprep", *argv]
    return subprocess.run(
        [sys.executable, *command], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    path = tmp_path / "pp.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    return path


def test_nothing_in_the_package_names_the_plugins() -> None:
    for source in (ROOT / "src" / "sftprep").rglob("*"):
        if source.suffix in (".py", ".json", ".toml", ".yaml"):
            text = source.read_text(encoding="utf-8", errors="replace")
            assert not any(name in text for name in (*NAMES, *MODULES)), source


def test_the_rule_is_listed_and_documented() -> None:
    listed = sftprep("rules")
    assert listed.returncode == 0, listed.stderr
    assert "shouting" in listed.stdout and "An answer written in capital letters" in listed.stdout
    page = sftprep("rules", "shouting", "--json")
    assert json.loads(page.stdout)["severity"] == "warning"
    assert "shouting" not in sftprep("rules", plugins=False).stdout


def test_detection_rules_and_target_run_on_the_data(data: Path) -> None:
    done = sftprep("check", str(data), "--json", "--target", "ping-platform")
    assert done.returncode == 1, done.stderr  # the target's error
    doc: dict[str, Any] = json.loads(done.stdout)
    assert [(f["path"], f["format"]) for f in doc["files"]] == [(str(data), "ping-pong")]
    found = [(f["rule"], f["line"], f["field"]) for f in doc["findings"]]
    assert found == [("shouting", 2, "pong"), ("target-ping-platform", 3, "pong")]
    assert doc["summary"]["records"] == 3


def test_the_backend_counts_the_data(data: Path) -> None:
    done = sftprep("stats", str(data), "--tokenizer", "words", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    # a role token per message (prompt), then the words; the answers' words are trained
    assert doc["tokens"] == {"total": 32, "prompt": 14, "trainable": 18}
    assert (doc["tokenizer"]["name"], doc["tokenizer"]["kind"]) == ("words", "words")


def test_help_lists_the_format_backend_and_target() -> None:
    check_help = " ".join(sftprep("check", "--help").stdout.split())
    assert "ping-pong" in check_help and "ping-platform" in check_help
    assert "(tokenizer backends: tiktoken, hf, words)" in check_help
    assert "{aidaptiv,axolotl,llama-factory,mistral,openai,ping-platform" in (
        sftprep("convert", "--help").stdout
    )
    assert "ping-pong" not in sftprep("check", "--help", plugins=False).stdout


def test_generated_docs_include_them(tmp_path: Path) -> None:
    done = sftprep("python", "scripts/gen_rules_doc.py", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "### shouting" in (tmp_path / "rules.md").read_text()
    reference = (tmp_path / "reference.md").read_text()
    assert "| `ping-pong` | sft |" in reference
    assert "| `ping-platform` | Ping Platform | ping-pong | ping-pong |" in reference
    assert "| `words` | one token per word (a plugin's backend) |" in reference


def test_convert_writes_the_new_format(data: Path, tmp_path: Path) -> None:
    chat = tmp_path / "chat.jsonl"
    assert sftprep("convert", str(data), "-o", str(chat), "--to", "messages").returncode == 0
    back = tmp_path / "back.jsonl"
    done = sftprep("convert", str(chat), "-o", str(back), "--to", "ping-pong")
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in back.read_text().splitlines()] == RECORDS


def test_a_plugin_that_fails_to_import_is_one_line(data: Path) -> None:
    env = {**os.environ, "SFTPREP_PLUGINS": "no_such_plugin_module"}
    done = subprocess.run(
        [sys.executable, "-m", "sftprep", "check", str(data)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 2
    missing = "No module named 'no_such_plugin_module'"
    assert (
        done.stderr
        == f"sftprep: error: plugin 'no_such_plugin_module' failed to import: {missing}\n"
    )
    assert "Traceback" not in done.stderr


def test_a_plugin_taking_a_built_in_name_is_one_line(data: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")]),
        "SFTPREP_PLUGINS": "sftprep_clashing_format",
    }
    done = subprocess.run(
        [sys.executable, "-m", "sftprep", "check", str(data)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (done.returncode, done.stderr) == (
        2,
        "sftprep: error: format 'alpaca' is already registered "
        "(a plugin and a built-in use the same name)\n",
    )
