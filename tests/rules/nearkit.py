"""A labelled set of record pairs for the `near-duplicate` rule (deterministic for a seed).

Six templates of SFT records (summary, context QA, email, product copy, math word
problem, how-to), each filled with generated content: sentences drawn from word
lists of 20-40 entries per slot, so two records share the template's wording, not
their content.

- A *positive* pair is a record and a near-copy of it made by one or two of the
  edits real mixtures are full of: an entity renamed everywhere, every number
  changed, two sentences swapped, a note of 8-12 words appended.
- A *negative* pair is two records of the same template with their own content
  (the "unrelated records of the same template" of issue 15).

`labelled_set` returns the records (each pair's two records, pair after pair) and
the pairs with their labels; a pair is predicted a near-duplicate when its two
records land in one cluster.

>>> records, pairs = labelled_set(positives=2, negatives=2, seed=1)
>>> len(records), [label for _, _, label, _ in pairs]
(8, [True, False, True, False])
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

NAMES = [
    "Anna",
    "Ben",
    "Carla",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jamal",
    "Kofi",
    "Lena",
    "Marco",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoe",
]
NOUNS = [
    "river",
    "bridge",
    "market",
    "engine",
    "garden",
    "library",
    "harbor",
    "station",
    "village",
    "factory",
    "orchard",
    "museum",
    "tower",
    "valley",
    "forest",
    "island",
    "clinic",
    "bakery",
    "workshop",
    "stadium",
    "laboratory",
    "theater",
    "canal",
    "mill",
    "school",
    "farm",
    "airport",
    "castle",
    "quarry",
    "lighthouse",
    "vineyard",
    "warehouse",
]
ADJECTIVES = [
    "old",
    "quiet",
    "busy",
    "narrow",
    "ancient",
    "modern",
    "crowded",
    "remote",
    "broken",
    "bright",
    "hidden",
    "famous",
    "small",
    "wooden",
    "stone",
    "frozen",
    "golden",
    "rusty",
    "windy",
    "sunny",
]
VERBS = [
    "repaired",
    "visited",
    "painted",
    "measured",
    "inspected",
    "cleaned",
    "rebuilt",
    "photographed",
    "mapped",
    "guarded",
    "opened",
    "closed",
    "studied",
    "sold",
    "bought",
    "described",
    "moved",
    "explored",
    "restored",
    "designed",
]
PEOPLE = [
    "the mayor",
    "the engineers",
    "a teacher",
    "the farmers",
    "two students",
    "the council",
    "a journalist",
    "the workers",
    "a tourist",
    "the children",
    "the doctor",
    "a painter",
    "the soldiers",
    "the manager",
]
TIMES = [
    "last spring",
    "in the morning",
    "after the storm",
    "every winter",
    "before dawn",
    "during the festival",
    "at noon",
    "last year",
    "in early autumn",
    "on weekends",
]
ITEMS = [
    "apples",
    "books",
    "coins",
    "stamps",
    "marbles",
    "pencils",
    "tickets",
    "shells",
    "cards",
    "bottles",
    "candles",
    "lemons",
    "plates",
    "boxes",
    "ropes",
]
TOPICS = [
    "the budget review",
    "the team offsite",
    "the new hiring plan",
    "the quarterly report",
    "the server migration",
    "the client workshop",
    "the office move",
    "the safety audit",
    "the product launch",
    "the training schedule",
    "the supplier contract",
    "the annual party",
]
PRODUCTS = [
    "backpack",
    "desk lamp",
    "water bottle",
    "coffee grinder",
    "rain jacket",
    "bike helmet",
    "notebook",
    "kitchen scale",
    "travel pillow",
    "garden hose",
    "phone stand",
    "yoga mat",
    "wall clock",
    "tea kettle",
]
FILLER = [
    "also",
    "then",
    "later",
    "quickly",
    "carefully",
    "finally",
    "together",
    "again",
    "slowly",
    "proudly",
    "soon",
    "still",
]


def _sentence(rng: random.Random) -> str:
    """One generated sentence: who did what to which place, when."""
    who = rng.choice(PEOPLE)
    who = who[0].upper() + who[1:]
    return (
        f"{who} {rng.choice(FILLER)} {rng.choice(VERBS)} the {rng.choice(ADJECTIVES)} "
        f"{rng.choice(NOUNS)} near the {rng.choice(NOUNS)} {rng.choice(TIMES)}."
    )


def _sentences(rng: random.Random, low: int, high: int) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(low, high)))


def _record(user: str, assistant: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": user},
                         {"role": "assistant", "content": assistant}]}  # fmt: skip


def _summary(rng: random.Random) -> dict[str, Any]:
    name = rng.choice(NAMES)
    article = f"{name} wrote this report. " + _sentences(rng, 5, 8)
    summary = f"According to {name}, " + _sentences(rng, 2, 2).lower()
    return _record(f"Summarize the following article in two sentences.\n\n{article}", summary)


def _context_qa(rng: random.Random) -> dict[str, Any]:
    context = _sentences(rng, 4, 6)
    year = rng.randint(1800, 2020)
    noun = rng.choice(NOUNS)
    question = f"What happened to the {noun} in {year}?"
    answer = f"In {year}, " + _sentences(rng, 2, 3).lower()
    prompt = (
        f"Answer the question using only the context.\nContext: {context}\nQuestion: {question}"
    )
    return _record(prompt, answer)


def _email(rng: random.Random) -> dict[str, Any]:
    name, sender = rng.sample(NAMES, 2)
    topic = rng.choice(TOPICS)
    count = rng.randint(2, 40)
    prompt = (
        f"Write a short email to {name} about {topic}. Mention that {count} people will attend."
    )
    body = f"I am writing about {topic}. {count} people will attend. " + _sentences(rng, 3, 5)
    return _record(prompt, f"Dear {name},\n\n{body}\n\nBest regards,\n{sender}")


def _product(rng: random.Random) -> dict[str, Any]:
    product = rng.choice(PRODUCTS)
    price = rng.randint(9, 300)
    prompt = f"Write a product description for a {product} that costs {price} dollars."
    text = f"Meet the {rng.choice(ADJECTIVES)} {product}, yours for {price} dollars. "
    return _record(prompt, text + _sentences(rng, 4, 6))


def _math(rng: random.Random) -> dict[str, Any]:
    name, other = rng.sample(NAMES, 2)
    item = rng.choice(ITEMS)
    a, b = rng.randint(2, 90), rng.randint(2, 90)
    story = _sentences(rng, 2, 3)
    prompt = (
        f"{story} {name} has {a} {item}. {other} gives {name} {b} more {item} at the "
        f"{rng.choice(NOUNS)}. How many {item} does {name} have now?"
    )
    answer = (
        f"{name} starts with {a} {item}. {other} adds {b}, so {name} has {a} + {b} = "
        f"{a + b} {item}. " + _sentences(rng, 1, 2)
    )
    return _record(prompt, answer)


def _howto(rng: random.Random) -> dict[str, Any]:
    noun = rng.choice(NOUNS)
    steps = [_sentence(rng) for _ in range(rng.randint(4, 6))]
    prompt = f"Explain step by step how the {noun} was restored."
    answer = "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
    return _record(prompt, answer)


TEMPLATES: tuple[Callable[[random.Random], dict[str, Any]], ...] = (
    _summary, _context_qa, _email, _product, _math, _howto,
)  # fmt: skip

_NUMBER = re.compile(r"\d+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _map_texts(record: dict[str, Any], edit: Callable[[str], str]) -> dict[str, Any]:
    return {"messages": [{**m, "content": edit(m["content"])} for m in record["messages"]]}


def rename(record: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    """Every occurrence of one name (or, without names, one place noun) renamed."""
    text = " ".join(m["content"] for m in record["messages"])
    present = [n for n in NAMES if re.search(rf"\b{n}\b", text)]
    pool = NAMES if present else NOUNS
    present = present or [n for n in NOUNS if re.search(rf"\b{n}\b", text)]
    if not present:
        return None
    old = rng.choice(present)
    new = rng.choice([n for n in pool if n != old])
    return _map_texts(record, lambda t: re.sub(rf"\b{old}\b", new, t))


def renumber(record: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    """Every number changed."""
    text = " ".join(m["content"] for m in record["messages"])
    if not _NUMBER.search(text):
        return None
    return _map_texts(record, lambda t: _NUMBER.sub(lambda _: str(rng.randint(2, 999)), t))


def reorder(record: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    """Two adjacent sentences of the longest message swapped."""
    messages = [dict(m) for m in record["messages"]]
    longest = max(messages, key=lambda m: len(m["content"]))
    parts = _SENTENCE.split(longest["content"])
    if len(parts) < 3:
        return None
    i = rng.randrange(len(parts) - 1)
    parts[i], parts[i + 1] = parts[i + 1], parts[i]
    longest["content"] = " ".join(parts)
    return {"messages": messages}


def append_note(record: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    """A note of 8-12 words appended to the answer."""
    words = [rng.choice([*ADJECTIVES, *NOUNS, *VERBS]) for _ in range(rng.randint(6, 10))]
    note = "\n\nNote: " + " ".join(words) + " (added later)."
    messages = [dict(m) for m in record["messages"]]
    messages[-1]["content"] += note
    return {"messages": messages}


EDITS = {"rename": rename, "renumber": renumber, "reorder": reorder, "append-note": append_note}


def near_copy(record: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], str]:
    """``record`` changed by one or two edits (the first that apply), and their names."""
    names = rng.sample(sorted(EDITS), rng.choice((1, 1, 2)))
    done: list[str] = []
    copy = record
    for name in [*names, *sorted(EDITS)]:
        if len(done) == len(names):
            break
        if name in done:
            continue
        edited = EDITS[name](copy, rng)
        if edited is not None and edited != copy:
            copy = edited
            done.append(name)
    return copy, "+".join(done)


def _unrelated(
    template: Callable[[random.Random], dict[str, Any]], first: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str]:
    """Another record of ``template`` whose prompt is not ``first``'s with other numbers
    (two prompts that differ only in a number *are* near-duplicates: not a negative)."""
    prompt = _NUMBER.sub("0", first["messages"][0]["content"])
    while True:
        second = template(rng)
        if _NUMBER.sub("0", second["messages"][0]["content"]) != prompt:
            return second, f"same template ({template.__name__.lstrip('_')})"


def labelled_set(
    positives: int = 1200, negatives: int = 1200, seed: int = 15
) -> tuple[list[dict[str, Any]], list[tuple[int, int, bool, str]]]:
    """Records and labelled pairs ``(index a, index b, near-duplicate?, how)``:
    positives and negatives alternate while both last, templates in turn."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    pairs: list[tuple[int, int, bool, str]] = []
    for n in range(max(positives, negatives) * 2):
        positive = n % 2 == 0
        if (positive and n // 2 >= positives) or (not positive and n // 2 >= negatives):
            continue
        template = TEMPLATES[(n // 2) % len(TEMPLATES)]
        first = template(rng)
        if positive:
            second, how = near_copy(first, rng)
        else:
            second, how = _unrelated(template, first, rng)
        records.extend([first, second])
        pairs.append((len(records) - 2, len(records) - 1, positive, how))
    return records, pairs


def cluster_labels(path: Any, runner: Any = None, threshold: float | None = None) -> list[int]:
    """The `near-duplicate` rule's cluster of every record of ``path`` (its first record)."""
    from sftprep.engine import Job, Runner, plan_inputs, run

    options = (("near_threshold", threshold),) if threshold else ()
    job = Job(rules=frozenset({"near-duplicate"}), options=options)
    rule: Any = None
    for merged in run(plan_inputs(path), job, runner or Runner(workers=1)):
        rule = merged.file.shared.get("near-duplicate", rule)
    assert rule is not None
    if rule.clusters is None:  # fewer than two records: each its own cluster
        return list(range(len(rule.sizes())))
    labels: list[int] = rule.clusters.label.tolist()
    rule.close()
    return labels


def scores(
    labels: list[int], pairs: list[tuple[int, int, bool, str]]
) -> tuple[float, float, dict[str, tuple[int, int]]]:
    """Precision, recall, and (found, total) per kind of pair."""
    tp = fp = fn = 0
    by_how: dict[str, tuple[int, int]] = {}
    for a, b, label, how in pairs:
        found = labels[a] == labels[b]
        tp += found and label
        fp += found and not label
        fn += label and not found
        key = how if label else "negative: " + how
        hit, total = by_how.get(key, (0, 0))
        by_how[key] = (hit + found, total + 1)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, dict(sorted(by_how.items()))
