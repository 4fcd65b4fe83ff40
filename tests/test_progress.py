"""Progress summary and chart for the daily micro-exercises (bot/progress.py)."""
from __future__ import annotations

import io
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Dict, Optional

import pytest
from PIL import Image

from bot.progress import (
    CATEGORIES,
    History,
    chart_weeks,
    favourite_category,
    is_empty,
    render_png,
    summary,
    week_start,
    weeks_in_a_row,
)

ROOT = Path(__file__).resolve().parent.parent


def wk(year: int, week: int) -> str:
    """ISO week key, checked against the real ISO calendar."""
    date.fromisocalendar(year, week, 1)
    return f"{year}-W{week:02d}"


def day_in(year: int, week: int, weekday: int = 3) -> date:
    return date.fromisocalendar(year, week, weekday)


def history(
    done: Optional[Dict[str, int]] = None,
    checkins: Optional[Dict[str, int]] = None,
    categories: Optional[Dict[str, int]] = None,
    today: date = day_in(2026, 48),
) -> History:
    return History(done or {}, checkins or {}, categories or {}, today)


EMPTY = history()
TYPICAL = history(
    done={wk(2026, 44): 2, wk(2026, 46): 3, wk(2026, 47): 2, wk(2026, 48): 2},
    checkins={wk(2026, 44): 7, wk(2026, 46): 6, wk(2026, 48): 5},
    categories={"gratitude": 4, "kindness": 3, "savouring": 2},
)


# --- is_empty / summary ---------------------------------------------------------------------------


def test_empty_history_gets_an_encouraging_line() -> None:
    assert is_empty(EMPTY)
    assert is_empty(history(done={wk(2026, 47): 0}))
    assert summary(EMPTY, "nl") == "Nog niets om te laten zien — je eerste oefening staat klaar wanneer jij wilt."
    assert summary(EMPTY, "en") == "Nothing to show yet — your first exercise is ready whenever you are."


def test_one_exercise_is_singular() -> None:
    one = history(done={wk(2026, 48): 1}, categories={"savouring": 1})
    assert not is_empty(one)
    assert summary(one, "nl") == "Je deed 1 oefening in 1 week. Je favoriet: genieten."
    assert summary(one, "en") == "You did 1 exercise in 1 week. Your favourite: savouring."


def test_typical_history_with_gap_and_falling_checkins() -> None:
    assert summary(TYPICAL, "nl") == (
        "Je deed 9 oefeningen in 4 weken, 3 weken op rij. Je favoriet: dankbaarheid. "
        "Je cijfer voor eenzaamheid ging van 7 naar 5."
    )
    assert summary(TYPICAL, "en") == (
        "You did 9 exercises in 4 weeks, 3 weeks in a row. Your favourite: gratitude. "
        "Your score for loneliness went from 7 to 5."
    )


def test_no_streak_mentioned_after_a_break() -> None:
    paused = history(done={wk(2026, 40): 3, wk(2026, 41): 2}, today=day_in(2026, 48))
    assert summary(paused, "nl") == "Je deed 5 oefeningen in 2 weken."
    assert summary(paused, "en") == "You did 5 exercises in 2 weeks."


def test_rising_checkins_are_mentioned_kindly_without_advice() -> None:
    rising = history(done={wk(2026, 48): 2}, checkins={wk(2026, 47): 4, wk(2026, 48): 6})
    nl, en = summary(rising, "nl"), summary(rising, "en")
    assert nl == "Je deed 2 oefeningen in 1 week. Je cijfer voor eenzaamheid ging van 4 naar 6; elke week is anders, en dat mag."
    assert en == "You did 2 exercises in 1 week. Your score for loneliness went from 4 to 6; every week is different, and that's okay."
    for text in (nl, en):
        assert "!" not in text
        assert not any(word in text.lower() for word in ("worse", "slechter", "huisarts", "doctor", "should", "moet"))


def test_unchanged_checkins_and_order_by_week_not_by_dict() -> None:
    same = history(done={wk(2026, 48): 1}, checkins={wk(2026, 48): 5, wk(2026, 45): 5})
    assert summary(same, "nl").endswith("Je cijfer voor eenzaamheid bleef 5.")
    assert summary(same, "en").endswith("Your score for loneliness stayed at 5.")
    # Dict order says 3 -> 8, calendar order says 8 -> 3.
    unordered = history(done={wk(2026, 48): 1}, checkins={wk(2026, 48): 3, wk(2026, 46): 8})
    assert summary(unordered, "en").endswith("went from 8 to 3.")


def test_single_checkin_is_not_a_trend() -> None:
    one = history(done={wk(2026, 48): 2}, checkins={wk(2026, 48): 6})
    assert summary(one, "nl") == "Je deed 2 oefeningen in 1 week."


def test_checkins_only() -> None:
    only = history(checkins={wk(2026, 47): 8, wk(2026, 48): 6})
    assert not is_empty(only)
    assert summary(only, "nl") == (
        "Je checkte 2 keer in. Je cijfer voor eenzaamheid ging van 8 naar 6. "
        "Je eerste oefening staat klaar wanneer jij wilt."
    )
    once = history(checkins={wk(2026, 48): 6})
    assert summary(once, "en") == "You checked in once. Your first exercise is ready whenever you are."


