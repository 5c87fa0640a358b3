"""encoding-damage, empty-text and special-token-leak: what they report, and what they no
longer mistake for damage (accented letters by curly quotes, made-up ``<|word|>`` tokens)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from ftfy.badness import is_bad
from rulekit import REAL, chat, real_files, real_findings, single

from sftprep.catalog import get_rule
from sftprep.findings import Finding, Severity
from sftprep.rules.base import RecordContext
from sftprep.rules.special_tokens import FAMILIES, families_of
from sftprep.tokens import BaseTokenizer

TOKENIZERS = Path(__file__).resolve().parents[2].parent / "shared" / "tokenizers"


def run(rule_id: str, *contexts: RecordContext, **options: Any) -> list[Finding]:
    rule = get_rule(rule_id)()
    for ctx in contexts:
        ctx.options = options
    found = [f for ctx in contexts for f in rule.check(ctx)]
    return found + list(rule.finish())


def alpaca(**record: Any) -> RecordContext:
    rec = {"instruction": "Say hi", "input": "", "output": "Hi!", **record}
    return single(rec, "instruction", "output", format="alpaca")


def answer(text: str, system: str | None = None) -> RecordContext:
    messages = [{"role": "system", "content": system}] if system is not None else []
    messages += [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": text}]
    return chat({"messages": messages})


# -- encoding-damage: mojibake needs bytes that decode ---------------------------------

# Correct text that ftfy's badness heuristic alone flags: an accented letter between
# curly quotes, glued to a letter or to another quoted letter.
CORRECT_BUT_BAD = [
    "In italiano la “à” non esiste, ma la “è”s del verbo sì.",
    "En français, “é”“è” sont deux lettres différentes.",
    "En español, las “ñ”s son únicas.",
    "Il mot «à»s n’existe pas.",
]
CORRECT = [
    *CORRECT_BUT_BAD,
    "La preposizione “à” non esiste; si scrive “a”.",
    "En español la letra ‘ñ’ es única: “año”, “¿qué?”.",
    "Straße, naïve café, Ελληνικά, 日本語, עברית, Țară, ação — “curly” ‘quotes’ … 😀",
]


@pytest.mark.parametrize("text", CORRECT_BUT_BAD)
def test_the_old_heuristic_flagged_these(text: str) -> None:
    """The cases below would fail with ftfy's badness heuristic alone."""
    assert is_bad(text)


@pytest.mark.parametrize("text", CORRECT)
def test_accented_letters_by_curly_quotes_are_not_mojibake(text: str) -> None:
    assert run("encoding-damage", alpaca(output=text)) == []


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        (
            "Miguel de Cervantes was born in AlcalÃ¡ de Henares.",
            "…de Cervantes was born in AlcalÃ¡ de Henares.",
        ),
        ("I donâ€™t know.", "I donâ€™t know."),
        ("Ã©tÃ© à Paris, “à” près", "Ã©tÃ© à Paris, “à” près"),
        ("Le mot “à” et cafÃ© dans la même phrase", "Le mot “à” et cafÃ© dans la même phrase"),
        ("日本語のテキスト and donâ€™t", "日本語のテキスト and donâ€™t"),
        ("Price: Â£5", "Price: Â£5"),
        ("double: ÃƒÂ©", "double: ÃƒÂ©"),
    ],
)
def test_true_mojibake_is_reported_where_it_starts(text: str, excerpt: str) -> None:
    (finding,) = run("encoding-damage", alpaca(output=text))
    assert finding.message == "`output` has encoding damage: mojibake x1"
    assert finding.field == "output"
    assert finding.excerpt == excerpt


def test_mojibake_far_into_a_long_text_is_found() -> None:
    text = "Plain words. " * 400 + "Then cafÃ©."
    (finding,) = run("encoding-damage", alpaca(output=text))
    assert finding.excerpt == "…n words. Plain words. Then cafÃ©."


# -- empty-text: invisible-only text ---------------------------------------------------

INVISIBLE_CASES = [
    ("\u200b", "U+200B ZERO WIDTH SPACE"),
    ("\u200b\u200b \n\u200b", "U+200B ZERO WIDTH SPACE x3"),
    ("\u2060", "U+2060 WORD JOINER"),
    ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("\u180e", "U+180E MONGOLIAN VOWEL SEPARATOR"),
    ("\u200d", "U+200D ZERO WIDTH JOINER"),
    ("\u200c ", "U+200C ZERO WIDTH NON-JOINER"),
    ("\u00ad", "U+00AD SOFT HYPHEN"),
    ("\u3164", "U+3164 HANGUL FILLER"),
    ("\u2800\u2800", "U+2800 BRAILLE PATTERN BLANK x2"),
    (" \u200b\u2060\u00a0", "U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER"),
]


