"""Times and pause ends typed in Dutch or English (bot/timeparse.py)."""
from __future__ import annotations

import datetime
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.timeparse import MAX_PAUSE_DAYS, format_time, parse_pause_until, parse_time

# No example database on disk, no deadline on a busy CI machine.
SETTINGS = settings(database=None, deadline=None, max_examples=300)
TODAY = datetime.date(2024, 3, 13)  # a Wednesday in a leap year

WORDS = (
    "om at graag rond elke dag half kwart over voor past to quarter een twee acht negen twaalf eight nine "
    "twelve 9 12 23 0 25 75 : . u uur h pm am p.m. 's avonds ochtends middags nachts morning evening night "
    "noon midnight of or tot until t/m tot en met maandag monday vrijdag 5 december dec may 05-12 5/12 "
    "week weken weeks dagen days maand month a twee two - 2024 🙂 ! ? , \x00 \ud800"
).split()
word_salad = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)


def hhmm(value: Optional[datetime.time]) -> Optional[str]:
    return None if value is None else format_time(value, "nl")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("09:00", "09:00"), ("9:00", "09:00"), ("9.00", "09:00"), ("20:15", "20:15"), ("20.15", "20:15"),
        ("9u", "09:00"), ("9 uur", "09:00"), ("21 uur", "21:00"), ("om 9", "09:00"), ("9", "09:00"),
        ("0", "00:00"), ("9u30", "09:30"), ("om 21.00u", "21:00"), ("23:59", "23:59"),
        ("half negen", "08:30"), ("om half negen", "08:30"), ("half 9", "08:30"), ("OM HALF NEGEN", "08:30"),
        ("half een", "12:30"), ("kwart over acht", "08:15"), ("kwart voor negen", "08:45"),
        ("tien over acht", "08:10"), ("vijf voor half negen", "08:25"), ("vijf over half negen", "08:35"),
        ("'s avonds om 8", "20:00"), ("8 uur 's avonds", "20:00"), ("om acht uur 's avonds", "20:00"),
        ("’s avonds 8 uur", "20:00"), ("half twaalf 's avonds", "23:30"), ("elke avond om 9", "21:00"),
        ("'s ochtends om 7", "07:00"), ("'s morgens 7 uur", "07:00"), ("elke ochtend om 8", "08:00"),
        ("'s middags 3 uur", "15:00"), ("12 uur 's middags", "12:00"),
        ("Graag om 9 uur!", "09:00"), ("Elke dag om 7:30.", "07:30"), ("rond 8 uur", "08:00"),
        ("9 uur 👍", "09:00"),
        ("8pm", "20:00"), ("8 pm", "20:00"), ("8 p.m.", "20:00"), ("8:30 am", "08:30"), ("8.30pm", "20:30"),
        ("one pm", "13:00"), ("half past eight", "08:30"), ("quarter to nine", "08:45"),
        ("quarter past 8", "08:15"), ("a quarter to one", "12:45"), ("twenty-five past 8", "08:25"),
        ("at 7 in the evening", "19:00"), ("tonight at 9", "21:00"), ("at 8 o'clock", "08:00"),
        ("every day at 7am please", "07:00"),
        ("noon", "12:00"), ("12 noon", "12:00"), ("midnight", "00:00"), ("middernacht", "00:00"),
        ("12am", "00:00"), ("12pm", "12:00"),
    ],
)
def test_clear_times(text: str, expected: str) -> None:
    assert hhmm(parse_time(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "na het eten", "after dinner", "soms", "morgen", "later", "25:00", "24 uur", "9:75", "13pm", "0pm",
        "", "   ", "🙂", "⏰", "2015", "9 of 10 uur", "9 or 10", "9:00-10:00", "tussen 9 en 10",
        "om een uur of negen", "'s nachts om 3", "at 2 at night", "8am in the evening", "half eight",
        "ergens in de ochtend", "\ud800", "9\x00", "om 9 uur " + "x" * 60, "9" * 10_000,
    ],
)
def test_vague_or_impossible_times(text: str) -> None:
    assert parse_time(text) is None


def test_every_clock_time_in_three_spellings() -> None:
    wrong = [
        text
        for h in range(24)
        for m in range(60)
        for text in (f"{h:02d}:{m:02d}", f"{h}:{m:02d}", f"om {h}.{m:02d} uur")
        if parse_time(text) != datetime.time(h, m)
    ]
    assert wrong == []


