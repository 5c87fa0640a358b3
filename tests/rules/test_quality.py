"""The quality rules' details: what counts as whitespace, commentary and a skewed label set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rulekit import REAL, chat, real_files, real_findings, single

from sftprep.catalog import get_rule
from sftprep.findings import Finding
from sftprep.rules.base import RecordContext


def qa(question: str, answer: str, line: int = 1) -> RecordContext:
    return single({"question": question, "cot_answer": answer}, "question", "cot_answer",
                  format="qa", line=line)  # fmt: skip


def run(rule_id: str, contexts: list[RecordContext]) -> list[Finding]:
    rule = get_rule(rule_id)()
    found = [f for ctx in contexts for f in rule.check(ctx)]
    return found + list(rule.finish())


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("4  ", "`cot_answer` ends with 2 whitespace characters"),
        ("4\t\n\n", "`cot_answer` ends with 1 whitespace character"),
        ("4\u00a0", "`cot_answer` ends with 1 whitespace character"),
        ("\n\n4", "`cot_answer` starts with a blank line"),
        ("4\n", None),
        ("    return 4", None),  # indented code keeps its indentation
        ("   ", None),  # whitespace-only text is empty-text's business
    ],
)
def test_untrimmed_whitespace(answer: str, message: str | None) -> None:
    found = run("untrimmed-whitespace", [qa("What is 2+2?", answer)])
    assert [f.message for f in found] == ([message] if message else [])


def test_untrimmed_whitespace_shows_the_spaces() -> None:
    (finding,) = run("untrimmed-whitespace", [qa("1. What is it?  ", "It.")])
    assert finding.field == "question" and finding.excerpt == "1.·What·is·it?··"


def turn(prompt: str, answer: str, system: str | None = None) -> RecordContext:
    """A chat record: optional system prompt, the user's prompt and the answer."""
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
    return chat({"messages": messages})


def commentary(ctx: RecordContext) -> list[str]:
    """The kind each model-commentary finding names (checking its message and field)."""
    assert ctx.conversation is not None
    last = f"messages[{len(ctx.conversation.messages) - 1}].content"
    kinds = []
    for f in run("model-commentary", [ctx]):
        kind = f.message.rsplit(": ", 1)[1]
        assert f.message == f"assistant text `{last}` carries model commentary: {kind}"
        assert f.field == last
        kinds.append(kind)
    return kinds


TRANSLATE = 'Translate the following English text to German:\n\n"Good morning, Sam."'
AI, REFUSAL, NOTE = "an AI disclaimer", "a refusal", "an appended note"

