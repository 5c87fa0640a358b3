"""Build a `ReportData` from a dataset in one pass on the engine, streaming.

One engine run does everything per record: the rules (token rules included, on the
rendering that is also counted), the token counts and statistics, and the first
renderings for the token view; no record is kept, only per-record counts. The
estimate is computed from the collected per-record lengths.

>>> data = build_report_data("examples/qa_dataset.jsonl")
>>> data.save("report.html")
PosixPath('report.html')
"""

from __future__ import annotations

import datetime as _dt
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sftprep.formats.aliases import KeyMap
from sftprep.report.data import ReportData, TokenExample

MAX_EXAMPLE_TOKENS = 400


def build_report_data(
    path: str | Path | Iterable[str | Path],
    *,
    tokenizer: Any = None,
    max_tokens: int | None = None,
    format: str | None = None,
    key_map: KeyMap | None = None,
    examples: int = 3,
    progress: bool = False,
    workers: int | None = None,
    plan: TrainingPlan | None = None,
    runner: Any = None,
    backend: str | None = None,
    project: Any = None,
    media: Any = None,
) -> ReportData:
    """Check, count and estimate ``path``; return what the report shows.

    ``project`` (an aiDAPTIV+ `Project`, ``path`` then None): its training datasets are
    the data, and the local run is estimated with the project's own settings.

    ``max_tokens`` defaults to the tokenizer's own limit when it has one; ``plan``
    says which hosted model and which local model/GPU the estimate prices; ``backend``
    is the tokenizer backend (``auto``, ``reference``, ``fast``), named in the overview;
    ``media`` (`MediaOptions`) where relative media paths are (default: beside the file).
    """
    import dataclasses

    from sftprep import __version__
    from sftprep.errors import UsageError, check_max_tokens

    check_max_tokens(max_tokens)
    if examples < 0:
        raise UsageError("--examples must be 0 or more")
    from sftprep.check import check_job, check_run
    from sftprep.count import add_merged
    from sftprep.engine import Runner
    from sftprep.findings import Report
    from sftprep.io.media import MediaOptions
    from sftprep.tokens import get_tokenizer
    from sftprep.tokens.counting import RecordCount, TokenStats

    tok = get_tokenizer(tokenizer, backend=backend)
    if max_tokens is None:
        max_tokens = tok.model_max_length
    config = project.train_configs if project is not None else None
    named = path if path is not None else config or ""
    data = ReportData(
        str(named) if isinstance(named, (str, Path)) else ", ".join(map(str, named)),
        tokenizer=_tokenizer_name(tok, tokenizer),
        max_tokens=max_tokens,
        generated=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        version=__version__,
    )
    media = media or MediaOptions()
    options: dict[str, Any] = {
        "tokenizer": _rule_tokenizer(tok, tokenizer, backend),
        "media": media,
    }
    if max_tokens is not None:
        options["max_tokens"] = max_tokens
    job = dataclasses.replace(
        check_job(None, None, options, None),
        tokenizers=(tok,),
        limits=(max_tokens,),
        record_fields=True,
        examples=examples,
        media=media,
    )

    def collect(counts: list[RecordCount]) -> None:
        (item,) = counts
        data.lengths.add(
            total=item.total,
            prompt=item.prompt,
            trainable=item.trainable,
            turns=item.turns,
            fields=item.fields,
        )

    report = Report()
    stats = TokenStats(data.path, tok.describe(), max_tokens)
    shown: list[TokenExample] = []
    runner = runner or Runner(workers=workers, progress=progress)
    for merged in check_run(
        path, format=format, config=config, key_map=key_map, runner=runner, report=report,
        job=job,
    ):  # fmt: skip
        report.findings.extend(merged.findings)
        near = merged.file.shared.get("near-duplicate")
        if merged.last and near is not None:
            report.near_duplicates = list(getattr(near, "view", []))
        add_merged([stats], merged, collect)
        for location, ids, mask, total, trainable in merged.result.examples:
            if len(shown) < examples:
                where = merged.shift(location)
                label = f"record {where.record} ({where})"
                shown.append(_example(label, ids, mask, total, trainable, tok))
    stats.format = ", ".join(dict.fromkeys(f.format for f in report.files))
    data.add_check(report)
    data.token_stats = stats.to_dict()
    data.problems.extend(stats.problems())
    data.media = stats.media_dict()
    media_stats = stats.media
    del stats
    plan = plan or TrainingPlan()
    data.plan = plan.describe()
    if data.media:
        data.thumbnails = thumbnails(data.media.get("largest") or [])
    if project is not None:
        data.plan, data.estimate = project_estimate(
            project, data.lengths.total.values, data.lengths.trainable.values, plan
        )
    else:
        data.estimate = estimate_both(
            data.lengths.total.values,
            data.lengths.trainable.values,
            plan,
            max_tokens=max_tokens,
            media=media_stats,
        )
    data.examples = shown
    return data


