""""Hoe gaat het met mijn oefeningen?": a warm one-line summary and a small PNG chart.

The chart shows exercises done per ISO week (bars, last up to 12 weeks ending this week) and the weekly
check-in ("how lonely did you feel this week", 0-10, lower = less lonely) as a line on a second axis.
The summary is also the image's alt text. No judgement, no advice, no diagnosis: just what someone did.
Rendering uses matplotlib's Agg canvas directly, so the global pyplot state is never touched.
"""
from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

WIDTH_PX, HEIGHT_PX, DPI = 800, 500, 100
CHART_WEEKS = 12
MAX_SUMMARY = 200

# Canonical order: also the tie-break when two categories are done equally often.
CATEGORIES: Dict[str, Dict[str, str]] = {
    "gratitude": {"nl": "dankbaarheid", "en": "gratitude"},
    "savouring": {"nl": "genieten", "en": "savouring"},
    "kindness": {"nl": "vriendelijkheid", "en": "kindness"},
    "creativity": {"nl": "creativiteit", "en": "creativity"},
    "playful_social": {"nl": "speels met anderen", "en": "playful with others"},
    "senses_body": {"nl": "zintuigen en lijf", "en": "senses and body"},
    "self_compassion": {"nl": "mild zijn voor jezelf", "en": "being kind to yourself"},
}

TEXTS: Dict[str, Dict[str, str]] = {
    "nl": {
        "empty": "Nog niets om te laten zien — je eerste oefening staat klaar wanneer jij wilt.",
        "did": "Je deed {exercises} in {weeks}",
        "in_a_row": ", {n} weken op rij",
        "favourite": "Je favoriet: {name}.",
        "checked_in": "Je checkte {times} in.",
        "first_exercise": "Je eerste oefening staat klaar wanneer jij wilt.",
        "trend_down": "Je cijfer voor eenzaamheid ging van {first} naar {last}.",
        "trend_up": "Je cijfer voor eenzaamheid ging van {first} naar {last}; elke week is anders, en dat mag.",
        "trend_same": "Je cijfer voor eenzaamheid bleef {last}.",
        "title": "Jouw oefeningen per week",
        "bars": "Oefeningen",
        "line": "Hoe eenzaam voelde je je (0-10)",
        "week": "wk {week}",
    },
    "en": {
        "empty": "Nothing to show yet — your first exercise is ready whenever you are.",
        "did": "You did {exercises} in {weeks}",
        "in_a_row": ", {n} weeks in a row",
        "favourite": "Your favourite: {name}.",
        "checked_in": "You checked in {times}.",
        "first_exercise": "Your first exercise is ready whenever you are.",
        "trend_down": "Your score for loneliness went from {first} to {last}.",
        "trend_up": "Your score for loneliness went from {first} to {last}; every week is different, and that's okay.",
        "trend_same": "Your score for loneliness stayed at {last}.",
        "title": "Your exercises per week",
        "bars": "Exercises",
        "line": "How lonely you felt (0-10)",
        "week": "wk {week}",
    },
}

_WORDS: Dict[str, Dict[str, Tuple[str, str]]] = {
    "nl": {"exercise": ("oefening", "oefeningen"), "week": ("week", "weken"), "time": ("keer", "keer")},
    "en": {"exercise": ("exercise", "exercises"), "week": ("week", "weeks"), "time": ("time", "times")},
}

BAR_COLOUR = "#9fcdb8"  # soft sage green
LINE_COLOUR = "#7f8fc9"  # soft lavender blue
TEXT_COLOUR = "#4a4a58"
_WEEK_KEY = re.compile(r"^(\d{4})-W(\d{1,2})$")


def week_start(key: str) -> datetime.date:
    """The Monday of an ISO week key like "2026-W48"; ValueError for a malformed or non-existent week."""
    match = _WEEK_KEY.match(key)
    if not match:
        raise ValueError(f"not an ISO week key: {key!r}")
    return datetime.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@dataclass(frozen=True)
class History:
    done_per_week: Dict[str, int]  # ISO week "2026-W48" -> exercises done that week
    checkins: Dict[str, int]  # ISO week -> 0..10 score
    categories_done: Dict[str, int]  # category key -> count
    today: datetime.date

    def __post_init__(self) -> None:
        for key, count in self.done_per_week.items():
            week_start(key)
            if count < 0:
                raise ValueError(f"negative exercise count for {key}")
        for key, score in self.checkins.items():
            week_start(key)
            if not 0 <= score <= 10:
                raise ValueError(f"check-in score for {key} must be 0..10, got {score}")

    def done_by_monday(self) -> Dict[datetime.date, int]:
        totals: Dict[datetime.date, int] = {}
        for key, count in self.done_per_week.items():
            monday = week_start(key)
            totals[monday] = totals.get(monday, 0) + count
        return totals

    def checkins_by_monday(self) -> Dict[datetime.date, int]:
        return {week_start(key): score for key, score in self.checkins.items()}


def _texts(language: str) -> Dict[str, str]:
    if language not in TEXTS:
        raise ValueError(f"language must be one of {sorted(TEXTS)}, got {language!r}")
    return TEXTS[language]