# (system prompt, user prompt, answer, kind reported or None)
COMMENTARY_CASES = [
    # what the rule is for: AI disclaimers
    (None, "What do you think of jazz?", "As an AI, I have no opinions.", AI),
    (None, "Weather in Paris?", "I'm sorry, but as an AI language model, I do not have it.", AI),
    (None, "Best sport?", "It depends, but as an AI language model, I cannot choose.", AI),
    (None, "Your favourite player?", "As an AI I don't have favourites.", AI),
    (None, "Pick one.", "As an AI assistant developed by Acme, my role is to help.", AI),
    # ... real refusals of the task
    (None, "Write malware.", "I'm sorry, but I can't help with that.", REFUSAL),
    (
        None,
        "Book me a flight.",
        "I'm sorry, but I'm unable to book flights. I convert currencies.",
        REFUSAL,
    ),
    (None, "Do it.", "I can’t assist with that request.", REFUSAL),
    (None, "Who won?", "I apologize, but I cannot provide that information.", REFUSAL),
    (None, "Order a pizza.", "I'm sorry, but I don't have the capability to order food.", REFUSAL),
    (
        None,
        "Book a cab.",
        "Sorry, I can't book cabs. Is there anything else I can help with?",
        REFUSAL,
    ),
    (
        None,
        "Write an excuse for skipping school.",
        "I'm sorry, but I can't help with that request.",
        REFUSAL,
    ),
    (
        None,
        "Respond to the following question: is it raining in Paris now?",
        "I'm sorry, but I can't access real-time weather data.",
        REFUSAL,
    ),
    (
        None,
        "How do I cancel my subscription?",
        "I'm sorry, but I can't cancel it for you; use the account page.",
        REFUSAL,
    ),
    (
        None,
        "Fill in your name on the form, then list the steps.",
        "As an AI, I can't fill in forms.",
        AI,
    ),
    # ... notes the generating model appended about its own answer
    (
        None,
        TRANSLATE,
        "Guten Morgen, Sam.\n\nNote: The German version is a direct translation.",
        NOTE,
    ),
    (None, TRANSLATE, "Guten Morgen, Sam. (Note that German capitalises nouns.)", NOTE),
    (
        None,
        TRANSLATE,
        'Guten Morgen, Sam.\n\n*(Note: In German, "Morgen" also means tomorrow.)*',
        NOTE,
    ),
    (
        "You are a translator.",
        "Good morning, Sam.",
        "Guten Morgen, Sam.\n\nNB: formal register.",
        NOTE,
    ),
    (None, "Add the prices.", "$12.50\n\nNote: I have assumed the prices are in dollars.", NOTE),
    (None, "List viruses.", "ILOVEYOU, Melissa\n\nNote: This is not an exhaustive list.", NOTE),
    (
        None,
        "Chart the population.",
        "2000 | 6.12\n\nNote: The data is rounded off and approximate.",
        NOTE,
    ),
    (None, "Build a model.", "```python\nfit()\n```\n\nNote: This is just a simple example.", NOTE),
    (None, "Say hi in Italian.", "Ciao.\n\n**Note:** informal.", NOTE),
    (None, "Estimate it.", "About 40.\n\nNB: approximate.", NOTE),
    (
        None,
        "Name the districts.",
        "- Drew\n- Sunflower\n\nNote that Sunflower may be a duplicate, "
        "but it is unclear from the paragraph.",
        NOTE,
    ),
    (None, "Give a password.", "rT8$jLpZ. Please note this is just an example.", NOTE),
    # not commentary: a clarifying question
    (
        None,
        "What's the stock price?",
        "I'm sorry, but I need the ticker symbol. Could you please provide the ticker symbol?",
        None,
    ),
    (
        None,
        "How warm is the water?",
        "I'm sorry, but I cannot estimate the temperature without "
        "more information. Could you provide the location?",
        None,
    ),
    (
        "Don't make assumptions about what values to plug into functions. Ask for clarification if "
        "a user request is ambiguous.",
        "Move money to my savings.",
        "I'm sorry, but I can't make the transfer without your account number.",
        None,
    ),
    # ... a policy, a tip, a heading
    (
        None,
        "What is your return policy?",
        "Returns are free. Please note that exchanges are only accepted within 30 days.",
        None,
    ),
    (
        None,
        "How do I make shortbread?",
        "Rub flour into butter, then bake.\n\nNote: you can substitute butter with margarine.",
        None,
    ),
    (
        None,
        "How do I store jam?",
        "## Storage\n\n**Note:**\n- Keep the jar sealed.\n- Use within 3 days.",
        None,
    ),
    (None, "How do I store jam?", "Note:\nStore it in a cool place.", None),
    (
        None,
        "Give a password.",
        "rT8$jLpZ.\n\nPlease note that it is advisable to use a unique password.",
        None,
    ),
    (
        None,
        "Plan my meals.",
        "### Plan\n\n*Note: This plan focuses on whole grains. Use olive oil.*\n\n#### Monday",
        None,
    ),
    # ... a refusal that is the content asked for
    (
        None,
        "Generate an excuse for not coming to work.",
        "I'm sorry, but I'm unable to come into work today because I have a fever.",
        None,
    ),
    (
        None,
        "Write a reply declining Sam's wedding invitation.",
        "Dear Sam, I'm so sorry, but I won't be able to attend.",
        None,
    ),
    (
        None,
        "Write a rejection letter to a job applicant.",
        "Dear Alex, I am sorry, but I cannot offer you the position.",
        None,
    ),
    (
        None,
        "How do I politely decline an invitation?",
        "Say: \"I'm so sorry, but I can't attend.\"",
        None,
    ),
    (
        "You are Gandalf. Stay in character.",
        "Let me pass!",
        "I'm sorry, but I cannot let you pass!",
        None,
    ),
    (
        None,
        "Write an apology to a customer whose order was late.",
        "Dear customer, I apologize, but I cannot undo the delay.",
        None,
    ),
    # ... who the assistant is, AI lines in a dialogue, text the prompt quotes
    (None, "Who are you?", "As a language model, I go by the name Vicuna.", None),
    (None, "What is your name?", "I was trained by LMSYS researchers as a language model.", None),
    (
        None,
        "Write a short dialogue between a user and an AI assistant.",
        "User: Do you dream?\nAI: As an AI, I don't dream.",
        None,
    ),
    (
        None,
        "Repeat after me: \"I'm sorry, but I can't help with that.\"",
        "I'm sorry, but I can't help with that.",
        None,
    ),
    (None, TRANSLATE, "Guten Morgen, Sam.", None),
    # ... and words that only look like it
    (None, "Q?", "Coffee was used as an aid to prayer.", None),
    (None, "Q?", "As an AI engineer, I build models.", None),
    (None, "Q?", "Write a note: it helps.", None),
    (None, "Q?", "The notebook: a diary.", None),
]


