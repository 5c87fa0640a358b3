"""Function-calling starter: declared tools, assistant tool calls, tool results, final answers.

Records are OpenAI-style ``messages`` with a ``tools`` list. Tool call ids are nine
letters or digits, the strictest shape any target asks for (Mistral), so the same
records pass every chat target.
"""

from __future__ import annotations

import json
from typing import Any

from sftprep.transform.tasks import Task, register_task

SYSTEM = "You are a helpful assistant. Use the provided tools when they help answer the user."


def _tool(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


TOOLS = {
    "get_weather": _tool(
        "get_weather",
        "Current weather for a city.",
        {
            "city": {"type": "string", "description": "City name, e.g. Lisbon"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        ["city"],
    ),
    "convert_currency": _tool(
        "convert_currency",
        "Convert an amount between currencies at today's rate.",
        {
            "amount": {"type": "number"},
            "from_currency": {"type": "string", "description": "ISO code, e.g. EUR"},
            "to_currency": {"type": "string", "description": "ISO code, e.g. JPY"},
        },
        ["amount", "from_currency", "to_currency"],
    ),
    "create_calendar_event": _tool(
        "create_calendar_event",
        "Add an event to the user's calendar.",
        {
            "title": {"type": "string"},
            "date": {"type": "string", "description": "YYYY-MM-DD"},
            "start_time": {"type": "string", "description": "HH:MM, 24-hour clock"},
            "duration_minutes": {"type": "integer"},
        },
        ["title", "date", "start_time"],
    ),
    "get_package_status": _tool(
        "get_package_status",
        "Delivery status of a parcel by tracking number.",
        {"tracking_number": {"type": "string"}},
        ["tracking_number"],
    ),
    "search_recipes": _tool(
        "search_recipes",
        "Find recipes that use the given ingredients.",
        {
            "ingredients": {"type": "array", "items": {"type": "string"}},
            "max_minutes": {"type": "integer", "description": "Maximum total cooking time"},
        },
        ["ingredients"],
    ),
    "calculate_loan_payment": _tool(
        "calculate_loan_payment",
        "Monthly payment of a fixed-rate loan.",
        {
            "principal": {"type": "number"},
            "annual_rate_percent": {"type": "number"},
            "years": {"type": "integer"},
        },
        ["principal", "annual_rate_percent", "years"],
    ),
    "find_restaurants": _tool(
        "find_restaurants",
        "Restaurants in a city, optionally filtered by cuisine.",
        {
            "city": {"type": "string"},
            "cuisine": {"type": "string"},
            "max_results": {"type": "integer"},
        },
        ["city"],
    ),
}


def _call(call_id: str, name: str, **arguments: Any) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
    }


def _result(call_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": json.dumps(payload)}


def _example(
    tools: list[str],
    user: str,
    calls: list[dict[str, Any]],
    results: list[dict[str, Any]],
    answer: str,
    *,
    one_at_a_time: bool = False,
) -> dict[str, Any]:
    """A record: system, user, the call turn(s) each followed by its results, the answer.

    ``one_at_a_time`` makes one assistant turn per call (a multi-step exchange) instead of
    one turn with parallel calls; every chat format can carry that.
    """
    rounds = [[i] for i in range(len(calls))] if one_at_a_time else [list(range(len(calls)))]
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": user},
    ]
    for indices in rounds:
        messages.append(
            {"role": "assistant", "content": None, "tool_calls": [calls[i] for i in indices]}
        )
        messages.extend(_result(calls[i]["id"], results[i]) for i in indices)
    messages.append({"role": "assistant", "content": answer})
    return {"messages": messages, "tools": [TOOLS[name] for name in tools]}


TASK = Task(
    name="function-calling",
    description="decide when to call a tool, call it with valid arguments, answer from its result",
    native="messages",
    default_format="messages",
    system=SYSTEM,
    records=(
        _example(
            ["get_weather"],
            "Do I need an umbrella in Lisbon right now?",
            [_call("wX3kP9qLm", "get_weather", city="Lisbon", unit="celsius")],
            [{"city": "Lisbon", "temperature": 17, "condition": "light rain", "wind_kph": 14}],
            "Yes, take one: it is 17 °C in Lisbon with light rain at the moment.",
        ),
        _example(
            ["convert_currency"],
            "How many Japanese yen is 250 euros today?",
            [
                _call(
                    "Cv7bN2rTa",
                    "convert_currency",
                    amount=250,
                    from_currency="EUR",
                    to_currency="JPY",
                )
            ],
            [{"amount": 250, "from": "EUR", "to": "JPY", "rate": 161.8, "result": 40450.0}],
            "At today's rate of 161.8 yen per euro, 250 euros is about 40,450 yen.",
        ),
        _example(
            ["create_calendar_event"],
            "Put a dentist appointment in my calendar for 12 March 2025 at 9:30, it takes 45 "
            "minutes.",
            [
                _call(
                    "Ev4mQ8sZd",
                    "create_calendar_event",
                    title="Dentist appointment",
                    date="2025-03-12",
                    start_time="09:30",
                    duration_minutes=45,
                )
            ],
            [
                {
                    "status": "created",
                    "event_id": "evt_2291",
                    "date": "2025-03-12",
                    "start_time": "09:30",
                    "end_time": "10:15",
                }
            ],
            "Done: your dentist appointment is in the calendar on 12 March 2025 from 09:30 to "
            "10:15.",
        ),
        _example(
            ["get_package_status"],
            "Where is my parcel? The tracking number is ZX448812GB.",
            [_call("Pk2dL6wYe", "get_package_status", tracking_number="ZX448812GB")],
            [
                {
                    "tracking_number": "ZX448812GB",
                    "status": "out for delivery",
                    "last_scan": "Leeds depot, 06:52",
                    "expected": "today by 18:00",
                }
            ],
            "Your parcel ZX448812GB is out for delivery. It was last scanned at the Leeds depot "
            "at 06:52 and should arrive today by 18:00.",
        ),
        _example(
            ["search_recipes"],
            "I have chickpeas, spinach and tomatoes. What can I cook in under 30 minutes?",
            [
                _call(
                    "Rc9hT3vBn",
                    "search_recipes",
                    ingredients=["chickpeas", "spinach", "tomatoes"],
                    max_minutes=30,
                )
            ],
            [
                {
                    "recipes": [
                        {"name": "Chickpea and spinach stew", "minutes": 25},
                        {"name": "Warm chickpea salad with tomatoes", "minutes": 15},
                    ]
                }
            ],
            "Two quick options: a chickpea and spinach stew (25 minutes) or a warm chickpea "
            "salad with tomatoes (15 minutes).",
        ),
        _example(
            ["calculate_loan_payment"],
            "What would the monthly payment be on a 15,000 loan at 6% a year over 5 years?",
            [
                _call(
                    "Ln5gF1xKc",
                    "calculate_loan_payment",
                    principal=15000,
                    annual_rate_percent=6,
                    years=5,
                )
            ],
            [{"monthly_payment": 289.99, "total_paid": 17399.4, "total_interest": 2399.4}],
            "The monthly payment would be about 289.99. Over five years you would pay 17,399.40 "
            "in total, of which 2,399.40 is interest.",
        ),
        _example(
            ["find_restaurants", "get_weather"],
            "Can you suggest two vegetarian restaurants in Ghent?",
            [
                _call(
                    "Fr8jW4nHs",
                    "find_restaurants",
                    city="Ghent",
                    cuisine="vegetarian",
                    max_results=2,
                )
            ],
            [
                {
                    "restaurants": [
                        {"name": "De Groene Tafel", "rating": 4.6},
                        {"name": "Linde & Munt", "rating": 4.4},
                    ]
                }
            ],
            "In Ghent you could try De Groene Tafel (rated 4.6) or Linde & Munt (rated 4.4), "
            "both vegetarian.",
        ),
        _example(
            ["get_weather"],
            "Is it warmer in Oslo or in Madrid today?",
            [
                _call("Ws1aZ7cXo", "get_weather", city="Oslo", unit="celsius"),
                _call("Ws2bY8dVm", "get_weather", city="Madrid", unit="celsius"),
            ],
            [
                {"city": "Oslo", "temperature": 4, "condition": "cloudy"},
                {"city": "Madrid", "temperature": 19, "condition": "sunny"},
            ],
            "Madrid is much warmer today: 19 °C and sunny, against 4 °C and cloudy in Oslo.",
            one_at_a_time=True,
        ),
        _example(
            ["convert_currency", "get_weather"],
            "I'm paying 1,200 US dollars for a hotel in Zurich. What is that in Swiss francs?",
            [
                _call(
                    "Cv3eR6uPq",
                    "convert_currency",
                    amount=1200,
                    from_currency="USD",
                    to_currency="CHF",
                )
            ],
            [{"amount": 1200, "from": "USD", "to": "CHF", "rate": 0.88, "result": 1056.0}],
            "At a rate of 0.88, 1,200 US dollars is about 1,056 Swiss francs.",
        ),
        _example(
            ["create_calendar_event"],
            "Block two hours on 4 June 2025 from 14:00 for the quarterly planning session.",
            [
                _call(
                    "Ev6nS2tGb",
                    "create_calendar_event",
                    title="Quarterly planning session",
                    date="2025-06-04",
                    start_time="14:00",
                    duration_minutes=120,
                )
            ],
            [
                {
                    "status": "created",
                    "event_id": "evt_3307",
                    "date": "2025-06-04",
                    "start_time": "14:00",
                    "end_time": "16:00",
                }
            ],
            "I've blocked 14:00 to 16:00 on 4 June 2025 for the quarterly planning session.",
        ),
        _example(
            ["get_package_status"],
            "Has parcel 7741-KQ-03 been delivered yet?",
            [_call("Pk7rM3yUf", "get_package_status", tracking_number="7741-KQ-03")],
            [
                {
                    "tracking_number": "7741-KQ-03",
                    "status": "delivered",
                    "delivered_at": "2025-02-18 11:24",
                    "signed_by": "J. Moreau",
                }
            ],
            "Yes, parcel 7741-KQ-03 was delivered on 18 February 2025 at 11:24 and signed for "
            "by J. Moreau.",
        ),
        _example(
            ["search_recipes"],
            "Any ideas for dinner with eggs, potatoes and onions? I have about an hour.",
            [
                _call(
                    "Rc4kV9wJd",
                    "search_recipes",
                    ingredients=["eggs", "potatoes", "onions"],
                    max_minutes=60,
                )
            ],
            [
                {
                    "recipes": [
                        {"name": "Spanish potato omelette", "minutes": 50},
                        {"name": "Potato and onion hash with fried eggs", "minutes": 35},
                    ]
                }
            ],
            "You could make a Spanish potato omelette (about 50 minutes) or, a bit quicker, a "
            "potato and onion hash topped with fried eggs (about 35 minutes).",
        ),
    ),
)

register_task(TASK)
