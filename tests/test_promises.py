"""Issue 12: every promise kept under hostile input, one test per case of the issue.

Inputs are never modified; an earlier output is never lost; every output is atomic,
created with the umask's permissions, and leaves no temporary file; bad input gives a
finding or one line and exit 0/1/2, never a traceback or "unexpected error"; nothing
blocks on a pipe.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sftprep.io.write as write
from datakit import write_jsonl
from sftprep.cli.main import main
from sftprep.errors import UsageError
from sftprep.io.write import SET_MANIFEST, TEMP_SUFFIX

REPO = Path(__file__).resolve().parents[1]
QWEN = REPO.parent / "shared" / "tokenizers" / "qwen2.5"
QA = [{"question": f"What is {i} plus {i}?", "cot_answer": f"It is {2 * i}."} for i in range(30)]
COMMANDS = ("check", "stats", "report", "estimate", "fix", "convert", "split")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> str:
    assert err.count("\n") == 1, err
    assert "Traceback" not in err and "unexpected error" not in err, err
    return err


def _with_a_broken_line(path: Path) -> Path:
    """Three good records and a line that does not parse: every command rejects it."""
    write_jsonl(path, QA[:3])
    with path.open("a") as fh:
        fh.write('{"question": "cut\n')
    return path


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith((TEMP_SUFFIX, ".tmp")))


# --- inputs and old outputs ------------------------------------------------------------------


def test_report_onto_its_own_input_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", QA)
    before = data.read_bytes()
    code, _, err = _run(capsys, "report", str(data), "-o", str(data), "--quiet")
    assert code == 2 and "is an input file" in _one_line(err)
    assert data.read_bytes() == before


def test_report_onto_a_link_to_its_input_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", QA)
    (tmp_path / "link.html").symlink_to(data)
    os.link(data, tmp_path / "hard.html")
    before = data.read_bytes()
    for out in ("link.html", "hard.html"):
        code, _, err = _run(capsys, "report", str(data), "-o", str(tmp_path / out), "--quiet")
        assert code == 2 and "is an input file" in _one_line(err)
    assert data.read_bytes() == before


def test_stats_per_record_onto_its_input_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", QA)
    before = data.read_bytes()
    code, _, err = _run(capsys, "stats", str(data), "--per-record", str(data), "--quiet")
    assert code == 2 and "--per-record" in _one_line(err) and "input" in err
    assert data.read_bytes() == before


def test_fix_with_a_long_rejects_name_writes_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 248 characters: the name fits; the temporary file beside it must fit too.
    data = write_jsonl(tmp_path / "in.jsonl", [*QA[:3], {"question": "", "cot_answer": ""}])
    keep = tmp_path / "keep.jsonl"
    rejects = tmp_path / ("r" * 242 + ".jsonl")
    code, _, err = _run(capsys, "fix", str(data), "-o", str(keep), "--rejects", str(rejects))
    assert code == 0, err
    assert len(keep.read_text().splitlines()) == 3 and len(rejects.read_text().splitlines()) == 1
    assert _temporaries(tmp_path) == []


@pytest.mark.parametrize("command", ["fix", "convert"])
def test_a_rejects_path_problem_keeps_the_old_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    data = _with_a_broken_line(tmp_path / "in.jsonl")
    keep = tmp_path / "keep.jsonl"
    keep.write_text("old output\n")
    too_long = tmp_path / ("r" * 300 + ".jsonl")
    extra = ["--to", "messages"] if command == "convert" else []
    argv = [command, str(data), "-o", str(keep), "--rejects", str(too_long), *extra]
    code, _, err = _run(capsys, *argv)
    assert code == 2 and "--rejects" in _one_line(err) and "longer than" in err
    assert keep.read_text() == "old output\n"


@pytest.mark.parametrize("command", ["fix", "convert"])
def test_rejects_failing_while_written_keeps_the_old_output(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    data = _with_a_broken_line(tmp_path / "in.jsonl")
    keep, rejects = tmp_path / "keep.jsonl", tmp_path / "rejects.jsonl"
    keep.write_text("old output\n")
    rejects.write_text("old rejects\n")
    real = write._write_jsonl

    def failing(path: Path, records: Any, opener: Any) -> int:
        if path.name == "rejects.jsonl":
            raise OSError(28, "No space left on device")
        return real(path, records, opener)

    monkeypatch.setitem(write.WRITERS._built, ".jsonl", failing)  # the built entry
    extra = ["--to", "messages"] if command == "convert" else []
    argv = [command, str(data), "-o", str(keep), "--rejects", str(rejects), *extra]
    code, _, err = _run(capsys, *argv)
    assert code == 2 and "No space left" in _one_line(err)
    assert keep.read_text() == "old output\n" and rejects.read_text() == "old rejects\n"
    assert _temporaries(tmp_path) == []


@pytest.mark.parametrize("command", ["fix", "convert", "report", "stats", "new"])
def test_an_output_onto_a_pipe_or_a_device_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", QA)
    fifo = tmp_path / "out.jsonl"
    os.mkfifo(fifo)
    for target in (str(fifo), os.devnull):
        argv = {
            "fix": ["fix", str(data), "-o", target, "--rejects", str(tmp_path / "r.jsonl")],
            "convert": ["convert", str(data), "-o", target, "--to", "messages"],
            "report": ["report", str(data), "-o", target, "--quiet"],
            "stats": ["stats", str(data), "--per-record", target, "--quiet"],
            "new": ["new", "--task", "qa", "-o", target],
        }[command]
        code, _, err = _run(capsys, *argv)
        assert code == 2 and "not a regular file" in _one_line(err), err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def _split(
    capsys: pytest.CaptureFixture[str], data: Path, out: Path, *extra: str
) -> dict[str, Any]:
    argv = ["split", str(data), "-o", str(out), "--val-fraction", "0.2", "--seed", "1"]
    code, stdout, err = _run(capsys, *argv, *extra, "--json")
    assert code == 0, err
    return json.loads(stdout)  # type: ignore[no-any-return]


def test_split_removes_the_test_file_of_an_earlier_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", QA)
    out = tmp_path / "splits"
    first = _split(capsys, data, out, "--test-fraction", "0.2")
    assert sorted(first["files"]) == ["test", "train", "validation"] and first["removed"] == []
    (out / "notes.txt").write_text("mine")
    second = _split(capsys, data, out)
    assert second["removed"] == ["test.jsonl"]
    assert sorted(p.name for p in out.iterdir()) == [
        SET_MANIFEST,
        "notes.txt",
        "train.jsonl",
        "validation.jsonl",
    ]
    records = sum(
        len((out / f).read_text().splitlines()) for f in ("train.jsonl", "validation.jsonl")
    )
    assert records == len(QA)
    manifest = json.loads((out / SET_MANIFEST).read_text())
    assert manifest["state"] == "complete" and manifest["removed"] == ["test.jsonl"]
    assert manifest["files"] == {"train.jsonl": 24, "validation.jsonl": 6}


def test_split_output_in_another_extension_replaces_the_earlier_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", QA)
    out = tmp_path / "splits"
    _split(capsys, data, out)
    second = _split(capsys, data, out, "--ext", "json")
    assert second["removed"] == ["train.jsonl", "validation.jsonl"]


def test_split_never_removes_an_input_named_like_a_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "test.json", QA)  # a JSON Lines file named test.json
    before = data.read_bytes()
    summary = _split(capsys, data, tmp_path, "--ext", "jsonl")
    assert summary["removed"] == [] and data.read_bytes() == before


def test_a_split_stopped_between_its_renames_is_refused_by_readers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", QA)
    out = tmp_path / "splits"
    _split(capsys, data, out)
    old_validation = (out / "validation.jsonl").read_bytes()
    real = write.Staged.commit

    def stop_at_validation(self: write.Staged) -> None:
        if self.path.name == "validation.jsonl":
            raise KeyboardInterrupt  # as a kill between the renames would
        real(self)

    monkeypatch.setattr(write.Staged, "commit", stop_at_validation)
    argv = ["split", str(data), "-o", str(out), "--val-fraction", "0.5", "--seed", "9"]
    assert _run(capsys, *argv)[0] == 130
    monkeypatch.undo()
    assert (out / "validation.jsonl").read_bytes() == old_validation  # new train, old validation
    assert json.loads((out / SET_MANIFEST).read_text())["state"] == "replacing"
    for target in (str(out), str(out / "train.jsonl")):
        code, _, err = _run(capsys, "check", target)
        assert code == 2 and "interrupted" in _one_line(err)
    _split(capsys, data, out)  # a new split makes the folder whole again
    assert _run(capsys, "check", str(out), "--fail-on", "never")[0] == 0
    assert _temporaries(out) == []


def test_temporary_file_of_a_killed_run_is_removed_by_the_next(tmp_path: Path) -> None:
    dead = 2**22 + 12345  # above the default pid_max: no such process
    assert not write._alive(dead)
    stale = tmp_path / f".out.jsonl.{dead}.abcd{TEMP_SUFFIX}"
    stale.write_text("half")
    other = tmp_path / f".other.jsonl.{dead}.abcd{TEMP_SUFFIX}"
    other.write_text("not ours")
    write.write_records(tmp_path / "out.jsonl", QA[:2])
    assert not stale.exists() and other.exists()


def _wait_for(predicate: Any, seconds: float = 60) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_sigterm_removes_the_temporary_file_and_keeps_the_old_output(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", QA * 4000)  # 120,000 records: seconds of work
    out = tmp_path / "out.jsonl"
    out.write_text("old\n")
    cmd = [sys.executable, "-m", "sftprep", "convert", str(data), "-o", str(out),
           "--to", "messages", "--workers", "1", "--quiet"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert _wait_for(lambda: _temporaries(tmp_path) != [] or proc.poll() is not None)
        assert proc.poll() is None, "finished before it could be stopped"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM
    assert "terminated" in _one_line(err)
    assert _temporaries(tmp_path) == [] and out.read_text() == "old\n"


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_every_output_gets_the_umask_permissions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], umask: int
) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", [*QA, {"question": "", "cot_answer": ""}])
    previous = os.umask(umask)
    try:
        runs = [
            ["fix", str(data), "-o", str(tmp_path / "f.jsonl"), "--rejects",
             str(tmp_path / "fr.jsonl")],
            ["convert", str(data), "-o", str(tmp_path / "c.csv"), "--to", "alpaca"],
            ["split", str(data), "-o", str(tmp_path / "s"), "--val-fraction", "0.2", "--seed",
             "1"],
            ["stats", str(data), "--per-record", str(tmp_path / "p.jsonl"), "--quiet"],
            ["report", str(data), "-o", str(tmp_path / "r.html"), "--quiet"],
            ["new", "--task", "qa", "-o", str(tmp_path / "n.parquet"), "--quiet"],
        ]  # fmt: skip
        for argv in runs:
            code, _, err = _run(capsys, *argv)
            assert code == 0, (argv, err)
    finally:
        os.umask(previous)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "in.jsonl"]
    assert len(written) == 9  # f, fr, c, p, r, n and the split's two files and manifest
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path.name


# --- tracebacks, hangs, internal crashes -------------------------------------------------


def _alarm(signum: int, frame: Any) -> None:
    raise TimeoutError("blocked on a pipe")


def test_a_pipe_as_input_is_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pipes").mkdir()
    fifo = tmp_path / "pipes" / "data.jsonl"
    os.mkfifo(fifo)
    runs = [
        ["check", str(fifo)],
        ["stats", str(fifo)],
        ["estimate", str(fifo)],
        ["report", str(fifo), "-o", str(tmp_path / "r.html")],
        ["fix", str(fifo), "-o", str(tmp_path / "o.jsonl"), "--rejects", str(tmp_path / "r.jsonl")],
        ["convert", str(fifo), "-o", str(tmp_path / "o.jsonl"), "--to", "messages"],
        ["split", str(fifo), "-o", str(tmp_path / "s"), "--val-fraction", "0.2", "--seed", "1"],
        ["check", str(fifo.parent)],  # a folder holding the pipe: the pipe is no dataset file
        ["estimate", str(write_jsonl(tmp_path / "d.json", QA)), "--prices", str(fifo)],
    ]
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(60)  # a hang fails the test instead of the suite
    try:
        for argv in runs:
            code, _, err = _run(capsys, *argv, "--quiet")
            assert code == 2, (argv, err)
            assert "not a regular file" in _one_line(err) or "without dataset files" in err, argv
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "sftprep", "check", str(fifo)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and "not a regular file" in _one_line(result.stderr)


class PanicException(BaseException):
    """Stands for pyo3_runtime.PanicException (a BaseException, like the real one)."""


@pytest.fixture
def panicking_tokenizer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from sftprep.tokens.tiktoken_backend import TiktokenTokenizer

    def panic(*args: Any, **kwargs: Any) -> Any:
        raise PanicException("called `Result::unwrap()` on an `Err` value: BacktrackLimit")

    for name in ("count", "encode", "count_turns", "count_conversation", "render_turns"):
        monkeypatch.setattr(TiktokenTokenizer, name, panic)
    yield


@pytest.mark.parametrize(
    "argv",
    [
        ["stats", "{data}", "--tokenizer-backend", "reference"],
        ["stats", "{data}", "--tokenizer-backend", "reference", "--json"],
        ["estimate", "{data}", "--tokenizer-backend", "reference"],
        ["check", "{data}", "--tokenizer", "cl100k_base", "--tokenizer-backend", "reference"],
        ["report", "{data}", "-o", "{tmp}/r.html", "--tokenizer-backend", "reference"],
    ],
    ids=lambda a: " ".join(a[:1] + a[2:4]),
)
def test_a_tokenizer_panic_is_a_finding_or_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    panicking_tokenizer: None,
    argv: list[str],
) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", QA[:3])
    args = [a.format(data=data, tmp=tmp_path) for a in argv]
    code, out, err = _run(capsys, *args, "--quiet")
    assert code in (0, 1, 2), err
    assert "Traceback" not in err + out and "unexpected error" not in err


def test_a_million_spaces_are_counted_or_reported(tmp_path: Path) -> None:
    # The text that made tiktoken panic (its regex overflows); Rust prints the panic on
    # the process's stderr itself, so this runs the CLI as a process.
    from sftprep.tokens.fast import import_quicktok

    rows = [{"question": " " * 1_000_000 + "what?", "cot_answer": "that"}, QA[0]]
    data = write_jsonl(tmp_path / "in.jsonl", rows)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "RUST_BACKTRACE": "1"}
    for backend in ("reference", "auto"):
        for argv in (["stats", "--json"], ["check", "--tokenizer", "cl100k_base"]):
            result = subprocess.run(
                [sys.executable, "-m", "sftprep", argv[0], str(data), *argv[1:], "--quiet",
                 "--tokenizer-backend", backend],
                capture_output=True, text=True, env=env, timeout=300, check=False,
            )  # fmt: skip
            assert result.returncode in (0, 1), result.stderr
            assert "panicked" not in result.stderr and "Traceback" not in result.stderr
            if argv[0] == "stats":
                doc = json.loads(result.stdout)
                assert doc["records"] + sum(doc["skipped"].values()) == 2
                fast = backend == "auto" and import_quicktok() is not None
                assert doc["records"] == (2 if fast else 1)  # quicktok counts it


def _tokenizer_dir(tmp_path: Path, **config: Any) -> Path:
    folder = tmp_path / "tok"
    folder.mkdir()
    base = json.loads((QWEN / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**base, **config}))
    (folder / "tokenizer.json").write_bytes((QWEN / "tokenizer.json").read_bytes())
    return folder


LOOPING = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
    "{% if m.content == 'loop' %}{% for i in range(100000) %}{% for j in range(100000) %}"
    "{% endfor %}{% endfor %}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
HUGE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
    "{% if m.content == 'huge' %}{{ 'x' * 3000000 }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.mark.skipif(not QWEN.is_dir(), reason="needs ../shared/tokenizers/qwen2.5")
@pytest.mark.parametrize(("template", "content"), [(LOOPING, "loop"), (HUGE, "huge")])
def test_a_runaway_chat_template_costs_one_record_a_finding(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    template: str,
    content: str,
) -> None:
    import sftprep.tokens.hf_backend as hf

    monkeypatch.setattr(hf, "TEMPLATE_SECONDS", 1.0)
    folder = _tokenizer_dir(tmp_path, chat_template=template)
    rows = [
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]},
        {"messages": [{"role": "user", "content": content},
                      {"role": "assistant", "content": "ok"}]},
    ]  # fmt: skip
    data = write_jsonl(tmp_path / "in.jsonl", rows)
    started = time.monotonic()
    code, out, err = _run(capsys, "check", str(data), "--tokenizer", str(folder), "--json",
                          "--quiet", "--workers", "1")  # fmt: skip
    assert time.monotonic() - started < 30
    assert code == 1, err
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "chat-template-error"]
    assert [f["record"] for f in found] == [1]
    assert "stopped" in found[0]["message"]


@pytest.mark.skipif(not QWEN.is_dir(), reason="needs ../shared/tokenizers/qwen2.5")
def test_a_tokenizer_folder_with_auto_map_never_runs_its_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sftprep.tokens import get_tokenizer

    folder = _tokenizer_dir(
        tmp_path,
        auto_map={"AutoTokenizer": ["evil.EvilTokenizer", None]},
        tokenizer_class="EvilTokenizer",
    )
    marker = tmp_path / "ran"
    (folder / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")

    prompts: list[Any] = []

    def answer_yes(*args: Any) -> str:  # what a user in a terminal might type
        prompts.append(args)
        return "y"

    monkeypatch.setattr("builtins.input", answer_yes)
    with pytest.raises(UsageError, match="cannot load tokenizer"):
        get_tokenizer(str(folder))
    assert prompts == [] and not marker.exists()  # never asked, never ran


def test_lone_surrogates_in_keys_and_roles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        '{"messages": [{"role": "us\\ud800er", "content": "hi"}, '
        '{"role": "assistant", "content": "yo"}]}',
        '{"messages": [{"role": "user", "content": "hi", "k\\udc00": 1}, '
        '{"role": "assistant", "content": "yo"}], "x\\ud801": "v"}',
        '{"question": "q?", "cot_answer": "a", "\\udfff": "z"}',
        json.dumps(QA[0]),
    ]
    data = tmp_path / "in.jsonl"
    data.write_text("\n".join(lines) + "\n")
    before = data.read_bytes()
    for argv in (
        ["check", str(data), "--json"],
        ["check", str(data)],
        ["fix", str(data), "-o", str(tmp_path / "f.jsonl"), "--rejects", str(tmp_path / "r.jsonl")],
        ["convert", str(data), "-o", str(tmp_path / "c.jsonl"), "--to", "messages"],
        ["split", str(data), "-o", str(tmp_path / "s"), "--val-fraction", "0.5", "--seed", "1"],
        ["stats", str(data)],
        ["report", str(data), "-o", str(tmp_path / "r.html")],
    ):
        code, _, err = _run(capsys, *argv, "--quiet")
        assert code in (0, 1), (argv, err)
        assert "unexpected error" not in err
    assert data.read_bytes() == before
    fixed = (tmp_path / "f.jsonl").read_text().splitlines()
    rejected = (tmp_path / "r.jsonl").read_text().splitlines()
    assert len(fixed) + len(rejected) == 4


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_tool_call_arguments_two_thousand_deep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call = {"id": "c1", "type": "function",
            "function": {"name": "f", "arguments": _deep(2000)}}  # fmt: skip
    row = {"messages": [{"role": "user", "content": "go"},
                        {"role": "assistant", "content": "", "tool_calls": [call]},
                        {"role": "tool", "tool_call_id": "c1", "content": "done"},
                        {"role": "assistant", "content": "ok"}]}  # fmt: skip
    deep_value = '{"messages": [{"role": "user", "content": "x", "meta": ' + _deep(5000) + "}]}"
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps(row) + "\n" + deep_value + "\n" + json.dumps(QA[0]) + "\n")
    for argv in (
        ["check", str(data), "--json"],
        ["report", str(data), "-o", str(tmp_path / "r.html")],
        ["fix", str(data), "-o", str(tmp_path / "f.jsonl"), "--rejects", str(tmp_path / "r.jsonl")],
        ["convert", str(data), "-o", str(tmp_path / "c.jsonl"), "--to", "messages"],
        ["stats", str(data)],
    ):
        code, _, err = _run(capsys, *argv, "--quiet")
        assert code in (0, 1, 2), (argv, err)
        assert "unexpected error" not in err and "Traceback" not in err, (argv, err)
        if code == 2:
            _one_line(err)


def test_parquet_binary_time_and_decimal_columns_to_jsonl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 10
    table = pa.table({
        "instruction": [f"Say {i}" for i in range(n)],
        "output": [str(i) for i in range(n)],
        "blob": [b"\x00\xffraw" if i % 2 else b"text" for i in range(n)],
        "when": [datetime.datetime(2024, 1, 2, 3, 4, 5) for _ in range(n)],
        "day": [datetime.date(2024, 5, 6) for _ in range(n)],
        "price": [decimal.Decimal("12.50") for _ in range(n)],
        "score": [float("nan") if i == 0 else 1.5 for i in range(n)],
    })  # fmt: skip
    data = tmp_path / "in.parquet"
    pq.write_table(table, data)
    argv = ["split", str(data), "-o", str(tmp_path / "s"), "--val-fraction", "0.2",
            "--seed", "1", "--ext", "jsonl"]  # fmt: skip
    code, _, err = _run(capsys, *argv, "--quiet")
    assert code == 0, err
    text = (tmp_path / "s" / "train.jsonl").read_text() + (
        tmp_path / "s" / "validation.jsonl"
    ).read_text()
    rows = [json.loads(line) for line in text.splitlines()]
    assert len(rows) == n and "NaN" not in text
    by_output = {r["output"]: r for r in rows}
    assert by_output["0"]["blob"] == "text" and by_output["1"]["blob"] == "base64:AP9yYXc="
    assert by_output["0"]["when"] == "2024-01-02T03:04:05" and by_output["0"]["day"] == "2024-05-06"
    assert by_output["0"]["price"] == "12.50" and by_output["0"]["score"] is None


def test_symlink_loops_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    data = write_jsonl(tmp_path / "in.jsonl", QA)
    for argv in (
        ["check", str(loop)],
        ["fix", str(loop), "-o", str(tmp_path / "o.jsonl"), "--rejects", str(tmp_path / "r.jsonl")],
        ["convert", str(loop), "-o", str(tmp_path / "o.jsonl"), "--to", "messages"],
        ["split", str(loop), "-o", str(tmp_path / "s"), "--val-fraction", "0.2", "--seed", "1"],
        ["fix", str(data), "-o", str(loop), "--rejects", str(tmp_path / "r.jsonl")],
        ["convert", str(data), "-o", str(loop), "--to", "messages"],
        ["report", str(data), "-o", str(loop)],
        ["split", str(data), "-o", str(loop), "--val-fraction", "0.2", "--seed", "1"],
    ):
        code, _, err = _run(capsys, *argv, "--quiet")
        assert code == 2, (argv, err)
        _one_line(err)
    assert loop.is_symlink()


def test_bad_output_paths_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", QA)
    folder = tmp_path / "folder"
    folder.mkdir()
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    long = "n" * 300
    for argv, says in (
        (["report", str(data), "-o", str(folder)], "is a directory"),
        (["stats", str(data), "--per-record", str(folder)], "is a directory"),
        (["report", str(data), "-o", str(tmp_path / "r.html"), "--png", str(a_file)], "is a file"),
        (["report", str(data), "-o", str(tmp_path / f"{long}.html")], "longer than"),
        (["stats", str(data), "--per-record", str(tmp_path / f"{long}.jsonl")], "longer than"),
        (["fix", str(data), "-o", str(tmp_path / f"{long}.jsonl"), "--rejects",
          str(tmp_path / "r.jsonl")], "longer than"),
        (["split", str(data), "-o", str(tmp_path / long), "--val-fraction", "0.2", "--seed",
          "1"], "long"),
        (["report", str(data), "-o", str(a_file / "r.html")], "not a directory"),
    ):  # fmt: skip
        code, _, err = _run(capsys, *argv, "--quiet")
        assert code == 2, (argv, err)
        assert says in _one_line(err), (argv, err)
    assert a_file.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes through permissions")
def test_read_only_and_unreadable_folders_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", QA)
    locked = tmp_path / "locked"
    locked.mkdir()
    hidden = write_jsonl(locked / "h.jsonl", QA)
    locked.chmod(0o500)
    closed = tmp_path / "closed"
    closed.mkdir()
    write_jsonl(closed / "c.jsonl", QA)
    closed.chmod(0)
    try:
        for argv in (
            ["report", str(data), "-o", str(locked / "r.html")],
            ["stats", str(data), "--per-record", str(locked / "p.jsonl")],
            ["report", str(data), "-o", str(tmp_path / "r.html"), "--png", str(locked / "png")],
            [
                "fix",
                str(data),
                "-o",
                str(locked / "o.jsonl"),
                "--rejects",
                str(tmp_path / "r.jsonl"),
            ],
            ["split", str(data), "-o", str(locked), "--val-fraction", "0.2", "--seed", "1"],
            ["check", str(closed / "c.jsonl")],
            [
                "fix",
                str(hidden),
                "-o",
                str(locked / "o.jsonl"),
                "--rejects",
                str(tmp_path / "r.jsonl"),
            ],
        ):
            code, _, err = _run(capsys, *argv, "--quiet")
            assert code == 2, (argv, err)
            _one_line(err)
    finally:
        locked.chmod(0o700)
        closed.chmod(0o700)


# --- smaller ---------------------------------------------------------------------------------


def test_nan_and_infinity_are_never_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(
        '{"question": "q1", "cot_answer": "a", "score": NaN}\n'
        '{"question": "q2", "cot_answer": "a", "score": 1e400}\n'
        '{"question": "q3", "cot_answer": "a", "score": -Infinity}\n'
        '{"question": "q4", "cot_answer": "a", "score": 0.5}\n'
    )
    code, out, _ = _run(capsys, "check", str(data), "--json")
    found = json.loads(out)["findings"]
    assert [(f["rule"], f["line"]) for f in found if f["rule"] == "json-syntax"] == [
        ("json-syntax", 1), ("json-syntax", 2), ("json-syntax", 3)
    ]  # fmt: skip
    fixed, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    code, _, err = _run(capsys, "fix", str(data), "-o", str(fixed), "--rejects", str(rejects))
    assert code == 0, err
    for path in (fixed, rejects):
        text = path.read_text()  # a rejected line is kept as its text: NaN inside a string
        for line in text.splitlines():
            json.loads(line, parse_constant=_no_constant)
    assert len(fixed.read_text().splitlines()) == 1


def _no_constant(name: str) -> None:
    pytest.fail(f"{name} written")


def test_writer_turns_non_finite_floats_into_null(tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    write.write_records(path, [{"a": float("nan"), "b": [float("inf"), 1.0]}])
    assert path.read_text() == '{"a": null, "b": [null, 1.0]}\n'


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", QA * 50)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    for argv in (["rules"], ["check", str(data), "--json"], ["check", str(data), "--show-all"]):
        proc = subprocess.Popen(
            [sys.executable, "-m", "sftprep", *argv],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()  # as `| head -1` does
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
        assert err == "", (argv, err)
        assert proc.returncode == 0, argv


def test_every_command_accepts_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sftprep.cli.main import COMMANDS as ALL

    data = write_jsonl(tmp_path / "in.jsonl", QA)
    argv = {
        "check": ["check", str(data)],
        "rules": ["rules"],
        "stats": ["stats", str(data)],
        "estimate": ["estimate", str(data)],
        "report": ["report", str(data), "-o", str(tmp_path / "r.html")],
        "new": ["new", "--task", "qa", "-o", str(tmp_path / "n.jsonl")],
        "convert": ["convert", str(data), "-o", str(tmp_path / "c.jsonl"), "--to", "messages"],
        "fix": ["fix", str(data), "-o", str(tmp_path / "f.jsonl"), "--rejects",
                str(tmp_path / "r.jsonl")],
        "split": ["split", str(data), "-o", str(tmp_path / "s"), "--val-fraction", "0.2",
                  "--seed", "1"],
    }  # fmt: skip
    assert sorted(argv) == sorted(ALL)
    for name in ALL:
        code, _, err = _run(capsys, *argv[name], "--quiet")
        assert code in (0, 1), (name, err)
        assert err == "", (name, err)


@pytest.mark.parametrize("command", ["check", "stats", "report", "fix"])
@pytest.mark.parametrize("value", ["-5", "0"])
def test_max_tokens_must_be_positive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, value: str
) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", QA)
    extra = {
        "fix": ["-o", str(tmp_path / "o.jsonl"), "--rejects", str(tmp_path / "r.jsonl"),
                "--tokenizer", "cl100k_base"],
        "report": ["-o", str(tmp_path / "r.html")],
    }.get(command, [])  # fmt: skip
    code, _, err = _run(capsys, command, str(data), "--max-tokens", value, *extra)
    assert code == 2 and "--max-tokens must be a positive number" in _one_line(err)


def test_quicktok_failing_while_built_falls_back_to_the_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sftprep.tokens.fast as fast
    from sftprep.tokens import get_tokenizer

    def panic(reference: Any) -> Any:
        raise PanicException("quicktok: index out of bounds")

    monkeypatch.setattr(fast, "build_twin", panic)
    monkeypatch.setattr(fast, "_VERDICTS", {})
    reference = get_tokenizer("cl100k_base")
    assert fast.accelerate(reference) is reference
    assert "quicktok failed while it was built or checked" in capsys.readouterr().err
    assert fast.rebuild_fast(get_tokenizer("cl100k_base")) is reference


def test_data_quoted_in_output_stays_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in ("\ud800", "\t\n ", "\x1b[2J\x1b[31m"):
        data = tmp_path / "in.jsonl"
        data.write_text(json.dumps({key: None}) + "\n")
        code, _, err = _run(capsys, "check", str(data))
        assert code == 2 and "could not recognise the format" in _one_line(err)
        assert "\x1b" not in err
    rows = [{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
             "\udc80k\x1b[31m": "v"} for _ in range(10)]  # fmt: skip
    data = write_jsonl(tmp_path / "keys.jsonl", rows)
    code, out, err = _run(capsys, "convert", str(data), "-o", str(tmp_path / "o.jsonl"),
                          "--target", "openai")  # fmt: skip
    assert code == 0, err
    assert "removed keys" in out and "\\udc80k\\x1b[31m (10)" in " ".join(out.split())
    out.encode("utf-8")


def test_an_unreachable_hub_tokenizer_is_one_line_at_once(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", QA[:2])
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_ENDPOINT": "http://127.0.0.1:9",  # nothing listens: unreachable at once
    }
    env.pop("HF_HUB_OFFLINE", None)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "sftprep", "stats", str(data), "--tokenizer", "org/no-model"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "cannot load tokenizer 'org/no-model'" in _one_line(result.stderr)
    assert time.monotonic() - started < 60


def test_check_and_convert_agree_on_llama_factory_typed_parts(
    real_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = real_data_dir / "llamafactory__reason_tool_use_demo_50.jsonl"
    code, out, _ = _run(capsys, "check", str(source), "--target", "openai", "--json")
    flagged = {f["record"] for f in json.loads(out)["findings"] if f["rule"] == "target-openai"}
    rejects = tmp_path / "r.jsonl"
    code, out, err = _run(capsys, "convert", str(source), "-o", str(tmp_path / "o.jsonl"),
                          "--target", "openai", "--rejects", str(rejects), "--json")  # fmt: skip
    assert code == 0, err
    rejected = {json.loads(line)["index"] for line in rejects.read_text().splitlines()}
    assert rejected == flagged == set(range(50))  # was 22 flagged, 50 rejected


def test_no_escape_sequence_from_the_data_reaches_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = "\x1b[2J\x1b[31mred\x1b]0;title\x07"
    rows = [{"instruction": evil, "output": "\x1b[5mblink", f"{evil}key": "v"}, *[
        {"instruction": f"q{i}", "output": f"a{i}"} for i in range(12)]]  # fmt: skip
    data = write_jsonl(tmp_path / "in.jsonl", rows)
    for argv in (
        ["check", str(data)],
        ["check", str(data), "--show-all"],
        ["stats", str(data)],
        ["estimate", str(data)],
        ["fix", str(data), "-o", str(tmp_path / "f.jsonl"), "--rejects", str(tmp_path / "r.jsonl")],
        ["convert", str(data), "-o", str(tmp_path / "c.jsonl"), "--to", "messages"],
        ["convert", str(data), "-o", str(tmp_path / "o.jsonl"), "--target", "openai"],
        ["split", str(data), "-o", str(tmp_path / "s"), "--val-fraction", "0.3", "--seed", "1"],
    ):
        code, out, err = _run(capsys, *argv, "--quiet")
        assert code in (0, 1), (argv, err)
        assert "\x1b" not in out + err and "\x07" not in out + err, argv