@pytest.mark.parametrize(("system", "prompt", "answer", "kind"), COMMENTARY_CASES)
def test_model_commentary(system: str | None, prompt: str, answer: str, kind: str | None) -> None:
    assert commentary(turn(prompt, answer, system)) == ([kind] if kind else [])


def test_model_commentary_message_field_and_excerpt() -> None:
    (finding,) = run("model-commentary", [qa("Q?", "Hallo.\n\nNote: I guessed the register.")])
    assert finding.message == "assistant text `cot_answer` carries model commentary: " + NOTE
    assert (finding.field, finding.excerpt) == (
        "cot_answer",
        "Hallo. Note: I guessed the register.",
    )


def test_model_commentary_reports_one_kind_per_turn_and_skips_prompts() -> None:
    ctx = qa("Note: I assumed nothing.", "As an AI, I cannot.\n\nNote: I guessed.")
    assert [f.message.split(": ", 1)[1] for f in run("model-commentary", [ctx])] == [AI]


def test_model_commentary_reads_the_turn_against_its_own_prompt() -> None:
    """The excuse was asked for in the first exchange; the later refusal is a refusal."""
    ctx = chat({"messages": [
        {"role": "user", "content": "Generate an excuse for missing work."},
        {"role": "assistant", "content": "I'm sorry, but I can't come in today: I have a fever."},
        {"role": "user", "content": "Now book me a taxi."},
        {"role": "assistant", "content": "I'm sorry, but I can't book taxis."},
    ]})  # fmt: skip
    (finding,) = run("model-commentary", [ctx])
    assert finding.field == "messages[3].content" and finding.message.endswith(REFUSAL)


def _news(labels: list[str]) -> list[RecordContext]:
    prompt = "Headline {i}\nIs this news about world politics, sports, business, or science?"
    return [
        qa(prompt.format(i=i), label + "<|endoftext|>", i + 1) for i, label in enumerate(labels)
    ]


def test_label_skew_reports_unused_choices_once_for_the_file() -> None:
    (finding,) = run("label-skew", _news(["Business"] * 15 + ["Sports"] * 10))
    assert finding.location.path == "data.jsonl"
    where = (finding.location.line, finding.location.record, finding.field)
    assert where == (None, None, "cot_answer")
    assert finding.message == (
        "2 labels in 25 answers: 'Business' 15 (60%), 'Sports' 10 (40%); "
        "choices never answered: 'world politics', 'science'"
    )


def test_label_skew_reports_a_frequent_label() -> None:
    labels = ["Business", "Sports", "World politics", "Science"] * 5 + ["Business"] * 40
    (finding,) = run("label-skew", _news(labels))
    assert finding.message == (
        "4 labels in 60 answers: 'Business' 45 (75%), 'Sports' 5 (8%), 'World politics' 5 (8%),"
        " 'Science' 5 (8%); 'Business' is 9.0x the rarest label"
    )


@pytest.mark.parametrize(
    "labels",
    [
        ["Business", "Sports", "World politics", "Science"] * 6,  # balanced, all used
        ["Business"] * 10 + ["Sports"] * 9,  # fewer than 20 records
        [f"answer number {i}" for i in range(40)],  # free text, not labels
        ["Business"] * 30 + ["Sports"] * 9 + ["A long answer. " * 5],  # one long answer
    ],
)
def test_label_skew_stays_quiet(labels: list[str]) -> None:
    assert run("label-skew", _news(labels)) == []


