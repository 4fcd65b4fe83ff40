"""Clock times and pause ends from what someone typed, in Dutch or English.

Vague answers ("na het eten", "9 of 10 uur") give None, so the bot can kindly ask again.
"""
from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from re import Match, Pattern
from typing import Callable, Dict, Iterable, List, Optional, Tuple

MAX_TIME_TEXT = 60
MAX_PAUSE_TEXT = 200
MAX_PAUSE_DAYS = 366

_Raw = Optional[Tuple[int, int, Optional[str]]]  # hour (24h or clock face), minute, "am"/"pm" suffix
_ONE_DAY = datetime.timedelta(days=1)


def _words(*tables: Dict[str, int]) -> str:
    """A regex alternation of the keys, longest first; spaces match any whitespace or a hyphen."""
    keys = sorted({key for table in tables for key in table}, key=len, reverse=True)
    return "|".join(re.escape(key).replace(r"\ ", r"[\s-]*") for key in keys)


def _value(token: str, *tables: Dict[str, int]) -> int:
    """The number a digit string or number word stands for."""
    if token.isascii() and token.isdigit():
        return int(token)
    key = re.sub(r"[\s-]+", "", token)
    for table in tables:
        for word, value in table.items():
            if word.replace(" ", "") == key:
                return value
    raise ValueError(token)


_HOURS_NL = {
    "een": 1, "één": 1, "eén": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6,
    "zeven": 7, "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12,
}
_HOURS_EN = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_MINUTES_NL = {"dertien": 13, "veertien": 14, "kwart": 15, "twintig": 20, "vijfentwintig": 25}
_MINUTES_EN = {"thirteen": 13, "fourteen": 14, "quarter": 15, "twenty": 20, "twenty five": 25, "half": 30}

_DIGITS = r"[0-9]{1,2}(?![0-9])"
_HOUR = rf"(?:{_DIGITS}|(?:{_words(_HOURS_NL, _HOURS_EN)})\b)"
_HOUR_NL = rf"(?:{_DIGITS}|(?:{_words(_HOURS_NL)})\b)"
_MIN_NL = rf"(?:{_DIGITS}|(?:{_words(_HOURS_NL, _MINUTES_NL)})\b)"
_MIN_EN = rf"(?:{_DIGITS}|(?:{_words(_HOURS_EN, _MINUTES_EN)})\b)"
_SUFFIX = r"(?:\s*(?P<sfx>[ap])\.?\s?m\b\.?)?"  # am, pm, a.m., p.m.


def _hour(match: Match[str]) -> int:
    return _value(match["h"], _HOURS_NL, _HOURS_EN)


def _minute(match: Match[str]) -> int:
    return _value(match["m"], _HOURS_NL, _HOURS_EN, _MINUTES_NL, _MINUTES_EN)


def _back_one(hour: int) -> int:
    """The hour before a clock-face hour: "kwart voor een" is 12:45, not 0:45."""
    return 12 if hour == 1 else hour - 1


def _clock(match: Match[str]) -> Tuple[int, int]:
    return _hour(match), int(match["m"])


def _half_nl(match: Match[str]) -> Optional[Tuple[int, int]]:
    """Dutch "half negen" is 8:30; "vijf voor half negen" is 8:25."""
    shift = _minute(match) if match["m"] else 0
    if not 0 <= shift < 30:
        return None
    return _back_one(_hour(match)), 30 + (shift if match["dir"] == "over" else -shift)


def _relative(match: Match[str]) -> Optional[Tuple[int, int]]:
    """"kwart over acht", "ten past eight", "quarter to nine"."""
    minutes = _minute(match)
    if not 0 < minutes <= 30:
        return None
    if match["dir"] in ("over", "past", "after"):
        return _hour(match), minutes
    return (_back_one(_hour(match)), 60 - minutes) if minutes < 30 else None


