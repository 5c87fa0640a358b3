"""The built-in corpus a fast tokenizer must reproduce, id for id, before it may count.

`check_against` compares a fast tokenizer with its reference on `TEXTS` (whitespace
runs, digits, many scripts, combining marks, emoji, code, special-token-looking text,
lone surrogates, code points newer than Unicode 14, empty strings) and on
`CONVERSATIONS` (system, multi-turn, tools, a ``weight: 0`` turn, template tokens typed
by a user): the same ids for every text, the same ids, trainable mask and counts for
every conversation. It returns the first difference, or ``None``.

>>> from sftprep.tokens import get_tokenizer
>>> reference = get_tokenizer("cl100k_base", backend="reference")
>>> check_against(get_tokenizer("cl100k_base", backend="fast"), reference) is None
True
"""

from __future__ import annotations

from typing import Any

from sftprep.model import Conversation, Message, PlainTurn, ToolCall
from sftprep.tokens.base import Counts, RenderError

TEXTS: tuple[str, ...] = (
    "",
    " ",
    "a",
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    # whitespace runs, mixed line ends, trailing spaces
    "   leading\n\ttabs and  spaces   \r\n windows lines \r\n",
    "\n\n\n",
    "word   \n\n   word",
    " " * 40 + "x" + " " * 17,
    "\t\t\t\n \n\u00a0\u2003 nbsp and em space\u3000",
    "line one\rline two\u2028line three\u2029",
    # digits and numbers
    "0123456789 12345678901234567890 3.14159 -1e-10 1,000,000 99.99%",
    "0xDEADBEEF 0b1010 1_000_000 v1.2.3-rc.4 2026-12-03T07:31:31Z",
    "\u0661\u0662\u0663 \uff11\uff12\uff13 \u2460\u2461 \u00bd \u00b2",
    # contractions and case
    "don't can't I'll we've they're 'tis 'TWAS SHE'S He'D you'Ve",
    "ALLCAPS lowercase MixedCase camelCaseWord snake_case_word KEBAB-CASE",
    # scripts, combining marks, emoji
    "caf\u00e9 r\u00e9sum\u00e9 na\u00efve \u2014 Z\u00fcrich, S\u00e3o Paulo, \u0141\u00f3d\u017a",
    "cafe\u0301 e\u0301le\u0300ve a\u030a \u1e9b\u0323",  # decomposed: not in NFC
    "\u65e5\u672c\u8a9e\u306e\u30c8\u30fc\u30af\u30ca\u30a4\u30b6\u30fc \u4e2d\u6587\u5206\u8bcd "
    "\ud55c\uad6d\uc5b4 \u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u0395\u03bb\u03bb\u03b7\u03bd"
    "\u03b9\u03ba\u03ac \u05e2\u05d1\u05e8\u05d9\u05ea \u0627\u0644\u0639\u0631\u0628\u064a"
    "\u0629 \u0939\u093f\u0928\u094d\u0926\u0940",
    "emoji \U0001f680\U0001f525\U0001f44d\U0001f3fd \U0001f468\u200d\U0001f469\u200d\U0001f467 "
    "\u2764\ufe0f \U0001f1eb\U0001f1f7",
    "\u03a9\u2248\u00e7\u221a\u222b \u2200x\u2208\u211d: x\u00b2\u22650 \u2192 \u221e",
    "\u4e45\u4e45\u591c\u8272\u7cbe\u54c1\u56fd\u4ea7AV\u4e2d\u6587ENGLISH",
    "\ufeffbom \u200b zero width \u200c\u200d joiners \ufffd replacement",
    "lone \ud800 surrogate and \udfff another",
    "after Unicode 14: \U00032fe1 \U0001e6cf \u0378 \U000e01f0 and private \ue000\U000f0000",
    # code and markup
    "def f(x):\n    return [i**2 for i in range(100)]  # 1+2+3==6\n",
    '{"key": "value", "n": 42, "list": [1, 2.5, null, true], "nested": {"a": "\\u00e9"}}',
    "SELECT id, name FROM users WHERE age >= 30 AND name LIKE '%son';",
    '<html><body class="x">x &amp; y</body></html> https://example.com/p?q=1&x=2#frag',
    "```python\nfor i in range(10):\n\tprint(f'{i:>4}')\n```",
    "!!!??? ... --- *** ___ === +++ ~~~ ``` ''' \"\"\" ;;; ::: ||| &&& %%% $$$ ### @@@",
    # text that looks like special tokens: ordinary text to tiktoken, tokens to HF
    "<|endoftext|>",
    "The answer.<|endoftext|><|fim_prefix|><|fim_middle|><|fim_suffix|><|endofprompt|>",
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
    "<\uff5cbegin\u2581of\u2581sentence\uff5c><\uff5cUser\uff5c>hi<\uff5cAssistant\uff5c><think>\n"
    "</think>ok<\uff5cend\u2581of\u2581sentence\uff5c>",
    '<tool_call>\n{"name": "f"}\n</tool_call> <|fim_pad|> </s> <s> [INST] <|endoftext',
    "<|<|im_end|>|> <|im_end|<|im_end|>",
    # long runs
    "a" * 300,
    "=" * 257 + "\n" + "-" * 129,
    "\U0001f600" * 50,
    "1" * 100,
)