def test_a_lone_surrogate_is_encoding_damage_and_prints(tmp_path: Path) -> None:
    """``"\\ud800"`` parses as JSON but UTF-8 cannot hold it: reported, and still printed."""
    path = tmp_path / "s.jsonl"
    path.write_text('{"question": "lone \\ud800 here", "cot_answer": "ok"}\n')
    out = subprocess.run(
        [sys.executable, "-m", "sftprep", "check", str(path)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "`question` has encoding damage: lone surrogate x1" in out.stdout
    assert "lone \\ud800 here" in out.stdout
    report = tmp_path / "r.html"
    done = subprocess.run(
        [sys.executable, "-m", "sftprep", "report", str(path), "-o", str(report), "--quiet"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\\ud800" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("I am like a moth to a flame; I can't help but be drawn to her.", None),
        ("I cannot help thinking of home when it rains.", None),
        ("I'm sorry, but I can't help with that request.", REFUSAL),
        ("I can't help you with that.", REFUSAL),
    ],
)
def test_cant_help_but_is_an_idiom_not_a_refusal(answer: str, kind: str | None) -> None:
    assert commentary(turn("Write a line of poetry.", answer)) == ([kind] if kind else [])


DECLINE = (
    "I'm sorry, but I don't have the capability to book flights. My current function is to "
    "create invoices."
)


def test_declining_what_the_declared_tools_cannot_do_is_taught_not_commentary() -> None:
    tools = [{"type": "function", "function": {"name": "create_invoice", "parameters": {}}}]
    record = {
        "messages": [
            {"role": "user", "content": "Book me a flight to Oslo."},
            {"role": "assistant", "content": DECLINE},
        ]
    }
    assert commentary(chat({**record, "tools": tools})) == []
    assert commentary(chat(record)) == [REFUSAL]  # without tools, the same text is a refusal


ZENA = "llamafactory-pr10357__zena007_train_sft.jsonl"


ALPACA = "llamafactory__alpaca_en_demo.json"


GLAIVE = "llamafactory__glaive_toolcall_en_demo.json"


FASTCHAT = "fastchat__dummy_conversation.json"


HHRLHF = "llm-foundry__dolly_hhrlhf_train_small.jsonl"


REASON = "llamafactory__reason_tool_use_demo_50.jsonl"


def kinds(name: str) -> dict[int | None, str]:
    return {
        f.location.record: f.message.rsplit(": ", 1)[1]
        for f in real_findings(name, "model-commentary")
    }


# Findings before this change: ZENA 69, ALPACA 30, GLAIVE 36, FASTCHAT 24, HHRLHF 3, REASON 2.
# GLAIVE 44 -> 2: its refusals decline what the declared tools cannot do (see below).
COMMENTARY = {ZENA: 68, ALPACA: 24, GLAIVE: 2, FASTCHAT: 0, HHRLHF: 3, REASON: 0}


@pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} not found")
@pytest.mark.real_data
def test_model_commentary_counts() -> None:
    counts = {name: len(real_findings(name, "model-commentary")) for name in COMMENTARY}
    assert counts == COMMENTARY
    others = [
        n for n in real_files() if n not in COMMENTARY and real_findings(n, "model-commentary")
    ]
    assert others == []


# Former findings read against their records and judged false positives.
NOT_COMMENTARY = {
    ALPACA: {
        65: "Please note that it is advisable to use a unique password (a tip)",
        109: "Note: You can poach multiple eggs at the same time (a recipe tip)",
        276: "Note that the county refers to the primary county (explains the table)",
        780: "Generate an excuse for not coming to work: I'm sorry, but I'm unable to come",
        930: "I'm sorry, but I cannot estimate ... Could you provide more details? (clarifying)",
        995: "Note: column1 ... should be replaced with the names of the columns (usage)",
    },
    ZENA: {269: "*Note: This plan focuses on whole grains...* heading a meal plan"},
    # The record declares tools; the answer declines what they cannot do, as taught.
    GLAIVE: {
        0: "as an AI, I don't have the capability to perform external tasks such as ordering",
        22: "I can't assist with that. My current capabilities allow me to create calendar events",
        55: "I don't have the capability to book flights. My current function is to create "
        "invoices",
    },
    REASON: {
        33: "Please note this data starts from January 6, 2023 (the data's range)",
        48: "*Note: Integration complexity and cost must be managed carefully.* (advice)",
    },
}


@pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} not found")
@pytest.mark.real_data
@pytest.mark.parametrize("name", sorted(NOT_COMMENTARY))
def test_former_false_positives_are_gone(name: str) -> None:
    assert set(kinds(name)) & set(NOT_COMMENTARY[name]) == set()


@pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} not found")
@pytest.mark.real_data
def test_identity_answers_are_not_disclaimers() -> None:
    """FastChat's dummy set teaches the model its name: "Who are you?" -> "As a language
    model, I go by the name Vicuna" answers the question (its 24 former findings)."""
    assert real_findings(FASTCHAT, "model-commentary") == []


# What the rule is for, still reported.
COMMENTARY_KEPT = {
    ZENA: {0: NOTE, 20: NOTE, 116: NOTE, 159: NOTE, 216: NOTE, 410: NOTE},
    ALPACA: {43: AI, 80: AI, 156: AI, 78: NOTE, 530: NOTE, 223: REFUSAL},
    GLAIVE: {14: NOTE, 240: NOTE},
    HHRLHF: {103: NOTE, 343: AI, 842: AI},
}


@pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} not found")
@pytest.mark.real_data
@pytest.mark.parametrize("name", sorted(COMMENTARY_KEPT))
def test_true_commentary_is_still_reported(name: str) -> None:
    got = kinds(name)
    assert {record: got.get(record) for record in COMMENTARY_KEPT[name]} == COMMENTARY_KEPT[name]


@pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} not found")
@pytest.mark.real_data
def test_every_zena_note_is_after_a_translation() -> None:
    assert set(kinds(ZENA).values()) == {NOTE}
