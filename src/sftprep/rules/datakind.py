"""What a file really is: SFT data, or preference, RL-prompt, pretraining or task data.

Format detection recognises files that are not SFT data (see `Format.kind`); these
rules say so once per file, with what sftprep does with them, and check the keys
that only such data has (a preference pair's two answers).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.findings import Finding, Severity
from sftprep.formats.aliases import CHOSEN_KEYS, REJECTED_KEYS, canonical_role
from sftprep.formats.keys import canonical_json
from sftprep.model import Location
from sftprep.rules.base import RecordContext, Rule, Shift, register_rule
from sftprep.rules.coverage import rendered_template

SFT = "sft"


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


@register_rule
class NotSftData(Rule):
    """The file is not SFT data: preference pairs, RL prompts, pretraining text or seed tasks.

    **What it does**
    Reports once per file what the data is when it is not prompts with answers to
    train on, and what sftprep does with it:

    - **KTO** (a prompt, a completion, boolean ``label``): every record is checked
      and counted, only desirable completions as trainable tokens; ``convert``/``fix``
      never write an undesirable completion (label false) as an SFT target unless
      asked (``--keep-undesirable``).
    - **DPO/ORPO** pairs (``chosen``, ``rejected``, with or without ``prompt``): the
      prompt with the chosen answer is checked and counted; rejected answers are not.
    - **RL prompts** (``prompt`` without an answer, maybe with ``reward_model`` /
      ``ground_truth``, as verl and TRL's GRPO read them), or chat records of which
      at least half have no assistant turn at all (OpenAI reinforcement fine-tuning:
      ``messages`` ending on the user's turn, a ``reference_answer`` for the grader):
      the prompts are counted; there is nothing to train on with SFT.
    - **pretraining text** (``text``): every token is trained; the note counts records
      that hold a prompt template rendered into the text.
    - **seed tasks** (``instruction`` + nested ``instances``): each task's first
      instance is read as its example; the others are counted and not read.

    A warning for preference and RL data (training SFT on it goes wrong), a note
    otherwise.

    **Why is this bad?**
    Read as SFT, KTO data trains the model on the answers marked undesirable, DPO
    data on either answer, RL prompts on nothing at all: the run is wasted, or worse.

    **Example**
    ```json
    {"prompt": "Is the soup vegan?", "completion": "Yes, it has chicken stock.", "label": false}
    ```

    **Fix**
    Train the data with the trainer it is made for (TRL's KTOTrainer, DPOTrainer,
    GRPOTrainer; verl), or turn it into SFT data on purpose: ``sftprep convert --to
    messages`` keeps the chosen (or desirable) answers.
    """

    id = "not-sft-data"
    severity = Severity.WARNING
    group = "dataset"
    hint = "train it with the trainer it is made for, or convert the usable part to SFT"

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._first: Location | None = None
        self._format = ""
        self._kind = SFT
        self._answerless: Location | None = None  # the first chat record without an answer

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        if ctx.conversation is None:
            return iter(())
        if ctx.kind == SFT:
            self._tally_sft(ctx)
            return iter(())
        self._first = self._first or ctx.location
        self._format, self._kind = ctx.format, ctx.kind
        counts = self._counts
        counts["records"] += 1
        record = ctx.record if isinstance(ctx.record, Mapping) else {}
        label = record.get("label")
        if ctx.format == "kto":
            counts["desirable" if label is True else "undesirable" if label is False else "?"] += 1
        elif ctx.kind == "tasks":
            instances = record.get("instances")
            extra = len(instances) - 1 if isinstance(instances, list) and instances else 0
            counts["instances"] += extra + 1
            counts["tasks with more instances"] += extra > 0
        elif ctx.kind == "pretraining":
            text = ctx.conversation.messages[0].text if ctx.conversation.messages else ""
            counts["rendered templates"] += rendered_template(text)
            counts["message rows"] += canonical_role(record.get("role")) is not None
        elif ctx.kind == "prompts":
            counts["with a reward spec"] += any(k in record for k in _REWARD_KEYS)
        return iter(())

    def _tally_sft(self, ctx: RecordContext) -> None:
        """Chat records without any answer: a file of them is RL prompt data in a chat
        shape (OpenAI reinforcement fine-tuning: messages ending on a user turn)."""
        assert ctx.conversation is not None
        counts = self._counts
        counts["sft"] += 1
        messages = ctx.conversation.messages
        if not messages or any(m.role == "assistant" for m in messages):
            return  # no messages at all: a broken record (wrong-type...), not a prompt
        counts["answerless"] += 1
        self._answerless = self._answerless or ctx.location
        record = ctx.record if isinstance(ctx.record, Mapping) else {}
        counts["with a grader field"] += any(k in record for k in _GRADER_KEYS)

    def partial(self) -> Any:
        state = (self._counts, self._first, self._format, self._kind, self._answerless)
        self._counts, self._first, self._answerless = Counter(), None, None
        return state

    def absorb(self, partial: Any, shift: Shift) -> Iterator[Finding]:
        counts, first, name, kind, answerless = partial
        if first is not None and self._first is None:
            self._first, self._format, self._kind = shift(first), name, kind
        if answerless is not None and self._answerless is None:
            self._answerless = shift(answerless)
        self._counts.update(counts)
        return iter(())

    def finish(self) -> Iterator[Finding]:
        if self._first is not None:
            message, severity = _describe(self._format, self._kind, self._counts)
            yield self.finding(self._first, message, severity=severity)
            return
        counts = self._counts
        if self._answerless is not None and counts["answerless"] * 2 >= counts["sft"]:
            graded = counts["with a grader field"]
            grader = f", {graded:,} with a grader field (reference_answer...)" if graded else ""
            yield self.finding(
                self._answerless,
                f"{counts['answerless']:,} of {_n(counts['sft'], 'conversation')} have no "
                f"answer at all (they end on the prompt){grader}: RL prompt data in a chat "
                "shape (OpenAI reinforcement fine-tuning, GRPO), not SFT data; SFT would "
                "have nothing to train on in them: sftprep counts their prompt tokens only",
            )


_REWARD_KEYS = ("reward_model", "ground_truth", "reward_spec", "verification_info")
# What OpenAI's reinforcement fine-tuning graders and RL recipes read beside chat prompts.
_GRADER_KEYS = (*_REWARD_KEYS, "reference_answer", "correct_answer", "expected_answer")


def _describe(name: str, kind: str, counts: Counter[str]) -> tuple[str, Severity]:
    n = counts["records"]
    if name == "kto":
        labels = (
            f"{counts['desirable']:,} desirable (label true), {counts['undesirable']:,} undesirable"
        )
        if counts["?"]:
            labels += f", {counts['?']:,} without a boolean label"
        return (
            f"KTO preference data (prompt, completion, label), not SFT data: {_n(n, 'record')}, "
            f"{labels}. sftprep checks and counts every record, but only desirable completions "
            "as trainable; convert and fix never write an undesirable completion as an SFT "
            "target (--keep-undesirable to force)",
            Severity.WARNING,
        )
    if kind == "preference":
        return (
            f"DPO/ORPO preference pairs (chosen, rejected), not SFT data: {_n(n, 'pair')}. "
            "sftprep checks and counts each prompt with its chosen answer; the rejected answers "
            "are not counted (they are no SFT target)",
            Severity.WARNING,
        )
    if kind == "prompts":
        reward = counts["with a reward spec"]
        spec = f" ({reward:,} with a reward spec or ground truth)" if reward else ""
        return (
            f"prompts read without answers, not SFT data: {_n(n, 'record')}{spec}: RL prompt "
            "data, or answers under keys sftprep does not read (see unknown-key). SFT would "
            "have nothing to train on: sftprep counts the prompt tokens only",
            Severity.WARNING,
        )
    if kind == "pretraining" and counts["message rows"]:
        return (
            f"pretraining text, but {counts['message rows']:,} of {_n(n, 'record')} are single "
            "chat messages (a `role` column: OASST's message table): read as text, every "
            "prompt would be trained as an answer; rebuild the conversations first (OASST: "
            "follow parent_id)",
            Severity.WARNING,
        )
    if kind == "pretraining":
        rendered = counts["rendered templates"]
        if rendered:
            return (
                f"pretraining text: {_n(n, 'record')}, {rendered:,} of them a prompt or chat "
                "template rendered into the text (### Instruction:, <|im_start|>user, [INST]...): "
                "every token is trained, the prompt too; keep prompts and answers apart "
                "(alpaca, messages) to train on the answers only",
                Severity.WARNING,
            )
        return (
            f"pretraining text: {_n(n, 'record')}; every token is trained (there is no prompt)",
            Severity.INFO,
        )
    more = counts["instances"] - n
    detail = (
        f"; {_n(more, 'more instance')} in {counts['tasks with more instances']:,} tasks "
        "are not read (flatten them into one record each to train on them)"
        if more
        else ""
    )
    return (
        f"instruction tasks with nested instances (self-instruct seed tasks): {_n(n, 'task')}, "
        f"{_n(counts['instances'], 'instance')}; sftprep reads each task's first instance "
        f"as its example (instruction + input -> output){detail}",
        Severity.INFO,
    )


@register_rule
class PreferencePair(Rule):
    """A preference pair whose chosen and rejected answers are identical or empty.

    **What it does**
    For DPO/ORPO data, compares each record's ``chosen`` and ``rejected`` answers:
    identical answers (after trimming), or an empty one, are errors.

    **Why is this bad?**
    A pair with two equal answers carries no preference: its loss is constant and
    it only costs compute; an empty answer teaches the model to prefer (or avoid)
    saying nothing.

    **Example**
    ```json
    {"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Paris."}
    ```

    **Fix**
    Drop the pair, or regenerate the rejected answer.
    """

    id = "preference-pair"
    severity = Severity.ERROR
    group = "content"
    hint = "drop the pair or regenerate one of its answers"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        record = ctx.record
        if ctx.format != "dpo" or not isinstance(record, Mapping):
            return
        chosen_key, rejected_key = (_side_key(record, side) for side in ("chosen", "rejected"))
        chosen, rejected = record.get(chosen_key), record.get(rejected_key)
        if chosen is None or rejected is None:
            return  # missing-key reports an absent side
        if chosen_key == "messages" and isinstance(chosen, list) and chosen:
            chosen = chosen[-1]  # ms-swift: the conversation ends on the chosen answer
            if isinstance(chosen, Mapping) and isinstance(rejected, str):
                chosen = chosen.get("content")
        for key, value in ((chosen_key, chosen), (rejected_key, rejected)):
            if not _answer(value).strip():
                yield self.finding(ctx, f"`{key}` is empty", field=key)
                return
        if _answer(chosen).strip() == _answer(rejected).strip():
            yield self.finding(
                ctx,
                f"`{chosen_key}` and `{rejected_key}` are identical: the pair teaches no "
                "preference",
                field=rejected_key,
                excerpt_text=_answer(chosen),
            )


_SIDES = {"chosen": CHOSEN_KEYS, "rejected": REJECTED_KEYS}


def _side_key(record: Mapping[str, Any], side: str) -> str:
    """The key holding one answer of a pair (``chosen``, ``preferred_output``...)."""
    return next((k for k in _SIDES[side] if k in record), side)


def _answer(value: Any) -> str:
    """The text of one side: the string, or the contents of its turns (as JSON, so
    that tool calls and roles count in the comparison)."""
    if isinstance(value, str):
        return value
    items = [value] if isinstance(value, Mapping) else value if isinstance(value, list) else []
    turns = [t for t in items if isinstance(t, Mapping)]
    if all(not str(t.get("content") or t.get("value") or "").strip() for t in turns):
        return ""
    return canonical_json(value)