# Tried in order; each match is blanked out before the next pattern looks.
_TIME_PATTERNS: List[Tuple[Pattern[str], Callable[[Match[str]], Optional[Tuple[int, int]]]]] = [
    (re.compile(p), handle)
    for p, handle in (
        (rf"\b(?P<h>{_DIGITS})\s*(?:[:.]|[uh])\s*(?P<m>[0-9]{{2}})(?![0-9])(?:\s*(?:uur|u|h)\b)?{_SUFFIX}", _clock),
        (rf"\b(?:(?P<m>{_MIN_NL})\s+(?P<dir>over|voor)\s+)?half\s+(?P<h>{_HOUR_NL}){_SUFFIX}", _half_nl),
        (rf"\b(?P<m>{_MIN_NL})\s+(?:minuten\s+)?(?P<dir>over|voor)\s+(?P<h>{_HOUR}){_SUFFIX}", _relative),
        (rf"\b(?:a\s+)?(?P<m>{_MIN_EN})\s+(?:minutes?\s+)?(?P<dir>past|after|to|till|til|before)\s+"
         rf"(?P<h>{_HOUR}){_SUFFIX}", _relative),
        (r"\b(?:12\s*)?(?:noon|midday)\b", lambda match: (12, 0)),
        (r"\b(?:12\s*)?(?:midnight|middernacht)\b", lambda match: (0, 0)),
        (rf"\b(?P<h>{_HOUR})(?:\s*(?:uur|u|h|o'?\s?clock|oclock)\b)?{_SUFFIX}", lambda match: (_hour(match), 0)),
    )
]

# Part of the day named in words ("'s avonds", "in the morning"): the "'s" and "in the" are filler.
_PERIODS: List[Tuple[Pattern[str], str]] = [
    (re.compile(rf"\b(?:{p})\b"), period)
    for p, period in (
        (r"s?nachts|nacht|night|vannacht", "night"),
        (r"s?avonds|avond|s?middags|middag|s?namiddags|namiddag|evening|afternoon|tonight|vanavond|vanmiddag", "pm"),
        (r"s?ochtends|ochtend|s?morgens|(?:elke|iedere)\s+morgen|voormiddag|morning|vanochtend|vanmorgen", "am"),
    )
]

# Words that may stand around a time without changing it.
_TIME_FILLER = frozenset(
    "om rond rondom omstreeks ongeveer circa ca tegen graag liefst bij voorkeur elke iedere dag dagelijks "
    "op de het uur ik wil zou willen wel maar doe doen dan ja oké oke ok okay prima aub alsjeblieft "
    "alstublieft svp zo even uhm eh euh hmm mij me mijn oefening oefeningen herinnering tijd is wordt s "
    "at around about approximately roughly every each day daily please pls plz i i'd id would like want "
    "it the in on yes yeah sure my exercise exercises reminder time make let's lets say um uh by".split()
)


def _normalize(text: str) -> str:
    return re.sub(r"[’‘`´]", "'", text.lower())


def _scan(pattern: Pattern[str], text: str, handle: Callable[[Match[str]], object], found: List) -> str:
    """Collect handle(match) for every match (None for an impossible value) and blank the matches out."""

    def blank(match: Match[str]) -> str:
        try:
            found.append(handle(match))
        except (ValueError, OverflowError, KeyError):
            found.append(None)
        return " "

    return pattern.sub(blank, text)


def _only_filler(rest: str, filler: Iterable[str]) -> bool:
    """True when what is left holds only filler words, spaces, punctuation and emoji."""
    for token in re.findall(r"[\w']+", rest):
        if token.strip("'") and token.strip("'") not in filler:
            return False
    return all(
        char.isspace() or char in "\u200d\ufe0f" or unicodedata.category(char)[0] in "PSZ"
        for char in re.sub(r"[\w']+", "", rest)
    )


def _to_24h(hour: int, suffix: Optional[str], period: Optional[str]) -> Optional[int]:
    """The hour after am/pm or a part of the day is applied, or None when they do not fit."""
    if period == "night" or not 0 <= hour <= 23:
        return None
    if suffix:
        if (period and period != suffix) or not 1 <= hour <= 12:
            return None
        return hour % 12 + (12 if suffix == "pm" else 0)
    if period == "pm":
        return hour + 12 if 1 <= hour <= 11 else hour if hour >= 12 else None
    if period == "am":
        return hour if hour < 12 else None
    return hour


