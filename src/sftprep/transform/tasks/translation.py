"""Translation starter: short everyday sentences between six European languages."""

from __future__ import annotations

from sftprep.transform.tasks import Task, register_task


def _pair(source: str, target: str, text: str, translation: str) -> dict[str, str]:
    return {
        "instruction": f"Translate the following text from {source} into {target}.",
        "input": text,
        "output": translation,
    }


TASK = Task(
    name="translation",
    description="translate a sentence between English, French, German, Spanish, Italian "
    "and Portuguese",
    native="alpaca",
    default_format="alpaca",
    system=(
        "You are a careful translator. Translate the user's text faithfully and naturally "
        "into the requested language and reply with the translation only."
    ),
    records=(
        _pair(
            "English",
            "French",
            "The library closes early on Fridays, so please return your books before four o'clock.",
            "La bibliothèque ferme tôt le vendredi, alors merci de rendre vos livres avant "
            "seize heures.",
        ),
        _pair(
            "English",
            "Spanish",
            "Could you tell me where the nearest train station is?",
            "¿Podría decirme dónde está la estación de tren más cercana?",
        ),
        _pair(
            "English",
            "German",
            "We have moved the meeting to next Tuesday because two colleagues are ill.",
            "Wir haben die Besprechung auf nächsten Dienstag verschoben, weil zwei Kollegen "
            "krank sind.",
        ),
        _pair(
            "French",
            "English",
            "Il pleut depuis ce matin, mais le marché reste ouvert jusqu'à midi.",
            "It has been raining since this morning, but the market stays open until noon.",
        ),
        _pair(
            "Spanish",
            "English",
            "Mi abuela cultiva tomates y pimientos en un pequeño huerto detrás de su casa.",
            "My grandmother grows tomatoes and peppers in a small vegetable garden behind "
            "her house.",
        ),
        _pair(
            "German",
            "English",
            "Der Zug hatte zwanzig Minuten Verspätung, deshalb habe ich meinen Anschluss verpasst.",
            "The train was twenty minutes late, so I missed my connection.",
        ),
        _pair(
            "English",
            "Italian",
            "Entry to the museum is free for children under twelve.",
            "L'ingresso al museo è gratuito per i bambini sotto i dodici anni.",
        ),
        _pair(
            "Portuguese",
            "English",
            "Esqueci o guarda-chuva no escritório e cheguei a casa encharcado.",
            "I left my umbrella at the office and got home soaked.",
        ),
        _pair(
            "English",
            "Portuguese",
            "Please turn off the lights when you leave the room.",
            "Por favor, apague as luzes quando sair da sala.",
        ),
        _pair(
            "Italian",
            "English",
            "Domani andiamo al mare se il tempo è bello.",
            "Tomorrow we are going to the seaside if the weather is nice.",
        ),
        _pair(
            "English",
            "Spanish",
            "The recipe needs two cups of flour, one egg and a pinch of salt.",
            "La receta lleva dos tazas de harina, un huevo y una pizca de sal.",
        ),
        _pair(
            "English",
            "German",
            "How long does it take to walk to the castle from here?",
            "Wie lange braucht man von hier zu Fuß bis zur Burg?",
        ),
    ),
)

register_task(TASK)
