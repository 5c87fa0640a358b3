"""Ray gives the same answers as one process: on a local Ray and a two-node cluster.

Both clusters run on this machine, on loopback (``ray.cluster_utils.Cluster`` for two
nodes), and are shut down at the end. For every real dataset, the examples and the
hostile inputs of `test_engine`, ``check --json``, ``stats --json`` with its
per-record counts, and the data behind ``report`` are compared with ``--workers 1``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_engine import hostile_inputs

from sftprep.check import check
from sftprep.count import count_tokens_multi
from sftprep.engine import Runner, Task, plan_inputs
from sftprep.engine.executors import _ray_run_shard
from sftprep.report.collect import build_report_data
from sftprep.tokens.counting import RecordCount

pytestmark = pytest.mark.ray
ray = pytest.importorskip("ray")

REPO = Path(__file__).resolve().parents[2]
REAL = REPO.parent / "shared" / "data" / "real"
ONE = Runner(workers=1)


def _inputs(tmp: Path) -> list[Path]:
    real = sorted(p for p in REAL.glob("*") if p.suffix in (".json", ".jsonl", ".csv"))
    examples = sorted((REPO / "examples").glob("*.jsonl"))
    return [*real, *examples, *hostile_inputs(tmp)]


def _stats(path: Path, runner: Runner) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []

    def keep(counts: list[RecordCount]) -> None:
        rows.append(counts[0].to_dict())

    (stats,) = count_tokens_multi(path, ["cl100k_base"], on_record=keep, runner=runner)
    return stats.to_dict(), rows


def _report(path: Path, runner: Runner) -> dict[str, Any]:
    data = build_report_data(path, runner=runner)
    doc = {k: v for k, v in dataclasses.asdict(data).items() if k != "generated"}
    lengths = doc["lengths"].items()
    doc["lengths"] = {k: v if isinstance(v, dict) else list(v) for k, v in lengths}
    return doc


def _same_answers(tmp: Path, runner: Runner) -> None:
    for path in _inputs(tmp):
        expected = (check(path, runner=ONE).to_dict(), _stats(path, ONE), _report(path, ONE))
        got = (check(path, runner=runner).to_dict(), _stats(path, runner), _report(path, runner))
        assert got == expected, (path.name, runner)


@pytest.fixture
def loopback() -> Iterator[None]:
    # A Ray started here binds to 127.0.0.1: nothing but this machine is contacted.
    old = os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER")
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    yield
    if old is None:
        os.environ.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)
    else:
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = old


def test_local_ray_gives_the_same_answers(tmp_path: Path, loopback: None) -> None:
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        _same_answers(tmp_path, Runner(engine="ray"))
    finally:
        ray.shutdown()


def test_two_node_cluster_gives_the_same_answers(tmp_path: Path, loopback: None) -> None:
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False},
    )
    cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, log_to_driver=False)
    try:
        assert len([n for n in ray.nodes() if n["Alive"]]) == 2
        _same_answers(tmp_path, Runner(engine="ray", shard_bytes=300))  # shards of a few records
    finally:
        ray.shutdown()
        cluster.shutdown()


def test_a_path_a_node_cannot_see_is_named(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text('{"question": "q?", "cot_answer": "a"}\n')
    (file,) = plan_inputs(path)
    task = Task(dataclasses.replace(_job()), file.format, True, file.shards[0])
    path.unlink()  # as if the data lived on this machine's disk only
    message = _ray_run_shard(task)
    assert isinstance(message, str)
    assert "is not visible on Ray node" in message and "storage all nodes mount" in message


def _job() -> Any:
    from sftprep.engine import Job

    return Job(rules=frozenset())
