"""Classification starter: sentiment, topic, spam and support-ticket routing, labels balanced."""

from __future__ import annotations

from sftprep.transform.tasks import Task, register_task

SENTIMENT = (
    "Classify the sentiment of this product review as positive, negative or neutral. "
    "Answer with the label only."
)
TOPIC = (
    "Assign this news snippet to one topic: sports, technology, health or business. "
    "Answer with the topic only."
)
SPAM = "Is the following message spam or not spam? Answer with the label only."
TICKET = (
    "Route this support ticket to the right team: billing, technical or account. "
    "Answer with the team name only."
)


def _item(instruction: str, text: str, label: str) -> dict[str, str]:
    return {"instruction": instruction, "input": text, "output": label}


TASK = Task(
    name="classification",
    description="label a short text: sentiment, news topic, spam, or support-ticket routing",
    native="alpaca",
    default_format="alpaca",
    system=(
        "You classify short texts. Reply with exactly one of the labels named in the "
        "instruction and nothing else."
    ),
    records=(
        _item(
            SENTIMENT,
            "The headphones are light, the battery lasts all week and the sound is crisp. "
            "Best purchase I've made this year.",
            "positive",
        ),
        _item(
            SENTIMENT,
            "The zip broke on the second day and customer service never replied to my emails.",
            "negative",
        ),
        _item(
            SENTIMENT,
            "The lamp arrived on time and matches the photos. It is a lamp; it gives light.",
            "neutral",
        ),
        _item(
            TOPIC,
            "The midfielder signed a three-year contract after passing his medical on Tuesday.",
            "sports",
        ),
        _item(
            TOPIC,
            "A new chip design cuts the power needed for on-device speech recognition by half.",
            "technology",
        ),
        _item(
            TOPIC,
            "Doctors recommend that adults over fifty have their eyes tested every two years.",
            "health",
        ),
        _item(
            TOPIC,
            "The bakery chain reported a 12% rise in quarterly revenue and will open 20 shops.",
            "business",
        ),
        _item(
            SPAM,
            "Congratulations!!! You have been selected to receive a free cruise. Click the link "
            "and enter your card number to claim your prize today.",
            "spam",
        ),
        _item(
            SPAM,
            "Hi Tom, the plumber can come on Thursday at ten. Does that still work for you?",
            "not spam",
        ),
        _item(
            TICKET,
            "I was charged twice for my March subscription. Please refund the extra payment.",
            "billing",
        ),
        _item(
            TICKET,
            "The app crashes every time I try to upload a photo larger than 5 MB.",
            "technical",
        ),
        _item(
            TICKET,
            "I changed my email address and now I can't reset my password. How do I update "
            "the login email?",
            "account",
        ),
    ),
)

register_task(TASK)