def test_favourite_tie_is_deterministic() -> None:
    forward = {"self_compassion": 3, "kindness": 3, "creativity": 1}
    backward = dict(reversed(list(forward.items())))
    for categories in (forward, backward):
        tied = history(done={wk(2026, 48): 7}, categories=categories)
        assert favourite_category(tied) == "kindness"  # earlier in CATEGORIES than self_compassion
        assert summary(tied, "nl").endswith("Je favoriet: vriendelijkheid.")
    assert favourite_category(history(done={wk(2026, 48): 1}, categories={"unknown": 5, "gratitude": 0})) is None


def test_every_category_is_translated() -> None:
    assert len(CATEGORIES) == 7
    for names in CATEGORIES.values():
        assert set(names) == {"nl", "en"} and all(names.values())


def test_summary_stays_one_short_line_in_the_longest_case() -> None:
    longest = history(
        done={wk(2026, week): 999 for week in range(1, 49)},
        checkins={wk(2026, 1): 0, wk(2026, 48): 10},
        categories={"self_compassion": 50},
    )
    for language in ("nl", "en"):
        text = summary(longest, language)
        assert "\n" not in text and len(text) <= 200
        assert "47952" in text and "48" in text and ("10" in text)


def test_unknown_language_and_bad_data_are_refused() -> None:
    with pytest.raises(ValueError):
        summary(TYPICAL, "de")
    with pytest.raises(ValueError):
        history(checkins={wk(2026, 48): 11})
    with pytest.raises(ValueError):
        history(done={"2026-48": 1})
    with pytest.raises(ValueError):
        history(done={"2025-W53": 1})  # 2025 has only 52 ISO weeks


# --- weeks_in_a_row --------------------------------------------------------------------------------


def test_streak_ends_this_week_or_last_week() -> None:
    done = {wk(2026, 45): 1, wk(2026, 46): 2, wk(2026, 47): 1}
    assert weeks_in_a_row(history(done=done, today=day_in(2026, 47))) == 3  # includes this week
    assert weeks_in_a_row(history(done=done, today=day_in(2026, 48))) == 3  # this week not started yet
    assert weeks_in_a_row(history(done=done, today=day_in(2026, 49))) == 0  # a week skipped
    assert weeks_in_a_row(history(done={**done, wk(2026, 46): 0}, today=day_in(2026, 47))) == 1
    assert weeks_in_a_row(EMPTY) == 0


def test_streak_across_a_53_week_year() -> None:
    assert date(2026, 12, 31).isocalendar()[1] == 53  # 2026 has an ISO week 53
    assert week_start(wk(2026, 53)) + timedelta(weeks=1) == week_start(wk(2027, 1))
    done = {wk(2026, 52): 1, wk(2026, 53): 2, wk(2027, 1): 1}
    assert weeks_in_a_row(history(done=done, today=day_in(2027, 2, 1))) == 3
    assert weeks_in_a_row(history(done={wk(2026, 52): 1, wk(2027, 1): 1}, today=day_in(2027, 1))) == 1


def test_streak_across_a_52_week_year() -> None:
    with pytest.raises(ValueError):
        date.fromisocalendar(2025, 53, 1)
    done = {wk(2025, 51): 1, wk(2025, 52): 1, wk(2026, 1): 1}
    assert weeks_in_a_row(history(done=done, today=day_in(2026, 1, 7))) == 3


# --- chart -----------------------------------------------------------------------------------------


def pixels(png: bytes) -> Image.Image:
    assert png[:4] == b"\x89PNG"
    image = Image.open(io.BytesIO(png))
    assert image.size == (800, 500)
    return image.convert("RGB")


def test_chart_weeks_end_this_week_and_span_at_most_12() -> None:
    weeks = chart_weeks(TYPICAL)
    assert [monday.isocalendar()[1] for monday in weeks] == [44, 45, 46, 47, 48]
    long = history(done={wk(2026, 10): 1}, checkins={wk(2026, 30): 5}, today=day_in(2027, 2))
    weeks = chart_weeks(long)
    assert len(weeks) == 12 and weeks[-1] == week_start(wk(2027, 2))
    assert week_start(wk(2026, 53)) in weeks


def test_render_typical_history() -> None:
    png = render_png(TYPICAL, "nl")
    image = pixels(png)
    assert render_png(TYPICAL, "nl") == png  # deterministic
    assert image.tobytes() != pixels(render_png(TYPICAL, "en")).tobytes()  # labels differ


def test_render_checkins_only() -> None:
    only = history(checkins={wk(2026, 46): 7, wk(2026, 47): 6, wk(2026, 48): 4})
    pixels(render_png(only, "en"))


def test_different_data_gives_different_images() -> None:
    other = history(done={wk(2026, 47): 5, wk(2026, 48): 1}, checkins={wk(2026, 47): 3})
    assert pixels(render_png(TYPICAL, "en")).tobytes() != pixels(render_png(other, "en")).tobytes()


def test_chart_has_no_red() -> None:
    image = pixels(render_png(TYPICAL, "en"))
    colours = image.getcolors(maxcolors=800 * 500)
    assert colours
    assert not [rgb for _, rgb in colours if rgb[0] > 170 and rgb[1] < 110 and rgb[2] < 110]


def test_empty_history_is_not_rendered() -> None:
    with pytest.raises(ValueError):
        render_png(EMPTY, "nl")


def test_rendering_leaves_pyplot_alone() -> None:
    code = (
        "import sys, datetime; from bot.progress import History, render_png; "
        "render_png(History({'2026-W48': 2}, {}, {}, datetime.date(2026, 11, 25)), 'nl'); "
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