@SETTINGS
@given(
    st.integers(1, 11),
    st.integers(0, 59),
    st.sampled_from(["{h}pm", "{h} pm", "{h}:{m:02d} pm", "{h}.{m:02d}pm", "{h}:{m:02d} p.m.", "at {h}:{m:02d}PM"]),
)
def test_pm_adds_twelve_hours(h: int, m: int, spelling: str) -> None:
    minute = m if "{m" in spelling else 0
    assert parse_time(spelling.format(h=h, m=m)) == datetime.time(h + 12, minute)
    assert parse_time(spelling.replace("p", "a").replace("P", "A").format(h=h, m=m)) == datetime.time(h, minute)


@SETTINGS
@given(st.one_of(st.text(), st.text(max_size=60), word_salad))
def test_parse_time_never_raises(text: str) -> None:
    assert parse_time(text) is None or isinstance(parse_time(text), datetime.time)


@SETTINGS
@given(st.times(), st.sampled_from(["nl", "en"]))
def test_format_time_round_trips(value: datetime.time, language: str) -> None:
    written = format_time(value, language)
    assert written == f"{value.hour:02d}:{value.minute:02d}"
    assert format_time(parse_time(written), language) == written


@pytest.mark.parametrize(
    "text, expected",
    [
        ("pauzeer een week", "2024-03-20"), ("een week pauze", "2024-03-20"), ("pause for a week", "2024-03-20"),
        ("een weekje", "2024-03-20"), ("twee weken", "2024-03-27"), ("2 weken", "2024-03-27"),
        ("two weeks", "2024-03-27"), ("3 days", "2024-03-16"), ("drie dagen", "2024-03-16"),
        ("een maand", "2024-04-13"), ("366 dagen", "2025-03-14"),
        ("tot maandag", "2024-03-18"), ("until Monday", "2024-03-18"), ("tot woensdag", "2024-03-20"),
        ("until next friday", "2024-03-15"), ("tot en met vrijdag", "2024-03-16"), ("t/m woensdag", "2024-03-14"),
        ("tot morgen", "2024-03-14"), ("until the day after tomorrow", "2024-03-15"),
        ("tot 5 december", "2024-12-05"), ("until 5 December", "2024-12-05"), ("until December 5", "2024-12-05"),
        ("until the 5th of december", "2024-12-05"), ("tot 05-12", "2024-12-05"), ("tot 5/12", "2024-12-05"),
        ("tot vrijdag 15 maart", "2024-03-15"), ("t/m 5 december", "2024-12-06"),
        ("tot 1 maart", "2025-03-01"), ("tot 13 maart", "2025-03-13"), ("tot 14 maart 2025", "2025-03-14"),
        ("Ik ga op vakantie, pauzeer twee weken!", "2024-03-27"),
    ],
)
def test_pause_until(text: str, expected: str) -> None:
    assert parse_pause_until(text, TODAY) == datetime.date.fromisoformat(expected)


@pytest.mark.parametrize(
    "text",
    [
        "pauzeer", "even niet", "later", "", "🙂", "0 dagen", "367 dagen", "400 dagen", "tot 31 februari",
        "tot 15 maart 2025", "tot 5/12/2023", "tot 9.30", "een week of twee", "twee of drie weken", "2-3 weken",
        "een paar dagen", "tot volgende week", "pause for a week until monday", "\ud800", "x" * 10_000,
    ],
)
def test_no_clear_pause(text: str) -> None:
    assert parse_pause_until(text, TODAY) is None


def test_a_month_ends_at_the_end_of_a_short_month() -> None:
    assert parse_pause_until("een maand", datetime.date(2024, 1, 31)) == datetime.date(2024, 2, 29)


@SETTINGS
@given(st.dates(), st.integers(1, 60))
def test_weeks_are_seven_days_up_to_the_limit(today: datetime.date, weeks: int) -> None:
    result = parse_pause_until(f"pauzeer {weeks} weken", today)
    if 7 * weeks > MAX_PAUSE_DAYS or today > datetime.date.max - datetime.timedelta(days=7 * weeks):
        assert result is None
    else:
        assert result == today + datetime.timedelta(days=7 * weeks)


@SETTINGS
@given(st.dates(max_value=datetime.date(9998, 1, 1)), st.sampled_from(range(7)), st.sampled_from(["tot", "until"]))
def test_weekday_is_the_next_one_strictly_after_today(today: datetime.date, weekday: int, word: str) -> None:
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    result = parse_pause_until(f"{word} {names[weekday]}", today)
    assert result is not None and result.weekday() == weekday and 1 <= (result - today).days <= 7


@SETTINGS
@given(st.one_of(st.text(), st.text(max_size=60), word_salad), st.dates())
def test_pause_never_raises_and_stays_in_range(text: str, today: datetime.date) -> None:
    result = parse_pause_until(text, today)
    assert result is None or 1 <= (result - today).days <= MAX_PAUSE_DAYS