def _count(n: int, word: str, language: str) -> str:
    singular, plural = _WORDS[language][word]
    if language == "en" and word == "time" and n == 1:
        return "once"
    return f"{n} {singular if n == 1 else plural}"


def is_empty(history: History) -> bool:
    """True when there is nothing to show: no exercise done and no check-in."""
    return not any(count > 0 for count in history.done_per_week.values()) and not history.checkins


def weeks_in_a_row(history: History) -> int:
    """Consecutive ISO weeks with at least one exercise, ending with this week or last week."""
    active = {monday for monday, count in history.done_by_monday().items() if count > 0}
    week = _monday(history.today)
    if week not in active:
        week -= datetime.timedelta(weeks=1)
    streak = 0
    while week in active:
        streak += 1
        week -= datetime.timedelta(weeks=1)
    return streak


def favourite_category(history: History) -> Optional[str]:
    """The most-done known category; ties go to the first in CATEGORIES order. None when nothing was done."""
    best: Optional[str] = None
    for key in CATEGORIES:
        count = history.categories_done.get(key, 0)
        if count > 0 and (best is None or count > history.categories_done[best]):
            best = key
    return best


def _trend(history: History, texts: Dict[str, str]) -> Optional[str]:
    scores = [score for _, score in sorted(history.checkins_by_monday().items())]
    if len(scores) < 2:
        return None
    first, last = scores[0], scores[-1]
    key = "trend_down" if last < first else "trend_up" if last > first else "trend_same"
    return texts[key].format(first=first, last=last)


def summary(history: History, language: str) -> str:
    """One warm line (<= 200 characters) about what someone did; also the chart's alt text."""
    texts = _texts(language)
    if is_empty(history):
        return texts["empty"]
    done = history.done_by_monday()
    total = sum(done.values())
    trend = _trend(history, texts)
    if total == 0:
        parts = [texts["checked_in"].format(times=_count(len(history.checkins), "time", language))]
        parts += [trend] if trend else []
        parts.append(texts["first_exercise"])
        return _fit(parts)
    active_weeks = sum(1 for count in done.values() if count > 0)
    line = texts["did"].format(
        exercises=_count(total, "exercise", language), weeks=_count(active_weeks, "week", language)
    )
    streak = weeks_in_a_row(history)
    if streak >= 2:
        line += texts["in_a_row"].format(n=streak)
    parts = [line + "."]
    favourite = favourite_category(history)
    if favourite:
        parts.append(texts["favourite"].format(name=CATEGORIES[favourite][language]))
    parts += [trend] if trend else []
    return _fit(parts)


def _fit(parts: List[str]) -> str:
    """Join sentences into one line; if it would get too long, drop the middle sentences first."""
    while len(" ".join(parts)) > MAX_SUMMARY and len(parts) > 1:
        parts.pop(1)
    return " ".join(parts)[:MAX_SUMMARY]


def chart_weeks(history: History) -> List[datetime.date]:
    """Mondays shown in the chart: from the first week with data (at most 12 weeks back) up to this week."""
    this_week = _monday(history.today)
    earliest = this_week - datetime.timedelta(weeks=CHART_WEEKS - 1)
    past = [m for m in list(history.done_by_monday()) + list(history.checkins_by_monday()) if m <= this_week]
    start = max(min(past), earliest) if past else this_week
    count = (this_week - start).days // 7 + 1
    return [start + datetime.timedelta(weeks=i) for i in range(count)]


def render_png(history: History, language: str) -> bytes:
    """An 800x500 PNG: bars for exercises per week, a 0-10 line for check-ins. Not for an empty history."""
    texts = _texts(language)
    if is_empty(history):
        raise ValueError("nothing to draw for an empty history; show summary() instead")
    weeks = chart_weeks(history)
    done = history.done_by_monday()
    checkins = history.checkins_by_monday()
    positions = list(range(len(weeks)))
    counts = [done.get(monday, 0) for monday in weeks]

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    canvas = FigureCanvasAgg(figure)
    bars = figure.add_subplot(1, 1, 1)
    bars.bar(positions, counts, color=BAR_COLOUR, width=0.6)
    bars.set_ylim(0, max(max(counts) + 1, 4))
    bars.yaxis.set_major_locator(MaxNLocator(integer=True))
    bars.set_xticks(positions)
    bars.set_xticklabels([texts["week"].format(week=monday.isocalendar()[1]) for monday in weeks])
    bars.set_xlim(-0.6, len(weeks) - 0.4)
    bars.set_ylabel(texts["bars"], color=TEXT_COLOUR)
    bars.set_title(texts["title"], color=TEXT_COLOUR)

    line = bars.twinx()
    line.set_ylim(0, 10)
    line.set_ylabel(texts["line"], color=LINE_COLOUR)
    shown = [(i, checkins[monday]) for i, monday in enumerate(weeks) if monday in checkins]
    if shown:
        xs, ys = zip(*shown)
        line.plot(xs, ys, color=LINE_COLOUR, marker="o", linewidth=2)

    for axis in (bars, line):
        axis.tick_params(colors=TEXT_COLOUR)
        axis.spines["top"].set_visible(False)
    figure.tight_layout()

    buffer = io.BytesIO()
    canvas.print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()
