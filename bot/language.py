"""Which language someone writes in: Dutch or English, decided only when the words make it clear."""
from __future__ import annotations

import re
from typing import Optional

LANGUAGES = ("nl", "en")

# Common words that belong to one language only (words shared by both, like "is" or "me", are left out).
_DUTCH = set(
    "ik je jij mij mijn het een niet wat hoe waarom maar ook dat deze die dit er nog wel geen "
    "graag hoi hallo hoe gaat voel voelt mezelf eenzaam alleen niemand iemand vrienden mensen "
    "heb hebt heeft ben bent zijn was waren kan kun kunnen wil wilt willen moet weet weten zie "
    "cursus oefening dank bedankt ja nee doei tot ziens goedemorgen goedenavond welterusten "
    "leuk fijn misschien altijd nooit vaak soms waar wanneer omdat want dus toch echt heel "
    "van voor met naar bij uit over onder tussen zonder praten nederlands spreek spreken "
    "oké oke nou eigenlijk gewoon beetje erg veel weinig".split()
)
_ENGLISH = set(
    "i i'm im you your my the a an not what how why but also that this there still no yes "
    "hello hi hey feel feeling feels myself lonely alone nobody someone friends people "
    "have has am are was were can could want wants must know see course exercise thanks "
    "thank bye goodbye morning evening night nice maybe always never often sometimes where "
    "when because so really very of for with to at from about under between without talk "
    "english speak speaking please just little much few anyone anybody don't dont can't cant "
    "it's its do does did".split()
)
_WORD = re.compile(r"[a-zà-ÿ']+")


def detect_language(text: Optional[str]) -> Optional[str]:
    """'nl' or 'en' when the text clearly leans one way, else None (short or mixed messages)."""
    if not text or text.startswith("/"):
        return None
    words = _WORD.findall(text.lower())
    dutch = sum(word in _DUTCH for word in words)
    english = sum(word in _ENGLISH for word in words)
    if dutch >= english + 1 and dutch >= 1 and (english == 0 or dutch >= 2 * english):
        return "nl"
    if english >= dutch + 1 and english >= 1 and (dutch == 0 or english >= 2 * dutch):
        return "en"
    return None


def language_from_locale(locale: Optional[str]) -> Optional[str]:
    """'en-GB' -> 'en', 'nl_BE' -> 'nl'; other languages -> None."""
    if not locale or not isinstance(locale, str):
        return None
    code = locale.replace("_", "-").split("-", 1)[0].lower()
    return code if code in LANGUAGES else None


def requested_language(text: Optional[str]) -> Optional[str]:
    """The language someone asks for by name ("in English please", "kan het in het Nederlands?")."""
    lowered = (text or "").lower()
    if re.search(r"\b(english|engels|engelse)\b", lowered):
        return "en"
    if re.search(r"\b(dutch|nederlands|nederlandse|hollands|vlaams)\b", lowered):
        return "nl"
    return None