def _example(
    label: str, ids: Sequence[int], mask: Sequence[bool], total: int, trainable: int, tok: Any
) -> TokenExample:
    """A `TokenExample` of the first tokens of a rendering (all the worker kept)."""
    texts = token_texts(ids, _decoder(tok))
    pieces = tuple((text, bool(m)) for text, m in zip(texts, mask, strict=False))
    return TokenExample(label, pieces, total=total, trainable=trainable, truncated=total - len(ids))


def _rule_tokenizer(tok: Any, spec: Any, backend: str | None = None) -> Any:
    """What the token rules get as ``options["tokenizer"]``: never ``None`` (that
    would turn them off), the name when there is one (a name hits a dict cache per
    record) with the backend chosen, so the rules count as the statistics do; the
    object itself otherwise."""
    from sftprep.tokens import DEFAULT_TOKENIZER
    from sftprep.tokens.base import with_choice

    if spec is None:
        return with_choice(DEFAULT_TOKENIZER, backend)
    return with_choice(spec, backend) if isinstance(spec, str) else tok


def _tokenizer_name(tok: Any, spec: Any) -> str:
    for attr in ("name", "spec"):
        value = getattr(tok, attr, None)
        if isinstance(value, str) and value:
            return value
    return str(spec or type(tok).__name__)


@dataclass(frozen=True)
class TrainingPlan:
    """What the estimate prices: a hosted fine-tuning job and a local run.

    The defaults are a common small setup (LoRA on one H100, micro batch 8); the
    report states them among the assumptions. ``None`` skips that half.
    """

    api_model: str | None = "gpt-4o-mini-2024-07-18"
    model: str | None = "llama-3.1-8b"
    gpu: str | None = "h100"
    gpus: int = 1
    method: str = "lora"
    epochs: int | str = "auto"
    batch_size: int = 8

    def describe(self) -> str:
        """What the estimate prices, in one sentence for the report."""
        parts = []
        if self.api_model:
            parts.append(f"hosted fine-tuning of {self.api_model} (OpenAI price table)")
        if self.model:
            where = f"{self.gpus} × {self.gpu}" if self.gpu else f"{self.gpus} GPU(s)"
            parts.append(
                f"a local {self.method} run of {self.model} on {where}, micro batch "
                f"{self.batch_size}"
            )
        if not parts:
            return ""
        return (
            "Priced for " + " and ".join(parts) + ": the report's defaults unless given "
            "(--api-model, --model, --gpu, --gpus, --method, --batch-size)."
        )


def estimate_both(
    lengths: Sequence[int],
    trainable: Sequence[int],
    plan: TrainingPlan,
    *,
    max_tokens: int | None = None,
    media: Any = None,
) -> dict[str, Any] | None:
    """One estimate document with the hosted cost (``api``) and the local run (``gpu``,
    ``packing``, ``memory``); assumptions of both, each once. ``media`` (`MediaStats`):
    each record's image tokens are added to its length, under the hosted model's family
    (OpenAI's tiling) or, with no hosted model, Qwen2-VL's."""
    from sftprep.estimate import estimate

    if not lengths:
        return None
    lengths, trainable = list(lengths), list(trainable)
    image_notes = []
    if media is not None and media.references:
        from sftprep.tokens.images import family_for

        image_notes = media.add_image_tokens(lengths, family_for(plan.api_model))
    hosted = estimate(lengths, trainable=trainable, model=plan.api_model, epochs=plan.epochs)
    doc = hosted.to_dict()
    if hosted.problem:
        return doc
    notes = [f"hosted fine-tuning priced for {plan.api_model}"] if plan.api_model else []
    if plan.model:
        seq = max_tokens or hosted.recommended_max_seq_len
        local = estimate(
            lengths,
            trainable=trainable,
            model=plan.model,
            gpu=plan.gpu,
            gpus=plan.gpus,
            method=plan.method,
            epochs=plan.epochs,
            max_seq_len=seq,
            batch_size=plan.batch_size,
        ).to_dict()
        where = f"{plan.gpus} x {plan.gpu}" if plan.gpu else f"{plan.gpus} GPU(s)"
        notes.append(
            f"local run: {plan.model} {plan.method} on {where}, micro batch {plan.batch_size}, "
            f"max_seq_len {seq:,}" + ("" if max_tokens else " (the recommended length)")
        )
        for key in ("gpu", "packing", "sweep", "memory"):
            doc[key] = local[key]
        doc["tokens"] = {**doc["tokens"], "trained_tokens_local": local["tokens"]["trained_tokens"]}
        doc["assumptions"] = [*doc["assumptions"], *local["assumptions"]]
    doc["assumptions"] = list(dict.fromkeys([*image_notes, *notes, *doc["assumptions"]]))
    return doc


