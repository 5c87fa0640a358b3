"""Summarization starter: short notices, reports and emails with faithful summaries."""

from __future__ import annotations

from sftprep.transform.tasks import Task, register_task

ONE = "Summarize the following text in one sentence."
TWO = "Summarize the following text in two sentences."
HEADLINE = "Write a short headline that summarizes the following text."

TASK = Task(
    name="summarization",
    description="condense a paragraph (notice, report, email, explanation) into a short summary",
    native="alpaca",
    default_format="alpaca",
    system=(
        "You write accurate, concise summaries that keep the key facts and add nothing "
        "that is not in the text."
    ),
    records=(
        {
            "instruction": ONE,
            "input": (
                "In its first year the city's bike-sharing scheme recorded 410,000 trips, "
                "almost twice the number planners had expected. Most rides were shorter than "
                "fifteen minutes and started near the two main railway stations. The council "
                "says it will add 30 docking stations in the outer districts next spring, "
                "where residents complained that bikes were rarely available."
            ),
            "output": (
                "The bike-sharing scheme nearly doubled its expected ridership in its first "
                "year, so the council will add 30 docking stations in the underserved outer "
                "districts next spring."
            ),
        },
        {
            "instruction": TWO,
            "input": (
                "Tides are caused mainly by the Moon's gravity. The side of the Earth facing "
                "the Moon is pulled slightly more strongly than the Earth's centre, and the "
                "far side slightly less, so the oceans bulge in two places at once. As the "
                "Earth turns, a coastline passes through both bulges, which is why most places "
                "see two high tides a day. The Sun adds a smaller effect, making tides "
                "stronger when it lines up with the Moon."
            ),
            "output": (
                "The Moon's uneven pull on the near and far sides of the Earth raises two "
                "ocean bulges, so a rotating coastline usually gets two high tides a day. The "
                "Sun's weaker pull makes tides stronger when it aligns with the Moon."
            ),
        },
        {
            "instruction": HEADLINE,
            "input": (
                "Riverside Primary School will start its day at 8:45 instead of 8:30 from "
                "September. The head teacher said the change follows a survey in which most "
                "parents reported traffic problems at the drop-off point. The school day will "
                "end fifteen minutes later, at 15:30, so teaching time stays the same."
            ),
            "output": "Riverside Primary moves its school day fifteen minutes later from September",
        },
        {
            "instruction": ONE,
            "input": (
                "Hello, I ordered a blue kettle (order 55120) on the 3rd and received a red "
                "one yesterday. The box was also dented and the lid does not close properly. "
                "I would like the correct colour sent out, and I can return the damaged one "
                "if you send me a prepaid label. Thanks, Priya"
            ),
            "output": (
                "Priya received the wrong colour kettle with a faulty lid and asks for the "
                "blue one to be sent plus a prepaid label to return the damaged one."
            ),
        },
        {
            "instruction": TWO,
            "input": (
                "Version 2.4 of the note-taking app adds offline editing, so changes made "
                "without a connection are saved and synced later. Search is now about three "
                "times faster on large notebooks. The update also removes the old export to "
                "the legacy .nbk format, which fewer than one percent of users still chose; "
                "those users are asked to export to Markdown instead."
            ),
            "output": (
                "Version 2.4 brings offline editing with later syncing and search that is "
                "about three times faster. It drops the rarely used .nbk export, pointing "
                "those users to Markdown."
            ),
        },
        {
            "instruction": ONE,
            "input": (
                "The team met on Monday to review the launch plan. Marketing confirmed the "
                "press release is ready, but the payment provider has not yet approved the "
                "new checkout page. Everyone agreed to keep the launch date of 14 May only if "
                "approval arrives by Friday; otherwise the launch moves one week later."
            ),
            "output": (
                "The 14 May launch stands only if the payment provider approves the new "
                "checkout page by Friday, otherwise it slips by a week."
            ),
        },
        {
            "instruction": HEADLINE,
            "input": (
                "A volunteer group spent six weekends clearing plastic from the banks of the "
                "Elm Brook. They collected 1.2 tonnes of waste, mostly bottles and food "
                "packaging, and found that the worst stretch lay below the motorway bridge. "
                "The group has asked the county to install litter traps there."
            ),
            "output": (
                "Volunteers pull 1.2 tonnes of plastic from Elm Brook and ask for litter traps"
            ),
        },
        {
            "instruction": ONE,
            "input": (
                "Bread goes stale mainly because its starch slowly recrystallises after "
                "baking, which pushes water out of the crumb and makes it firm and dry. This "
                "happens fastest at fridge temperatures, so bread kept in the fridge hardens "
                "sooner than bread left on the counter. Freezing stops the process almost "
                "completely, and gentle reheating can reverse part of it."
            ),
            "output": (
                "Bread stales as its starch recrystallises, a process that is fastest in the "
                "fridge, halted by freezing and partly reversed by reheating."
            ),
        },
        {
            "instruction": TWO,
            "input": (
                "On Tuesday evening the booking website was unavailable for 47 minutes. The "
                "cause was a certificate that expired because its automatic renewal had been "
                "switched off during a server migration in March. Engineers renewed it by hand "
                "and have added an alert that fires thirty days before any certificate expires."
            ),
            "output": (
                "The booking website was down for 47 minutes on Tuesday because a certificate "
                "expired after its auto-renewal was disabled during a migration. It was "
                "renewed manually, and an alert now warns thirty days before expiry."
            ),
        },
        {
            "instruction": ONE,
            "input": (
                "The two-bedroom flat is on the third floor of a building with a lift, ten "
                "minutes on foot from the tram stop. It has a south-facing balcony, a newly "
                "fitted kitchen and storage in the basement. Rent is 1,150 euros a month "
                "including heating, and it is available from 1 October."
            ),
            "output": (
                "A third-floor two-bedroom flat near the tram with a south-facing balcony and "
                "new kitchen rents for 1,150 euros a month including heating from 1 October."
            ),
        },
        {
            "instruction": HEADLINE,
            "input": (
                "The home side trailed 2-0 at half-time after two goals from corners. A "
                "tactical switch to three at the back changed the game: they scored in the "
                "58th and 71st minutes, and a late header from the substitute Okafor in "
                "stoppage time completed a 3-2 win that lifts them out of the relegation zone."
            ),
            "output": "Late Okafor header completes comeback from 2-0 down and lifts side out of "
            "relegation zone",
        },
        {
            "instruction": TWO,
            "input": (
                "In a twelve-week trial, 180 office workers were split into two groups. One "
                "group took a ten-minute walk after lunch each day and the other did not. The "
                "walkers reported less afternoon tiredness and slept slightly longer, although "
                "their measured blood pressure did not change. The authors call for a larger "
                "study over a longer period."
            ),
            "output": (
                "In a twelve-week trial with 180 office workers, a daily ten-minute walk after "
                "lunch reduced afternoon tiredness and slightly lengthened sleep without "
                "changing blood pressure. The authors want a larger, longer study."
            ),
        },
    ),
)

register_task(TASK)