@pytest.mark.parametrize(("text", "names"), INVISIBLE_CASES)
def test_invisible_only_text_is_empty_not_encoding_damage(text: str, names: str) -> None:
    ctx = alpaca(output=text)
    (finding,) = run("empty-text", ctx)
    assert finding.message == f"assistant text `output` is invisible-only ({names})"
    assert (finding.field, finding.severity) == ("output", Severity.ERROR)
    assert run("encoding-damage", ctx) == []


def test_invisible_only_system_prompt_is_a_warning() -> None:
    ctx = answer("4", system="\u200b")
    (finding,) = run("empty-text", ctx)
    assert finding.message == (
        "system text `messages[0].content` is invisible-only (U+200B ZERO WIDTH SPACE)"
    )
    assert finding.severity is Severity.WARNING
    assert run("encoding-damage", ctx) == []


@pytest.mark.parametrize(
    "text",
    ["zero\u200bwidth", "\u200bHi", "👨\u200d👩\u200d👧", "می\u200cخواهم", "co\u00adoperate"],
)
def test_text_with_real_characters_is_not_empty(text: str) -> None:
    assert run("empty-text", alpaca(output=text)) == []


def test_a_stray_zero_width_space_stays_encoding_damage() -> None:
    (finding,) = run("encoding-damage", alpaca(output="zero\u200bwidth"))
    assert finding.message == "`output` has encoding damage: zero-width character x1"
    assert finding.excerpt == "zero\\u200bwidth"


def test_an_invisible_field_that_is_no_message_stays_encoding_damage() -> None:
    """Alpaca's ``input`` is not a turn of its own: empty-text does not report it, so
    encoding-damage does (the zero-width space still reaches the prompt)."""
    ctx = alpaca(input="\u200b")
    assert run("empty-text", ctx) == []
    (finding,) = run("encoding-damage", ctx)
    assert finding.message == "`input` has encoding damage: zero-width character x1"


# -- special-token-leak: only real special tokens ---------------------------------------

ENDOFTEXT = "<|endoftext|> (OpenAI tiktoken, ChatML/Qwen, Phi-3, GPT-NeoX/Pythia, StarCoder)"
LEAKS = [
    ("Business<|endoftext|>", ENDOFTEXT),
    ("<|im_start|>user\nhi<|im_end|>", "<|im_start|> (ChatML/Qwen), <|im_end|> (ChatML/Qwen)"),
    (
        "<|start_header_id|>user<|end_header_id|>",
        "<|start_header_id|> (Llama 3), <|end_header_id|> (Llama 3)",
    ),
    ("a<|eot_id|>", "<|eot_id|> (Llama 3)"),
    ("x <|reserved_special_token_17|>", "<|reserved_special_token_17|> (Llama 3)"),
    ("[INST] hi [/INST]", "[INST] (Llama 2, Mistral), [/INST] (Llama 2, Mistral)"),
    ("<<SYS>>be brief<</SYS>>", "<<SYS>> (Llama 2), <</SYS>> (Llama 2)"),
    ("<s>hi</s>", "<s> (Llama 2, Mistral, Phi-3), </s> (Llama 2, Mistral, Phi-3)"),
    ("[TOOL_CALLS] [SYSTEM_PROMPT]", "[TOOL_CALLS] (Mistral), [SYSTEM_PROMPT] (Mistral)"),
    ("<start_of_turn>model", "<start_of_turn> (Gemma)"),
    ("<|user|>hi<|end|>", "<|user|> (Phi-3), <|end|> (OpenAI tiktoken, Phi-3)"),
    ("<｜User｜>hi<｜Assistant｜>", "<｜User｜> (DeepSeek), <｜Assistant｜> (DeepSeek)"),
    ("<｜tool▁calls▁begin｜>", "<｜tool▁calls▁begin｜> (DeepSeek)"),
    ("pad <|padding|>", "<|padding|> (GPT-NeoX/Pythia)"),
    ("<fim_prefix>def f(<fim_suffix>", "<fim_prefix> (StarCoder), <fim_suffix> (StarCoder)"),
    (
        "<|channel|>final<|message|>hi<|return|>",
        "<|channel|> (OpenAI tiktoken), "
        "<|message|> (OpenAI tiktoken), <|return|> (OpenAI tiktoken)",
    ),
    (
        "<|vision_start|><|image_pad|>",
        "<|vision_start|> (ChatML/Qwen), <|image_pad|> (ChatML/Qwen)",
    ),
    ("a<|a|>b", None),
    ("Say <|supercalifragilisticexpialidocious|> three times.", None),
    ("Use <s>strike</s> in <p>HTML</p>", None),
    ("a <b> tag, |x| and [link](x)", None),
    ("<tool_call>{}</tool_call> <think>hm</think> <mask>", None),
]