def _with_suffix(hour_minute: Optional[Tuple[int, int]], match: Match[str]) -> _Raw:
    if hour_minute is None:
        return None
    suffix = match.groupdict().get("sfx")
    return hour_minute[0], hour_minute[1], suffix and suffix + "m"


def _to_time(raw: _Raw, period: Optional[str]) -> Optional[datetime.time]:
    if raw is None or not 0 <= raw[1] <= 59:
        return None
    hour = _to_24h(raw[0], raw[2], period)
    return None if hour is None else datetime.time(hour, raw[1])


def parse_time(text: str) -> Optional[datetime.time]:
    """A clock time from what someone typed, or None when it is not a clear time."""
    if not isinstance(text, str) or len(text) > MAX_TIME_TEXT:
        return None
    rest = _normalize(text)
    raws: List[_Raw] = []
    for pattern, handle in _TIME_PATTERNS:
        rest = _scan(pattern, rest, lambda m, h=handle: _with_suffix(h(m), m), raws)
    periods: List[str] = []
    for pattern, period in _PERIODS:
        rest = _scan(pattern, rest, lambda m, p=period: p, periods)
    if not raws or len(set(periods)) > 1 or not _only_filler(rest, _TIME_FILLER):
        return None
    period = periods[0] if periods else None
    results = {_to_time(raw, period) for raw in raws}
    return results.pop() if len(results) == 1 else None


def format_time(value: datetime.time, language: str = "nl") -> str:
    """The time as the bot writes it: 24-hour "09:00" in every language."""
    return f"{value.hour:02d}:{value.minute:02d}"


# --- pauses -----------------------------------------------------------------------------------------

_COUNTS = {**_HOURS_NL, **_HOURS_EN, "a": 1, "an": 1, "veertien": 14, "fourteen": 14, "dertig": 30, "thirty": 30}
_UNIT_DAYS = {
    "dag": 1, "dagen": 1, "dagje": 1, "dagjes": 1, "day": 1, "days": 1,
    "week": 7, "weken": 7, "weekje": 7, "weekjes": 7, "weeks": 7, "wk": 7,
    "maand": 0, "maanden": 0, "maandje": 0, "month": 0, "months": 0,  # 0: calendar months
}
_WEEKDAYS = {
    **{name: i for i, name in enumerate("maandag dinsdag woensdag donderdag vrijdag zaterdag zondag".split())},
    **{name: i for i, name in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())},
}
_MONTHS = {
    **{name: i for i, name in enumerate(
        "januari februari maart april mei juni juli augustus september oktober november december".split(), 1)},
    **{name: i for i, name in enumerate(
        "january february march april may june july august september october november december".split(), 1)},
    **{name: i for i, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)},
    "mrt": 3, "okt": 10, "sept": 9,
}
_COUNT = rf"(?:[0-9]{{1,3}}(?![0-9])|(?:{_words(_COUNTS)})\b)"
_UNIT = rf"(?:{_words(_UNIT_DAYS)})\b"
_MONTH = rf"(?:{_words(_MONTHS)})\b\.?"
_WEEKDAY = rf"(?:{_words(_WEEKDAYS)})\b"
_YEAR = r"(?P<y>[0-9]{4}|[0-9]{2})(?![0-9])"
# "tot" and "until" name the day exercises come again; "tot en met" and "through" the last day of the pause.
_UNTIL = (
    r"\b(?:(?P<incl>tot\s+en\s+met|t\s*/\s*m|tm|through|thru)|tot|until|untill|till|til)\s+"
    r"(?:(?:next|volgende|aanstaande|komende|this|deze|de|the)\s+)?"
)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _duration(match: Match[str], today: datetime.date) -> datetime.date:
    count = _value(match["n"], _COUNTS)
    days = _UNIT_DAYS[match["unit"]]
    if count > MAX_PAUSE_DAYS:
        raise ValueError("too long")
    return today + datetime.timedelta(days=count * days) if days else _add_months(today, count)


def _weekday(match: Match[str], today: datetime.date, earliest: datetime.date) -> datetime.date:
    return earliest + datetime.timedelta(days=(_WEEKDAYS[match["wd"]] - earliest.weekday()) % 7)