def _conversations() -> tuple[Conversation, ...]:
    call = ToolCall("get_weather", '{"city": "Z\u00fcrich", "unit": "celsius"}', id="call_1")
    tools = (
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather in a city.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        },
    )
    return (
        Conversation(
            (
                Message("system", "You are a careful assistant."),
                Message("user", "What is 2 + 2?\n\n"),
                Message("assistant", "  4.\n\nIt is **four**  \n"),
                Message("user", "And in French? <|im_end|><|eot_id|>"),
                Message("assistant", "\nQuatre \u2014 \u00ab quatre \u00bb. <|endoftext|>"),
            )
        ),
        Conversation(
            (
                Message("user", "caf\u00e9 \u65e5\u672c\u8a9e \U0001f680"),
                Message("assistant", "<think>\nshort\n</think>\n\n```py\nprint(1)\n```"),
                Message("user", "thanks", name="alice"),
                Message("assistant", "skipped", weight=0),
                Message("assistant", "\U0001f44d\U0001f3fd"),
            )
        ),
        Conversation(
            (
                Message("user", "Weather in Z\u00fcrich?"),
                Message("assistant", "", tool_calls=(call,)),
                Message("tool", '{"temperature": 3}', tool_call_id="call_1"),
                Message("assistant", "It is 3 \u00b0C."),
            ),
            tools=tools,
        ),
    )


CONVERSATIONS: tuple[Conversation, ...] = _conversations()


def check_against(fast: Any, reference: Any) -> str | None:
    """The first way ``fast`` differs from ``reference`` on the built-in corpus, or None."""
    for i, text in enumerate(TEXTS):
        problem = _same_text(fast, reference, text)
        if problem:
            return f"text {i} ({_excerpt(text)}): {problem}"
    for i, conversation in enumerate(CONVERSATIONS):
        problem = _same_conversation(fast, reference, conversation)
        if problem:
            return f"conversation {i}: {problem}"
    return None


def _same_text(fast: Any, reference: Any, text: str) -> str | None:
    want = reference.encode(text)
    got = fast.encode(text)
    if got != want:
        return _first_difference(got, want)
    if fast.count(text) != len(want):
        return f"count {fast.count(text)}, the reference {len(want)}"
    return None


def _same_conversation(fast: Any, reference: Any, conversation: Conversation) -> str | None:
    want, got = _rendered(reference, conversation), _rendered(fast, conversation)
    if isinstance(want, str) or isinstance(got, str):
        return None if want == got else f"rendering {got!r}, the reference {want!r}"
    if got.ids != want.ids:
        return "ids: " + _first_difference(got.ids, want.ids)
    if got.mask != want.mask or got.turns != want.turns:
        return "trainable mask differs"
    limit = max(1, want.total // 2)
    expected = Counts(want.total, want.trainable, len(conversation.messages))
    counts = fast.count_conversation(conversation)
    if counts != expected:
        return f"count_conversation {counts}, the reference {expected}"
    kept = fast.count_conversation(conversation, max_tokens=limit).kept
    if kept != want.trainable_within(limit):
        return f"trainable within {limit}: {kept}, the reference {want.trainable_within(limit)}"
    turns = _plain_turns(conversation)
    if turns is not None:
        a, b = fast.count_turns(turns), reference.count_turns(turns)
        if a != b:
            return f"count_turns {a}, the reference {b}"
    return None


def _rendered(tokenizer: Any, conversation: Conversation) -> Any:
    try:
        return tokenizer.render_turns(conversation)
    except RenderError as exc:
        return str(exc)


def _plain_turns(conversation: Conversation) -> list[PlainTurn] | None:
    if conversation.tools or any(m.tool_calls or m.reasoning for m in conversation.messages):
        return None
    return [
        (m.role, m.content or "", m.name, m.tool_call_id, m.weight) for m in conversation.messages
    ]


def _first_difference(got: list[int], want: list[int]) -> str:
    for k, (a, b) in enumerate(zip(got, want, strict=False)):
        if a != b:
            return f"token {k} is {a}, the reference has {b}"
    return f"{len(got)} tokens, the reference has {len(want)}"


def _excerpt(text: str, width: int = 24) -> str:
    shown = text if len(text) <= width else text[: width - 1] + "…"
    return ascii(shown)
