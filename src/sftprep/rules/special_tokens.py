"""The special tokens of known tokenizer families, for `special-token-leak`.

One `TokenFamily` per family: the literal strings of its special (control) tokens,
numbered series as patterns (``<|reserved_special_token_N|>``), and where the list
comes from. A string is a special token when one of these families (or the
tokenizer the user gave) has it: ``<|supercalifragilisticexpialidocious|>`` looks
like one but is not, and text that asks a model to repeat it leaks nothing.

Left out on purpose, although some tokenizer marks them special: markup and
placeholders that ordinary text uses (``<tool_call>``, ``<think>``, ``<mask>``,
StarCoder's ``<filename>``, ``<reponame>``, ``<NAME>``, ``<EMAIL>``, ``<KEY>``,
``<PASSWORD>``, ``<pr>``) and BBCode-like ``[IMG]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class TokenFamily:
    """A tokenizer family: its name, its special-token strings and their source."""

    name: str
    source: str
    tokens: frozenset[str]
    patterns: tuple[str, ...] = ()  # regular expressions for numbered series (fullmatch)


def _family(
    name: str, source: str, tokens: Iterable[str], patterns: tuple[str, ...] = ()
) -> TokenFamily:
    return TokenFamily(name, source, frozenset(tokens), patterns)


FAMILIES: tuple[TokenFamily, ...] = (
    _family(
        "OpenAI tiktoken",
        "tiktoken 0.14 tiktoken_ext/openai_public.py: special_tokens of gpt2, r50k_base, "
        "p50k_edit, cl100k_base, o200k_base and o200k_harmony",
        (
            "<|endoftext|>",
            "<|fim_prefix|>",
            "<|fim_middle|>",
            "<|fim_suffix|>",
            "<|endofprompt|>",
            # o200k_harmony (gpt-oss)
            "<|startoftext|>",
            "<|return|>",
            "<|constrain|>",
            "<|channel|>",
            "<|start|>",
            "<|end|>",
            "<|message|>",
            "<|call|>",
        ),
        (r"<\|reserved_2\d{5}\|>",),  # o200k_harmony's <|reserved_200000|> ... <|reserved_201087|>
    ),
    _family(
        "Llama 2",
        "meta-llama/Llama-2-7b-chat-hf tokenizer_config.json (bos <s>, eos </s>, unk <unk>) "
        "and the chat format of meta-llama/llama generation.py (B_INST, E_INST, B_SYS, E_SYS)",
        ("<s>", "</s>", "<unk>", "[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"),
    ),
    _family(
        "Llama 3",
        "meta-llama/Llama-3.1-8B-Instruct tokenizer_config.json added_tokens_decoder "
        "(ids 128000-128255), as in deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
        (
            "<|begin_of_text|>",
            "<|end_of_text|>",
            "<|start_header_id|>",
            "<|end_header_id|>",
            "<|eot_id|>",
            "<|eom_id|>",
            "<|python_tag|>",
            "<|finetune_right_pad_id|>",
        ),
        (r"<\|reserved_special_token_\d{1,3}\|>",),
    ),
    _family(
        "ChatML/Qwen",
        "Qwen/Qwen2.5-7B-Instruct tokenizer.json added_tokens (Qwen2-VL's vision tokens "
        "included), less the <tool_call> markup; ChatML's <|im_sep|> (Phi-4, OpenAI)",
        (
            "<|endoftext|>",
            "<|im_start|>",
            "<|im_end|>",
            "<|im_sep|>",
            "<|object_ref_start|>",
            "<|object_ref_end|>",
            "<|box_start|>",
            "<|box_end|>",
            "<|quad_start|>",
            "<|quad_end|>",
            "<|vision_start|>",
            "<|vision_end|>",
            "<|vision_pad|>",
            "<|image_pad|>",
            "<|video_pad|>",
            "<|fim_prefix|>",
            "<|fim_middle|>",
            "<|fim_suffix|>",
            "<|fim_pad|>",
            "<|repo_name|>",
            "<|file_sep|>",
        ),
    ),
    _family(
        "Mistral",
        "mistralai/Mistral-7B-Instruct-v0.3 tokenizer_config.json (control tokens of the v3 "
        "tokenizer) and mistralai/Mistral-Small-24B-Instruct-2501 ([SYSTEM_PROMPT])",
        (
            "<s>",
            "</s>",
            "<unk>",
            "[INST]",
            "[/INST]",
            "[TOOL_CALLS]",
            "[AVAILABLE_TOOLS]",
            "[/AVAILABLE_TOOLS]",
            "[TOOL_RESULTS]",
            "[/TOOL_RESULTS]",
            "[TOOL_CONTENT]",
            "[SYSTEM_PROMPT]",
            "[/SYSTEM_PROMPT]",
        ),
        (r"\[control_\d{1,3}\]",),
    ),
    _family(
        "Gemma",
        "google/gemma-3-4b-it tokenizer_config.json (bos, eos, pad, unk, turn and image tokens)",
        (
            "<bos>",
            "<eos>",
            "<pad>",
            "<unk>",
            "<start_of_turn>",
            "<end_of_turn>",
            "<start_of_image>",
            "<end_of_image>",
            "<image_soft_token>",
        ),
    ),
    _family(
        "Phi-3",
        "microsoft/Phi-3-mini-4k-instruct tokenizer_config.json added_tokens_decoder "
        "(bos <s>, eos </s>, unk <unk>, ids 32000-32010; Zephyr's template uses the same "
        "<|user|> <|assistant|> <|system|>)",
        (
            "<s>",
            "</s>",
            "<unk>",
            "<|user|>",
            "<|assistant|>",
            "<|system|>",
            "<|end|>",
            "<|endoftext|>",
        ),
        (r"<\|placeholder\d{1,2}\|>",),
    ),
    _family(
        "DeepSeek",
        "deepseek-ai/DeepSeek-V3 and DeepSeek-R1 tokenizer_config.json (fullwidth bars, "
        "U+2581 for spaces), as in DeepSeek-R1-Distill-Llama-8B; <|EOT|> of "
        "deepseek-ai/deepseek-coder-6.7b-instruct",
        (
            "<｜begin▁of▁sentence｜>",
            "<｜end▁of▁sentence｜>",
            "<｜▁pad▁｜>",
            "<｜User｜>",
            "<｜Assistant｜>",
            "<｜fim▁hole｜>",
            "<｜fim▁begin｜>",
            "<｜fim▁end｜>",
            "<｜tool▁calls▁begin｜>",
            "<｜tool▁calls▁end｜>",
            "<｜tool▁call▁begin｜>",
            "<｜tool▁call▁end｜>",
            "<｜tool▁sep｜>",
            "<｜tool▁outputs▁begin｜>",
            "<｜tool▁outputs▁end｜>",
            "<｜tool▁output▁begin｜>",
            "<｜tool▁output▁end｜>",
            "<|EOT|>",
        ),
        (r"<｜place▁holder▁no▁\d{1,3}｜>",),
    ),
    _family(
        "GPT-NeoX/Pythia",
        "EleutherAI/gpt-neox-20b tokenizer.json added_tokens",
        ("<|endoftext|>", "<|padding|>"),
    ),
    _family(
        "StarCoder",
        "bigcode/starcoder and bigcode/starcoder2-15b tokenizer.json added_tokens (less the "
        "placeholders <filename>, <reponame>, <NAME>, <EMAIL>, <KEY>, <PASSWORD>, <pr>)",
        (
            "<|endoftext|>",
            "<fim_prefix>",
            "<fim_middle>",
            "<fim_suffix>",
            "<fim_pad>",
            "<file_sep>",
            "<gh_stars>",
            "<issue_start>",
            "<issue_comment>",
            "<issue_closed>",
            "<jupyter_start>",
            "<jupyter_text>",
            "<jupyter_code>",
            "<jupyter_output>",
            "<jupyter_script>",
            "<empty_output>",
            "<commit_before>",
            "<commit_msg>",
            "<commit_after>",
            "<code_to_intermediate>",
            "<intermediate_to_code>",
            "<pr_status>",
            "<pr_is_merged>",
            "<pr_base>",
            "<pr_file>",
            "<pr_base_code>",
            "<pr_diff>",
            "<pr_diff_hunk>",
            "<pr_comment>",
            "<pr_event_id>",
            "<pr_review>",
            "<pr_review_state>",
            "<pr_review_comment>",
            "<pr_in_reply_to_review_id>",
            "<pr_in_reply_to_comment_id>",
            "<pr_diff_hunk_comment_line>",
        ),
    ),
    _family(
        "Command R",
        "CohereForAI/c4ai-command-r-v01 tokenizer_config.json",
        (
            "<BOS_TOKEN>",
            "<EOS_TOKEN>",
            "<|START_OF_TURN_TOKEN|>",
            "<|END_OF_TURN_TOKEN|>",
            "<|USER_TOKEN|>",
            "<|CHATBOT_TOKEN|>",
            "<|SYSTEM_TOKEN|>",
        ),
    ),
)

# Everything shaped like a special token of some family (and most tokenizers' added
# tokens): <|...|>, DeepSeek's <｜...｜>, [INST]-style brackets, <<SYS>>, <s>/<bos>-style
# tags and <BOS_TOKEN>. A match is only a candidate: `families_of` decides.
TOKEN_SHAPE = re.compile(
    r"<\|[A-Za-z0-9_.\-]{1,60}\|>"
    r"|<｜[^｜<>\n]{1,40}｜>"
    r"|\[/?[A-Za-z][A-Za-z0-9_]{1,30}\]"
    r"|<</?SYS>>"
    r"|</?[a-z][a-z0-9_]{0,40}>"
    r"|<[A-Z][A-Z_]{2,20}>"
)

_BY_TOKEN: dict[str, tuple[str, ...]] = {}
for _f in FAMILIES:
    for _token in _f.tokens:
        _BY_TOKEN[_token] = (*_BY_TOKEN.get(_token, ()), _f.name)
_NUMBERED = tuple((re.compile(p), f.name) for f in FAMILIES for p in f.patterns)


def families_of(token: str) -> tuple[str, ...]:
    """The names of the families in which ``token`` is special (empty: none)."""
    known = _BY_TOKEN.get(token)
    if known is not None:
        return known
    if token.endswith("|>") or token.endswith("｜>") or token.endswith("]"):
        return tuple(name for pattern, name in _NUMBERED if pattern.fullmatch(token))
    return ()


def usable_tokens(tokens: Iterable[str]) -> frozenset[str]:
    """The tokenizer tokens worth looking for in text: at least three characters, with
    punctuation and no spaces (a special token that is a plain word or a lone
    character would match ordinary text)."""
    return frozenset(
        t for t in tokens if len(t) >= 3 and not any(c.isspace() for c in t) and not t.isalnum()
    )