def _tomorrow(match: Match[str], today: datetime.date, earliest: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=1 if match["tm"] in ("morgen", "tomorrow") else 2)


def _calendar_date(match: Match[str], today: datetime.date, earliest: datetime.date) -> Optional[datetime.date]:
    """The day and month given, in the given year or else the first one on or after earliest."""
    day = int(match["d"])
    month = _value(match["mon"].rstrip("."), _MONTHS)
    if match["y"]:
        year = int(match["y"])
        return datetime.date(year + 2000 if year < 100 else year, month, day)
    for year in (earliest.year, earliest.year + 1):
        try:
            candidate = datetime.date(year, month, day)
        except ValueError:
            continue
        if candidate >= earliest:
            return candidate
    return None


def _until(resolve: Callable[[Match[str], datetime.date, datetime.date], Optional[datetime.date]]):
    """Wrap a day resolver: "tot" gives that day, "tot en met" the day after."""

    def handle(match: Match[str], today: datetime.date) -> Optional[datetime.date]:
        inclusive = match["incl"] is not None
        day = resolve(match, today, today if inclusive else today + _ONE_DAY)
        return day + _ONE_DAY if day and inclusive else day

    return handle


def _never(match: Match[str], today: datetime.date) -> None:
    """A vague span such as "2-3 weken" or "een week of twee"."""
    return None


_PAUSE_PATTERNS: List[Tuple[Pattern[str], Callable[[Match[str], datetime.date], Optional[datetime.date]]]] = [
    (re.compile(p), handle)
    for p, handle in (
        (rf"\b{_COUNT}\s*(?:-|–|of|or|à|á|a|tot|to)\s*{_COUNT}\s*{_UNIT}", _never),
        (rf"\b(?:een|a)\s+{_UNIT}\s+(?:of|or)\s+{_COUNT}", _never),
        (rf"\b(?P<n>{_COUNT})\s*(?P<unit>{_UNIT})", _duration),
        (rf"{_UNTIL}(?:{_WEEKDAY}\s*,?\s+)?(?P<d>[0-9]{{1,2}})(?![0-9])(?:st|nd|rd|th|e|ste|de)?\s+(?:of\s+)?"
         rf"(?P<mon>{_MONTH})(?:\s+{_YEAR})?", _until(_calendar_date)),
        (rf"{_UNTIL}(?:{_WEEKDAY}\s*,?\s+)?(?P<mon>{_MONTH})\s+(?:the\s+)?(?P<d>[0-9]{{1,2}})(?![0-9])"
         rf"(?:st|nd|rd|th)?(?:,?\s+{_YEAR})?", _until(_calendar_date)),
        (rf"{_UNTIL}(?:{_WEEKDAY}\s*,?\s+)?(?P<d>[0-9]{{1,2}})\s*(?P<sep>[-/.])\s*(?P<mon>[0-9]{{1,2}})(?![0-9])"
         rf"(?:\s*(?P=sep)\s*{_YEAR})?", _until(_calendar_date)),
        (rf"{_UNTIL}(?P<wd>{_WEEKDAY})", _until(_weekday)),
        (rf"{_UNTIL}(?P<tm>overmorgen|morgen|(?:the\s+)?day\s+after\s+tomorrow|tomorrow)\b", _until(_tomorrow)),
    )
]


def parse_pause_until(text: str, today: datetime.date) -> Optional[datetime.date]:
    """The first day exercises come again after a pause ("pauzeer een week" -> today + 7), or None."""
    if not isinstance(text, str) or not isinstance(today, datetime.date) or len(text) > MAX_PAUSE_TEXT:
        return None
    if isinstance(today, datetime.datetime):
        today = today.date()
    rest = _normalize(text)
    found: List[Optional[datetime.date]] = []
    for pattern, handle in _PAUSE_PATTERNS:
        rest = _scan(pattern, rest, lambda m, h=handle: h(m, today), found)
    days = set(found)
    if len(days) != 1:
        return None
    day = days.pop()
    return day if day is not None and 0 < (day - today).days <= MAX_PAUSE_DAYS else None