@pytest.mark.parametrize(("text", "shown"), LEAKS)
def test_special_token_leak(text: str, shown: str | None) -> None:
    found = run("special-token-leak", alpaca(output=text))
    expected = [f"`output` contains special-token text {shown}"] if shown else []
    assert [f.message for f in found] == expected


def test_special_token_leak_lists_five_tokens_and_points_at_the_first() -> None:
    text = "ok " + "".join(f"<|reserved_special_token_{i}|>" for i in range(7))
    (finding,) = run("special-token-leak", alpaca(output=text))
    assert finding.message.endswith("<|reserved_special_token_4|> (Llama 3), …")
    assert finding.excerpt.startswith("ok <|reserved_special_token_0|>")


class PlainTokenizer(BaseTokenizer):
    """A tokenizer object that leaves ``special_tokens`` at the base class's default."""

    name = "fake"

    def render_turns(self, conversation: Any) -> Any:
        raise NotImplementedError

    def count(self, text: str) -> int:
        return len(text.split())

    def encode(self, text: str) -> list[int]:
        raise NotImplementedError

    def decode(self, ids: Any) -> str:
        raise NotImplementedError


class FakeTokenizer(PlainTokenizer):
    """A tokenizer object that names its special tokens."""

    def special_tokens(self) -> frozenset[str]:
        return frozenset({"<|my_token|>", "[CLS]", "▁<PRE>", "x", "plain"})


def test_the_given_tokenizers_special_tokens_count_too() -> None:
    ctx = alpaca(output="a <|my_token|> b [CLS] c ▁<PRE> d plain x <|im_end|>")
    (finding,) = run("special-token-leak", ctx, tokenizer=FakeTokenizer())
    assert finding.message == (
        "`output` contains special-token text <|my_token|> (tokenizer fake), [CLS] (tokenizer "
        "fake), ▁<PRE> (tokenizer fake), <|im_end|> (ChatML/Qwen)"
    )
    assert run("special-token-leak", alpaca(output="a <|my_token|> b")) == []


def test_a_tokenizer_without_special_tokens_adds_none() -> None:
    tokenizer = PlainTokenizer()
    assert run("special-token-leak", alpaca(output="<|my_token|>"), tokenizer=tokenizer) == []


# -- the table of families ---------------------------------------------------------------

REQUIRED = {
    "OpenAI tiktoken": ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
                        "<|endofprompt|>", "<|start|>", "<|end|>", "<|message|>", "<|channel|>",
                        "<|return|>", "<|call|>", "<|constrain|>", "<|reserved_200013|>"],
    "Llama 2": ["<s>", "</s>", "[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"],
    "Llama 3": ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>", "<|python_tag|>",
                "<|finetune_right_pad_id|>", "<|reserved_special_token_0|>",
                "<|reserved_special_token_247|>"],
    "ChatML/Qwen": ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|vision_start|>",
                    "<|vision_end|>", "<|image_pad|>", "<|video_pad|>", "<|object_ref_start|>",
                    "<|box_start|>", "<|quad_start|>", "<|fim_prefix|>", "<|fim_middle|>",
                    "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"],
    "Mistral": ["[INST]", "[/INST]", "[TOOL_CALLS]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
                "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]"],
    "Gemma": ["<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>", "<pad>", "<start_of_image>"],
    "Phi-3": ["<|user|>", "<|assistant|>", "<|system|>", "<|end|>", "<|endoftext|>"],
    "DeepSeek": ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>",
                 "<｜Assistant｜>", "<｜tool▁calls▁begin｜>", "<｜tool▁call▁end｜>",
                 "<｜place▁holder▁no▁12｜>"],
    "GPT-NeoX/Pythia": ["<|endoftext|>", "<|padding|>"],
    "StarCoder": ["<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<file_sep>", "<fim_pad>"],
}  # fmt: skip