def project_estimate(
    project: Any, lengths: Sequence[int], trainable: Sequence[int], plan: TrainingPlan
) -> tuple[str, dict[str, Any] | None]:
    """The plan sentence and the estimate of an aiDAPTIV+ project's local run (its own
    epochs, batch sizes, GPU count and LoRA; the plan's model, GPUs and method when given)."""
    from sftprep.estimate.project import estimate_project

    if not lengths:
        return "", None
    est = estimate_project(
        project, list(lengths), list(trainable), model=plan.model, gpu=plan.gpu,
        gpus=plan.gpus, method=plan.method,
        epochs=None if plan.epochs == "auto" else plan.epochs,
    )  # fmt: skip
    gpu = f" on {plan.gpu}" if plan.gpu else ""
    sentence = (
        f"Priced for the aiDAPTIV+ project {project.env}{gpu} with its own settings "
        "(epochs, batch sizes, GPU count, LoRA, max_seq_len) and aiDAPTIV+ offload; the "
        "assumptions name each setting's file and line."
    )
    return sentence, est.to_dict()


THUMBNAIL_PX = 160


def thumbnails(largest: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Small JPEG thumbnails of the largest images, as ``data:`` URIs (the page stays one
    self-contained file); an image that cannot be read again is left out."""
    import base64
    import io

    try:
        from PIL import Image
    except ImportError:
        return []
    out = []
    for row in largest:
        if not row.get("path"):
            continue
        try:
            with Image.open(row["path"]) as image:
                image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
                buffer = io.BytesIO()
                image.convert("RGB").save(buffer, "JPEG", quality=70)
        except Exception:  # Pillow raises many kinds for damaged files: no thumbnail
            continue
        uri = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
        out.append({**row, "data_uri": uri})
    return out


def token_examples(
    path: str | Path, tokenizer: Any, *, count: int = 3, format: str | None = None
) -> list[TokenExample]:
    """Render the first ``count`` conversations with a trained-on token each."""
    from sftprep.pipeline import load

    out: list[TokenExample] = []
    for conversation in itertools.islice(load(path, format=format), 50):
        if len(out) >= count:
            break
        try:
            ids, mask = tokenizer.render(conversation)
        except BaseException as exc:  # a Rust panic is a BaseException
            from sftprep.tokens.base import tokenizer_failure

            if tokenizer_failure(exc) is None:
                raise
            continue
        if not ids:
            continue
        label = f"record {conversation.location.record} ({conversation.location})"
        out.append(token_example(label, ids, mask, _decoder(tokenizer)))
    return out


def token_example(
    label: str,
    ids: Sequence[int],
    mask: Sequence[bool | int],
    decode: Callable[[Sequence[int]], str],
    *,
    limit: int = MAX_EXAMPLE_TOKENS,
) -> TokenExample:
    """A `TokenExample` of the first ``limit`` tokens, decoded one token at a time."""
    shown = list(ids[:limit])
    texts = token_texts(shown, decode)
    pieces = tuple((text, bool(m)) for text, m in zip(texts, mask, strict=False))
    return TokenExample(
        label,
        pieces,
        total=len(ids),
        trainable=sum(1 for m in mask if m),
        truncated=max(0, len(ids) - limit),
    )


def token_texts(ids: Sequence[int], decode: Callable[[Sequence[int]], str]) -> list[str]:
    """The text each token adds, decoding growing prefixes so that a character split
    over several byte tokens appears once (on its last token), not as ``�``."""
    texts: list[str] = []
    emitted = ""
    for i in range(len(ids)):
        text = decode(ids[: i + 1])
        stable = text if i == len(ids) - 1 else text.rstrip("\ufffd")
        if stable.startswith(emitted):
            texts.append(stable[len(emitted) :])
            emitted = stable
        else:  # the decoder rewrote earlier text (cleanup of spaces): fall back to one token
            texts.append(decode([ids[i]]))
            emitted = text
    return texts


def _decoder(tokenizer: Any) -> Callable[[Sequence[int]], str]:
    decode = getattr(tokenizer, "decode", None)
    if callable(decode):
        return lambda ids: str(decode(list(ids)))
    raise TypeError(f"{type(tokenizer).__name__} has no decode(ids); cannot show the token view")
