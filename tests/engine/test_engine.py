"""The engine: every reader's shards read like the whole file, every executor agrees.

Each input is checked and counted once in one shard, then cut into tiny shards and
run in this process and in two worker processes; the JSON documents must be equal,
and check and stats must agree on the number of records. Also: a folder of shard
files is one dataset, a killed worker is a one-line error, Ctrl-C leaves nothing.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from datakit import write_jsonl
from sftprep.check import check
from sftprep.count import count_records, count_tokens
from sftprep.engine import EngineError, Job, Runner, plan_inputs, run
from sftprep.io import RawRecord, read

WHOLE = Runner(workers=1, shard_bytes=1 << 40)  # every file one shard, in this process
RUNNERS = [
    Runner(workers=1),
    Runner(workers=1, shard_bytes=1),  # one record (or element, row) per shard
    Runner(workers=2, shard_bytes=300),
]


def _qa(i: int) -> dict[str, Any]:
    return {"question": f"Question {i}? " * (1 + i % 5), "cot_answer": "Because. " * (i % 4)}


def hostile_inputs(tmp: Path) -> list[Path]:
    """Files of every reader with the damage the readers must survive."""
    lines = [json.dumps(_qa(i)) for i in range(40)]
    lines[5] = '{"question": broken'
    lines[9] = ""
    lines[12] = json.dumps(_qa(1))  # an exact duplicate
    body = "\r\n".join(lines).encode().replace(b"Question 7?", b"Question \xff7?")
    crlf = tmp / "crlf.jsonl"
    crlf.write_bytes(b"\xef\xbb\xbf" + body + b"\r\n")
    bare_cr = tmp / "bare_cr.jsonl"
    bare_cr.write_bytes(b"\r".join(json.dumps(_qa(i)).encode() for i in range(12)) + b"\r")
    array = tmp / "array.json"
    array.write_text(
        "[\n" + ",\n".join(json.dumps(_qa(i), indent=1) for i in range(30)) + ',,\n{"a": 1}\n]'
    )
    truncated = tmp / "truncated.json"
    truncated.write_text("[" + ",".join(json.dumps(_qa(i)) for i in range(20)) + ', {"questi')
    wrapped = tmp / "wrapped.json"
    wrapped.write_text(json.dumps({"version": 2, "data": [_qa(i) for i in range(25)]}, indent=2))
    table = tmp / "rows.csv"
    with table.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["instruction", "input", "output"])
        for i in range(30):
            writer.writerow([f"Task\n{i}" if i % 3 else f"Task {i}", "", f"line one\nline {i}"])
            if i == 10:
                writer.writerow(["", "", ""])  # a blank row is no record
    (tmp / "open.csv").write_text('instruction,output\n"Say hi",hi\n"Unclosed,"x\n')
    empty = tmp / "empty.jsonl"
    empty.write_bytes(b"\n \n")
    return [crlf, bare_cr, array, truncated, wrapped, table, tmp / "open.csv", empty]


def _parquet(tmp: Path) -> Path:
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    rows = [_qa(i) for i in range(50)]
    path = tmp / "rows.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=7)
    return path


def _saved_dataset(tmp: Path) -> Path:
    pa = pytest.importorskip("pyarrow")
    folder = tmp / "saved"
    folder.mkdir()
    names = []
    for part in range(3):
        table = pa.Table.from_pylist([_qa(part * 10 + i) for i in range(10)])
        name = f"data-{part:05d}-of-00003.arrow"
        with (
            pa.OSFile(str(folder / name), "wb") as sink,
            pa.ipc.new_stream(sink, table.schema) as writer,
        ):
            writer.write_table(table)
        names.append({"filename": name})
    (folder / "state.json").write_text(json.dumps({"_data_files": names}))
    return folder


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    tmp = tmp_path_factory.mktemp("engine")
    return [*hostile_inputs(tmp), _parquet(tmp), _saved_dataset(tmp)]


def _check(path: Path, runner: Runner) -> dict[str, Any]:
    return check(path, runner=runner).to_dict()


def _stats(path: Path, runner: Runner) -> dict[str, Any]:
    return count_tokens(path, runner=runner).to_dict()


@pytest.mark.parametrize("index", range(10))
def test_every_runner_gives_the_same_check_and_stats(inputs: list[Path], index: int) -> None:
    path = inputs[index]
    check_doc, stats_doc = _check(path, WHOLE), _stats(path, WHOLE)
    for runner in RUNNERS:
        assert _check(path, runner) == check_doc, (path.name, runner)
        assert _stats(path, runner) == stats_doc, (path.name, runner)
    # check and stats agree on the records: counted + skipped == read
    (file,) = check_doc["files"]
    assert stats_doc["records"] + sum(stats_doc["skipped"].values()) == file["records"]


@pytest.mark.parametrize("index", range(10))
def test_shards_read_like_the_whole_file(inputs: list[Path], index: int) -> None:
    path = inputs[index]
    whole = [
        (item.location.line, item.location.record, item.value)
        for item in read(path)
        if isinstance(item, RawRecord)
    ]
    (planned,) = plan_inputs(path, shard_bytes=1)
    # bare-CR files (old Mac) are cut at line feeds only: one shard
    cut = path.name in ("crlf.jsonl", "array.json", "wrapped.json", "rows.csv", "rows.parquet")
    assert len(planned.shards) > 1 or not cut
    got = []
    for merged in run([planned], _ValuesJob(), Runner(workers=1, shard_bytes=1)):
        for location, value in merged.result.outputs or ():
            where = merged.shift(location)
            got.append((where.line, where.record, value))
    assert got == whole


class _Values:
    """A transform that hands every record back (to compare with the reader)."""

    def apply(self, sample: Any, findings: Any, ctx: Any) -> tuple[Any, Any]:
        return sample.location, sample.raw


def _ValuesJob() -> Job:
    return Job(rules=frozenset(), transform=_Values())


def test_bare_cr_jsonl_is_records_to_check_and_stats(inputs: list[Path]) -> None:
    bare = inputs[1]
    assert check(bare).files[0].records == 12
    assert count_tokens(bare).records == 12  # stats used to read 0 records and 1 error


def test_locations_of_counted_records_are_the_readers(inputs: list[Path]) -> None:
    for path in inputs[:3]:
        expected = [
            (item.location.record, item.location.line)
            for item in read(path)
            if isinstance(item, RawRecord)
        ]
        runner = Runner(workers=2, shard_bytes=200)
        got = [(r.record, r.line) for r in count_records(path, runner=runner)]
        assert got == expected, path.name


def test_a_folder_of_shard_files_is_one_dataset(tmp_path: Path) -> None:
    folder = tmp_path / "shards"
    folder.mkdir()
    write_jsonl(folder / "part-0.jsonl", [_qa(i) for i in range(5)])
    write_jsonl(folder / "part-1.jsonl", [_qa(i) for i in range(5, 9)] + [_qa(2)])
    for runner in (Runner(workers=1), Runner(workers=2, shard_bytes=100)):
        report = check(folder, runner=runner)
        assert [(Path(f.path).name, f.records) for f in report.files] == [
            ("part-0.jsonl", 5),
            ("part-1.jsonl", 5),
        ]
        (copy,) = report.by_rule("duplicate")
        assert (Path(copy.location.path).name, copy.location.line) == ("part-1.jsonl", 5)
        assert copy.message == f"exact duplicate of record 2 (line 3) of {folder / 'part-0.jsonl'}"
    stats = count_tokens(str(folder / "part-*.jsonl"))
    assert stats.records == 10 and len(stats.sources) == 2


def test_a_worker_that_dies_is_one_error_naming_the_shard(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "qa.jsonl", [_qa(i) for i in range(60)])
    files = plan_inputs(path, shard_bytes=400)
    job = Job(rules=frozenset(), transform=_KillAt(30))
    with pytest.raises(EngineError, match=r"worker process died while reading .*qa\.jsonl bytes"):
        for _ in run(files, job, Runner(workers=2, shard_bytes=400)):
            pass


class _KillAt:
    """Kills its own worker process when it reaches one record."""

    def __init__(self, record: int) -> None:
        self.record = record

    def apply(self, sample: Any, findings: Any, ctx: Any) -> None:
        if sample.raw == _qa(self.record):
            os.kill(os.getpid(), signal.SIGKILL)


def _big_chat_file(path: Path, megabytes: int) -> Path:
    record = {
        "messages": [
            {"role": "user", "content": "How do I keep basil fresh? " * 8},
            {"role": "assistant", "content": "Trim the stems and keep them in water. " * 12},
        ]
    }
    line = (json.dumps(record) + "\n").encode()
    with path.open("wb") as fh:
        for _ in range(megabytes * (1 << 20) // len(line)):
            fh.write(line)
    return path


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def _start_check(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sftprep", "check", str(path), "--workers", "2", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_workers(process: subprocess.Popen[str], n: int = 2) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = _children(process.pid)
        if len(children) >= n:
            time.sleep(0.3)  # let them take their first shards
            return children
        time.sleep(0.05)
    raise AssertionError("the workers never started")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the workers")
def test_killing_a_worker_of_check_is_exit_2_in_seconds(tmp_path: Path) -> None:
    path = _big_chat_file(tmp_path / "big.jsonl", 40)
    process = _start_check(path)
    worker = _wait_for_workers(process)[0]
    os.kill(worker, signal.SIGKILL)
    killed = time.monotonic()
    _, err = process.communicate(timeout=30)
    assert time.monotonic() - killed < 10
    assert process.returncode == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "a worker process died while reading" in err and "big.jsonl bytes" in err


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the workers")
def test_ctrl_c_stops_every_worker(tmp_path: Path) -> None:
    path = _big_chat_file(tmp_path / "big.jsonl", 40)
    process = _start_check(path)
    workers = _wait_for_workers(process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130 and "interrupted" in err and "Traceback" not in err
    time.sleep(0.5)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    zombies = [p for p in alive if "Z" in (Path(f"/proc/{p}/stat").read_text().split()[2])]
    assert alive == zombies, "a worker process was left behind"
