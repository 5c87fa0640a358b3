"""Question answering starter: reasoning first, then the answer after ``<ANSWER>:`` (RAFT style)."""

from __future__ import annotations

from sftprep.transform.tasks import Task, register_task


def _qa(question: str, reasoning: str, answer: str) -> dict[str, str]:
    return {"question": question, "cot_answer": f"{reasoning} <ANSWER>: {answer}"}


TASK = Task(
    name="qa",
    description="answer a question with a short chain of reasoning and a final answer",
    native="qa",
    default_format="qa",
    system=(
        "You answer questions by reasoning briefly and then giving the final answer after "
        "<ANSWER>:."
    ),
    records=(
        _qa(
            "A train leaves at 14:35 and arrives at 17:10. How long is the journey?",
            "From 14:35 to 17:35 would be exactly 3 hours. The train arrives 25 minutes "
            "before 17:35, so the journey takes 3 hours minus 25 minutes.",
            "2 hours and 35 minutes.",
        ),
        _qa(
            "Why does ice float on water?",
            "When water freezes, its molecules lock into a hexagonal pattern held by hydrogen "
            "bonds that keeps them further apart than in the liquid. Ice is therefore about 9% "
            "less dense than liquid water, and anything less dense than the liquid around it "
            "floats.",
            "Because ice is less dense than liquid water.",
        ),
        _qa(
            "How many legs do three spiders and two beetles have in total?",
            "A spider has 8 legs, so three spiders have 3 x 8 = 24. A beetle is an insect with "
            "6 legs, so two beetles have 2 x 6 = 12. Together that is 24 + 12.",
            "36 legs.",
        ),
        _qa(
            "A jacket costs 80 euros and is reduced by 25%. What is the sale price?",
            "25% of 80 is 80 x 0.25 = 20 euros. Subtracting the discount gives 80 - 20.",
            "60 euros.",
        ),
        _qa(
            "Why does water boil at a lower temperature on a high mountain?",
            "Water boils when its vapour pressure equals the pressure of the air above it. "
            "Higher up there is less air overhead, so the air pressure is lower and water "
            "reaches that pressure at a lower temperature, around 90 °C at 3,000 metres.",
            "Because the air pressure is lower at altitude.",
        ),
        _qa(
            "If you fold a sheet of paper in half three times, how many layers thick is it?",
            "Each fold doubles the number of layers: 1 becomes 2, then 4, then 8.",
            "8 layers.",
        ),
        _qa(
            "Why do calendars have leap years?",
            "The Earth takes about 365.24 days to orbit the Sun, not exactly 365. Without a "
            "correction the calendar would drift by about one day every four years, so an "
            "extra day, 29 February, is added in most years divisible by four.",
            "To keep the calendar in step with the Earth's orbit of about 365.24 days.",
        ),
        _qa(
            "Which is heavier: a kilogram of feathers or a kilogram of iron?",
            "Both are defined as one kilogram, so their masses are equal. The feathers take up "
            "far more space, which is why they feel as if they should differ.",
            "Neither; they weigh the same.",
        ),
        _qa(
            "What is the difference between weather and climate?",
            "Weather describes the conditions at a place over hours or days, such as rain "
            "tomorrow. Climate is the pattern of those conditions averaged over decades, such as "
            "a region's typical winter rainfall.",
            "Weather is short-term conditions; climate is the long-term average of weather.",
        ),
        _qa(
            "Which gas do plants take from the air for photosynthesis?",
            "In photosynthesis plants use light energy to combine water with carbon dioxide "
            "absorbed through small pores in their leaves, producing sugar and releasing oxygen.",
            "Carbon dioxide.",
        ),
        _qa(
            "A rectangle is 12 cm long and 5 cm wide. How long is its diagonal?",
            "The diagonal is the hypotenuse of a right triangle with sides 12 and 5. By "
            "Pythagoras it is the square root of 144 + 25 = 169, and the square root of 169 is "
            "13.",
            "13 cm.",
        ),
        _qa(
            "Why does a metal bridge have small gaps called expansion joints?",
            "Metal expands when it warms and contracts when it cools. A long bridge can change "
            "length by several centimetres between winter and summer, and without gaps that "
            "movement would push on the supports and could buckle the deck.",
            "To let the bridge expand and contract with temperature without damage.",
        ),
    ),
)

register_task(TASK)
