"""Count tokens as the trainer sees them, over a whole dataset, on the engine.

`count_tokens` gives a dataset's `TokenStats`, `count_tokens_multi` the stats of
several tokenizers from one pass (for comparisons), `count_records` one
`RecordCount` per record in file order. A dataset is a file, several, a folder of
shard files or a glob; records are read and counted on every core (``workers``) or
on Ray (``runner``). ``backend`` picks the tokenizer backend: ``"auto"`` (default:
quicktok's exact C++ BPE when it serves the vocabulary, else the reference),
``"reference"`` (tiktoken / Hugging Face tokenizers) or ``"fast"``; the stats'
``tokenizer`` entry names the one that counted.

>>> stats = count_tokens("examples/qa_dataset.jsonl")
>>> stats.to_dict()["tokens"]
{'total': 999, 'prompt': 293, 'trainable': 706}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from sftprep.engine import InputFile, Job, Merged, Runner, plan_inputs, run
from sftprep.errors import check_max_tokens
from sftprep.formats.aliases import KeyMap
from sftprep.io.media import MediaOptions
from sftprep.tokens.base import BaseTokenizer, get_tokenizer
from sftprep.tokens.counting import RecordCount, TokenStats
from sftprep.tokens.tally import TokenTally

TokenizerSpec = str | BaseTokenizer | None
PathLike = str | Path


def count_tokens(
    path: PathLike | Iterable[PathLike] | None,
    tokenizer: TokenizerSpec = "cl100k_base",
    *,
    format: str | None = None,
    config: PathLike | Sequence[PathLike] | None = None,
    key_map: KeyMap | None = None,
    template: str = "auto",
    max_tokens: int | None = None,
    workers: int | None = None,
    progress: bool = False,
    runner: Runner | None = None,
    backend: str | None = None,
    media: MediaOptions | None = None,
) -> TokenStats:
    """Count the tokens of every record of ``path`` (and its media: `TokenStats.media`).

    ``max_tokens`` defaults to the tokenizer's ``model_max_length`` when it has a
    real one (Hugging Face tokenizers); tiktoken encodings have none. ``media`` says
    where relative media paths are (default: beside the dataset file).
    """
    return count_tokens_multi(
        path,
        [tokenizer],
        format=format,
        config=config,
        key_map=key_map,
        template=template,
        max_tokens=max_tokens,
        workers=workers,
        progress=progress,
        runner=runner,
        backend=backend,
        media=media,
    )[0]


def count_tokens_multi(
    path: PathLike | Iterable[PathLike] | None,
    tokenizers: Sequence[TokenizerSpec],
    *,
    format: str | None = None,
    config: PathLike | Sequence[PathLike] | None = None,
    key_map: KeyMap | None = None,
    template: str = "auto",
    max_tokens: int | None = None,
    workers: int | None = None,
    progress: bool = False,
    on_record: Callable[[list[RecordCount]], None] | None = None,
    runner: Runner | None = None,
    backend: str | None = None,
    media: MediaOptions | None = None,
) -> list[TokenStats]:
    """`count_tokens` for several tokenizers in one pass over the data (for comparisons).

    ``on_record`` is called in file order with each counted record's `RecordCount`
    under every tokenizer (what ``--per-record`` writes). ``config``: aiDAPTIV+ dataset
    YAMLs whose entries are the dataset (``path`` then None).
    """
    toks, limits = tokenizers_and_limits(tokenizers, template, max_tokens, backend=backend)
    runner = runner or Runner(workers=workers, progress=progress)
    files = plan_inputs(
        path, format=format, config=config, key_map=key_map, shard_bytes=runner.shard_bytes
    )
    job = counting_job(toks, limits, template, record_fields=on_record is not None, media=media)
    name = _dataset_name(path if path is not None else config or "")
    stats = [
        TokenStats(name, tok.describe(), limit, _formats(files))
        for tok, limit in zip(toks, limits, strict=True)
    ]
    for merged in run(files, job, runner, label="counting tokens"):
        add_merged(stats, merged, on_record)
    return stats


def count_records(
    path: PathLike | Iterable[PathLike],
    tokenizer: TokenizerSpec = "cl100k_base",
    *,
    format: str | None = None,
    key_map: KeyMap | None = None,
    template: str = "auto",
    workers: int | None = None,
    progress: bool = False,
    runner: Runner | None = None,
    backend: str | None = None,
) -> Iterator[RecordCount]:
    """Yield a `RecordCount` for every record that could be counted, in file order."""
    toks, limits = tokenizers_and_limits(
        [tokenizer], template, None, default_limit=False, backend=backend
    )
    runner = runner or Runner(workers=workers, progress=progress)
    files = plan_inputs(path, format=format, key_map=key_map, shard_bytes=runner.shard_bytes)
    job = counting_job(toks, limits, template, record_fields=True)
    for merged in run(files, job, runner, label="counting tokens"):
        tally = merged.result.tally
        if tally is not None:
            for row in range(len(tally.record)):
                yield record_count(tally, 0, row, merged)


def tokenizers_and_limits(
    specs: Sequence[TokenizerSpec],
    template: str,
    max_tokens: int | None,
    *,
    default_limit: bool = True,
    backend: str | None = None,
) -> tuple[list[BaseTokenizer], list[int | None]]:
    """The tokenizers (loaded here, so a bad name fails before any work) and their limits."""
    check_max_tokens(max_tokens)
    toks = [get_tokenizer(spec, template=template, backend=backend) for spec in specs]
    limits = [
        max_tokens if max_tokens is not None else (t.model_max_length if default_limit else None)
        for t in toks
    ]
    return toks, limits


def counting_job(
    tokenizers: Sequence[BaseTokenizer],
    limits: Sequence[int | None],
    template: str,
    *,
    record_fields: bool = False,
    examples: int = 0,
    rules: frozenset[str] | None = None,
    options: tuple[tuple[str, object], ...] = (),
    media: MediaOptions | None = None,
) -> Job:
    """The engine job that counts every record with ``tokenizers`` (and its media:
    ``media`` says where relative paths are; default beside the dataset)."""
    return Job(
        media=media or MediaOptions(),
        rules=rules,
        options=options,
        tokenizers=tuple(tokenizers),
        limits=tuple(limits),
        template=template,
        record_fields=record_fields,
        examples=examples,
    )


def add_merged(
    stats: Sequence[TokenStats],
    merged: Merged,
    on_record: Callable[[list[RecordCount]], None] | None = None,
) -> None:
    """Add one merged shard's counts to the stats of every tokenizer."""
    tally = merged.result.tally
    if tally is None:
        return
    path = merged.file.file.path
    for i, s in enumerate(stats):
        s.add_tally(tally, i, path, merged.shift)
    if on_record is not None:
        ids = range(len(stats))
        for row in range(len(tally.record)):
            on_record([record_count(tally, i, row, merged) for i in ids])


def record_count(tally: TokenTally, index: int, row: int, merged: Merged) -> RecordCount:
    counted = tally.counted[index]
    shift = merged.shift
    line = tally.line[row]
    return RecordCount(
        record=shift.records + tally.record[row],
        line=shift.lines + line if line else None,
        total=counted.total[row],
        trainable=counted.trainable[row],
        turns=tally.turns[row],
        fields=counted.record_fields[row] if counted.record_fields else {},
        path=merged.file.file.path,
    )


def _dataset_name(path: PathLike | Iterable[PathLike]) -> str:
    if isinstance(path, (str, Path)):
        return str(path)
    return ", ".join(str(p) for p in path)


def _formats(files: Sequence[InputFile]) -> str:
    return ", ".join(dict.fromkeys(f.format.name for f in files))