@pytest.mark.parametrize("family", sorted(REQUIRED))
def test_each_family_has_its_tokens(family: str) -> None:
    assert [t for t in REQUIRED[family] if family not in families_of(t)] == []


def test_every_family_names_its_source() -> None:
    assert len({f.name for f in FAMILIES}) == len(FAMILIES)
    for family in FAMILIES:
        assert family.tokens
        assert "tokenizer" in family.source or "tiktoken" in family.source


@pytest.mark.parametrize("token", ["<|word|>", "<|reserved_5|>", "[IMG]", "<p>", "<mask>"])
def test_lookalikes_are_in_no_family(token: str) -> None:
    assert families_of(token) == ()


def _added_tokens(name: str) -> list[dict[str, Any]]:
    path = TOKENIZERS / name / "tokenizer.json"
    if not path.is_file():
        pytest.skip(f"needs {path}")
    tokens: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["added_tokens"]
    return tokens


def test_qwen25_added_tokens_are_the_chatml_qwen_family() -> None:
    added = {t["content"] for t in _added_tokens("qwen2.5")}
    (family,) = [f for f in FAMILIES if f.name == "ChatML/Qwen"]
    # <tool_call> is markup the assistant writes; <|im_sep|> is Phi-4/OpenAI ChatML
    assert added - {"<tool_call>", "</tool_call>"} == family.tokens - {"<|im_sep|>"}


def test_deepseek_distill_tokens_are_deepseek_and_llama3() -> None:
    added = _added_tokens("deepseek-r1-distill-llama-8b")
    special = {t["content"] for t in added if t["special"]} | {"<｜User｜>", "<｜Assistant｜>"}
    assert len(special) == 254
    families = {t: families_of(t) for t in special}
    assert {t for t, names in families.items() if names not in (("DeepSeek",), ("Llama 3",))} == (
        set()
    )
    assert {names for names in families.values()} == {("DeepSeek",), ("Llama 3",)}
    # <think> is an added token but not special: reasoning text may hold it
    assert "<think>" not in special and families_of("<think>") == ()


def test_hf_tokenizer_special_tokens() -> None:
    if not (TOKENIZERS / "qwen2.5").is_dir():
        pytest.skip(f"needs {TOKENIZERS / 'qwen2.5'}")
    pytest.importorskip("transformers")
    from sftprep.tokens import get_tokenizer

    tokenizer = get_tokenizer(str(TOKENIZERS / "qwen2.5"))
    special = tokenizer.special_tokens()
    assert len(special) == 14 and "<|im_end|>" in special and "<tool_call>" not in special
    ctx = alpaca(output="Done.<|im_end|><|video_pad|>")
    (finding,) = run("special-token-leak", ctx, tokenizer=str(TOKENIZERS / "qwen2.5"))
    assert finding.message == (
        "`output` contains special-token text <|im_end|> (ChatML/Qwen, tokenizer qwen2.5), "
        "<|video_pad|> (ChatML/Qwen, tokenizer qwen2.5)"
    )


HHRLHF = "llm-foundry__dolly_hhrlhf_train_small.jsonl"


SELF_INSTRUCT = "self-instruct__t0_ag_news_classify_with_choices.jsonl"


@pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} not found")
@pytest.mark.real_data
def test_special_tokens_only_where_they_leak() -> None:
    counts = Counter(n for n in real_files() for _ in real_findings(n, "special-token-leak"))
    assert counts == {SELF_INSTRUCT: 200}
    messages = {f.message for f in real_findings(SELF_INSTRUCT, "special-token-leak")}
    assert messages == {
        "`completion` contains special-token text <|endoftext|> (OpenAI tiktoken, ChatML/Qwen, "
        "Phi-3, GPT-NeoX/Pythia, StarCoder)"
    }


@pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} not found")
@pytest.mark.real_data
def test_encoding_and_empty_findings_are_unchanged() -> None:
    encoding = Counter(n for n in real_files() for _ in real_findings(n, "encoding-damage"))
    empty = Counter(n for n in real_files() for _ in real_findings(n, "empty-text"))
    assert encoding == {HHRLHF: 1}
    assert empty == {
        "axolotl__conversation.missingturns.json": 1,
        "codealpaca__code_alpaca_2k.json": 2,
        "gorilla__raft_sample_ds4.jsonl": 15,
    }
