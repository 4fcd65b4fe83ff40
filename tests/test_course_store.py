"""Course groups and enrolments (bot/storage/course.py) against real SQLite and real PostgreSQL."""
from __future__ import annotations

import threading
from datetime import date
from typing import Iterator, List

import pytest
from sqlalchemy import func, select

from bot.storage import UserStore, make_engine, session_scope
from bot.storage.course import CourseStore, GroupFull
from bot.storage.models import CourseGroup, Enrolment
from tests.conftest import fresh_postgres_database


@pytest.fixture
def course(database_url: str) -> Iterator[CourseStore]:
    engine = make_engine(database_url)
    yield CourseStore(engine)
    engine.dispose()


def person(store: CourseStore, name: str) -> int:
    """A user id, as the bot creates one on first contact."""
    return UserStore(store.engine).record_consent("web", name).id


def enrolment_rows(store: CourseStore) -> List[Enrolment]:
    with session_scope(store.engine) as session:
        return session.execute(select(Enrolment).order_by(Enrolment.id)).scalars().all()


def add_group(store: CourseStore, title: str = "Creatief Leven Zwolle", **values) -> int:
    values.setdefault("start_date", date(2027, 2, 1))
    return store.add_group(title=title, **values)


# ---- groups ----

def test_groups_are_listed_by_start_date_with_their_free_places(course: CourseStore) -> None:
    later = add_group(course, "Utrecht", start_date=date(2027, 3, 1), capacity=3, place="Utrecht, De Pijl",
                      weekday=2, start_time="19:30", price="€ 95", teacher="Anja", region="35")
    sooner = add_group(course, "Online", start_date=date(2027, 1, 10), online=True, capacity=12)
    course.enrol(person(course, "a"), "Anna", "anna@example.nl", "web", group_id=later)
    course.enrol(person(course, "b"), "Bram", "+31612345678", "telegram", group_id=later)
    course.enrol(person(course, "c"), "Cor", "cor@example.nl", "web", group_id=later)
    course.cancel(person(course, "c"))  # a cancelled enrolment takes no place

    listed = course.groups()
    assert [g.id for g in listed] == [sooner, later]
    online, utrecht = listed
    assert (online.title, online.online, online.capacity, online.free, online.status) == ("Online", True, 12, 12, "open")
    assert (utrecht.place, utrecht.weekday, utrecht.start_time, utrecht.price, utrecht.teacher, utrecht.region) == (
        "Utrecht, De Pijl", 2, "19:30", "€ 95", "Anja", "35")
    assert (utrecht.capacity, utrecht.taken, utrecht.free, utrecht.bookable) == (3, 2, 1, True)
    assert course.group(later) == utrecht
    assert course.group(later + sooner + 100) is None


def test_a_new_group_is_open_with_twelve_places(course: CourseStore) -> None:
    group = course.group(add_group(course))
    assert (group.status, group.capacity, group.free, group.online, group.bookable) == ("open", 12, 12, False, True)


def test_only_open_groups_when_asked(course: CourseStore) -> None:
    open_one = add_group(course, "Open")
    add_group(course, "Vol", status="full")
    add_group(course, "Dicht", status="closed")
    assert [g.id for g in course.groups(only_open=True)] == [open_one]
    assert len(course.groups()) == 3


def test_edit_group_changes_what_is_stored(course: CourseStore) -> None:
    group_id = add_group(course)
    assert course.edit_group(group_id, capacity=8, place="Zwolle, De Kroon", status="closed") is True
    group = course.group(group_id)
    assert (group.capacity, group.place, group.status, group.bookable) == (8, "Zwolle, De Kroon", "closed", False)
    assert course.edit_group(group_id + 1, capacity=8) is False


@pytest.mark.parametrize(
    "values, problem",
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": 51}, "capacity"),
        ({"status": "gesloten"}, "status"),
        ({"weekday": 7}, "weekday"),
        ({"weekday": -1}, "weekday"),
        ({"colour": "blue"}, "unknown group fields: colour"),
        ({"start_time": "19:30 uur"}, "start time must be HH:MM"),  # PostgreSQL would refuse 9 characters
        ({"start_time": "25:00"}, "start time must be HH:MM"),
        ({"title": ""}, "needs a title"),
        ({"title": "   "}, "needs a title"),
        ({"title": "x" * 121}, "title may be at most 120"),
        ({"place": "x" * 201}, "place may be at most 200"),
        ({"teacher": "x" * 81}, "teacher may be at most 80"),
    ],
)
def test_bad_group_values_are_refused_and_nothing_changes(course: CourseStore, values: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        course.add_group(**{"title": "Nieuw", "start_date": date(2027, 2, 1), **values})
    assert course.groups() == []
    group_id = add_group(course, "Bestaand", capacity=10)
    before = course.group(group_id)
    with pytest.raises(ValueError, match=problem):
        course.edit_group(group_id, **values)
    assert course.group(group_id) == before


def test_values_as_long_as_the_columns_allow_are_stored(course: CourseStore) -> None:
    longest = dict(title="t" * 120, place="p" * 200, region="r" * 40, price="€" * 120, teacher="ë" * 80,
                   start_time="23:59", weekday=6, capacity=50)
    group = course.group(add_group(course, **longest))
    assert {name: getattr(group, name) for name in longest} == longest


# ---- enrolments ----

def test_enrolling_stores_what_was_given(course: CourseStore) -> None:
    group_id = add_group(course)
    user = person(course, "zoe")
    enrolment_id = course.enrol(user, "Zoë", "zoe@example.nl", "telegram", group_id=group_id, note="")
    stored = course.enrolment(enrolment_id)
    assert stored == course.enrolment_of(user)
    assert (stored.user_id, stored.group_id, stored.first_name, stored.contact, stored.channel, stored.status) == (
        user, group_id, "Zoë", "zoe@example.nl", "telegram", "new")
    assert stored.note is None  # an empty note is no note
    assert stored.created_at is not None and stored.updated_at is not None
    assert course.enrolment(enrolment_id + 1) is None
    assert course.enrolment_of(person(course, "someone else")) is None


def test_enrolling_again_updates_the_one_enrolment(course: CourseStore) -> None:
    first_group, second_group = add_group(course, "Eerste"), add_group(course, "Tweede")
    user = person(course, "sam")
    first = course.enrol(user, "Sam", "sam@example.nl", "web", group_id=first_group)
    course.set_status(first, "contacted")
    again = course.enrol(user, "Samuel", "+31612345678", "web", group_id=second_group, note="liever 's avonds")
    assert again == first
    rows = enrolment_rows(course)
    assert len(rows) == 1
    assert (rows[0].first_name, rows[0].contact, rows[0].group_id, rows[0].note, rows[0].status) == (
        "Samuel", "+31612345678", second_group, "liever 's avonds", "new")
    assert course.group(first_group).free == 12
    assert course.group(second_group).free == 11
    # to the waiting list, and back: still the same row
    assert course.enrol(user, "Sam", "sam@example.nl", "web", group_id=None, region="35") == first
    assert course.group(second_group).free == 12
    assert len(enrolment_rows(course)) == 1
    assert course.enrolment_of(user).region == "35"


def test_enrolling_again_in_a_full_group_one_is_already_in_keeps_the_place(course: CourseStore) -> None:
    group_id = add_group(course, capacity=1)
    user = person(course, "sam")
    enrolment_id = course.enrol(user, "Sam", "sam@example.nl", "web", group_id=group_id)
    assert course.enrol(user, "Sam", "sam@example.nl", "web", group_id=group_id, note="nieuw") == enrolment_id
    assert course.enrolment_of(user).note == "nieuw"
    assert course.group(group_id).free == 0


def test_a_full_group_raises_group_full_and_stores_nothing(course: CourseStore) -> None:
    group_id = add_group(course, capacity=2)
    course.enrol(person(course, "a"), "Anna", "anna@example.nl", "web", group_id=group_id)
    course.enrol(person(course, "b"), "Bram", "bram@example.nl", "web", group_id=group_id)
    assert course.group(group_id).bookable is False
    late = person(course, "c")
    with pytest.raises(GroupFull):
        course.enrol(late, "Cor", "cor@example.nl", "web", group_id=group_id)
    assert course.enrolment_of(late) is None
    assert len(enrolment_rows(course)) == 2
    assert course.group(group_id).free == 0


def test_a_full_group_leaves_an_existing_enrolment_as_it_was(course: CourseStore) -> None:
    group_id = add_group(course, capacity=1)
    course.enrol(person(course, "a"), "Anna", "anna@example.nl", "web", group_id=group_id)
    waiting = person(course, "w")
    course.enrol(waiting, "Wim", "wim@example.nl", "web", region="80")
    before = course.enrolment_of(waiting)
    with pytest.raises(GroupFull):
        course.enrol(waiting, "Willem", "willem@example.nl", "web", group_id=group_id)
    assert course.enrolment_of(waiting) == before


@pytest.mark.parametrize("status", ["full", "closed"])
def test_a_group_that_is_not_open_takes_nobody(course: CourseStore, status: str) -> None:
    group_id = add_group(course, status=status)
    user = person(course, "sam")
    with pytest.raises(GroupFull):
        course.enrol(user, "Sam", "sam@example.nl", "web", group_id=group_id)
    assert course.enrolment_of(user) is None
    assert course.group(group_id).free == 12 and course.group(group_id).bookable is False


def test_a_group_that_does_not_exist_takes_nobody(course: CourseStore) -> None:
    user = person(course, "sam")
    with pytest.raises(GroupFull):
        course.enrol(user, "Sam", "sam@example.nl", "web", group_id=4242)
    assert enrolment_rows(course) == []


def test_a_cancelled_enrolment_frees_its_place(course: CourseStore) -> None:
    group_id = add_group(course, capacity=1)
    first, second = person(course, "a"), person(course, "b")
    course.enrol(first, "Anna", "anna@example.nl", "web", group_id=group_id)
    with pytest.raises(GroupFull):
        course.enrol(second, "Bram", "bram@example.nl", "web", group_id=group_id)
    assert course.cancel(first) is True
    assert course.group(group_id).free == 1
    course.enrol(second, "Bram", "bram@example.nl", "web", group_id=group_id)
    assert course.group(group_id).free == 0
    # an organiser cancelling by status frees the place just the same
    course.set_status(course.enrolment_of(second).id, "cancelled")
    assert course.group(group_id).free == 1


def test_cancel(course: CourseStore) -> None:
    group_id = add_group(course)
    user = person(course, "sam")
    enrolment_id = course.enrol(user, "Sam", "sam@example.nl", "web", group_id=group_id)
    assert course.cancel(user) is True
    assert course.enrolment(enrolment_id).status == "cancelled"
    assert course.cancel(user) is False  # already cancelled
    assert course.cancel(person(course, "never enrolled")) is False
    assert len(enrolment_rows(course)) == 1  # cancelled, not deleted: the organiser still sees it
    assert course.enrol(user, "Sam", "sam@example.nl", "web", group_id=group_id) == enrolment_id
    assert course.enrolment(enrolment_id).status == "new"


def test_set_status_stores_known_statuses_and_refuses_others(course: CourseStore) -> None:
    enrolment_id = course.enrol(person(course, "sam"), "Sam", "sam@example.nl", "web", region="35")
    for status in ("contacted", "placed", "cancelled", "new"):
        assert course.set_status(enrolment_id, status) is True
        assert course.enrolment(enrolment_id).status == status
    course.set_status(enrolment_id, "contacted")
    for bad in ("gebeld", "", "CONTACTED", "new "):
        with pytest.raises(ValueError, match="new, contacted, placed, cancelled"):
            course.set_status(enrolment_id, bad)
    assert course.enrolment(enrolment_id).status == "contacted"
    assert course.set_status(enrolment_id + 1, "placed") is False


def test_enrolments_lists_everyone_oldest_first(course: CourseStore) -> None:
    group_id = add_group(course)
    ids = [course.enrol(person(course, name), name.title(), f"{name}@example.nl", "web",
                        group_id=group_id if name != "wim" else None) for name in ("anna", "bram", "wim")]
    listed = course.enrolments()
    assert [e.id for e in listed] == ids
    assert [e.first_name for e in listed] == ["Anna", "Bram", "Wim"]


def test_waiting_in_a_region(course: CourseStore) -> None:
    group_id = add_group(course)
    utrecht = course.enrol(person(course, "u1"), "Ute", "ute@example.nl", "web", region="35")
    utrecht_too = course.enrol(person(course, "u2"), "Uri", "uri@example.nl", "web", region="35")
    zwolle = course.enrol(person(course, "z"), "Zef", "zef@example.nl", "web", region="80")
    course.enrol(person(course, "g"), "Gea", "gea@example.nl", "web", group_id=group_id, region="35")  # placed in a group
    cancelled = person(course, "c")
    course.enrol(cancelled, "Cas", "cas@example.nl", "web", region="35")
    course.cancel(cancelled)
    contacted = course.enrol(person(course, "k"), "Kim", "kim@example.nl", "web", region="35")
    course.set_status(contacted, "contacted")

    assert sorted(e.id for e in course.waiting_in("35")) == [utrecht, utrecht_too]
    assert [e.id for e in course.waiting_in("80")] == [zwolle]
    assert course.waiting_in("10") == []
    assert sorted(e.id for e in course.waiting_in(None)) == sorted([utrecht, utrecht_too, zwolle])


def test_deleting_the_person_deletes_their_enrolment(course: CourseStore) -> None:
    group_id = add_group(course, capacity=1)
    users = UserStore(course.engine)
    gone = users.record_consent("telegram", "gone").id
    stays = users.record_consent("telegram", "stays").id
    course.enrol(gone, "Gijs", "gijs@example.nl", "telegram", group_id=group_id)
    course.enrol(stays, "Sien", "sien@example.nl", "telegram", region="80")
    assert users.delete("telegram", "gone") is True
    assert course.enrolment_of(gone) is None
    assert [e.user_id for e in course.enrolments()] == [stays]
    assert course.group(group_id).free == 1
    with session_scope(course.engine) as session:
        assert session.execute(select(func.count()).select_from(CourseGroup)).scalar_one() == 1  # the group stays


# ---- concurrency: the last place goes to exactly one person ----

RACERS = 6


def test_racing_for_the_last_place_on_postgres_exactly_one_wins() -> None:
    """Several bot processes enrol at the same moment (each its own engine): nobody is overbooked."""
    with fresh_postgres_database() as url:
        setup = CourseStore(make_engine(url))
        group_id = add_group(setup, capacity=2)
        setup.enrol(person(setup, "first"), "Eerst", "eerst@example.nl", "web", group_id=group_id)
        users = [person(setup, f"racer-{n}") for n in range(RACERS)]
        start = threading.Barrier(RACERS)
        outcomes: List[str] = []
        lock = threading.Lock()

        def race(user_id: int) -> None:
            engine = make_engine(url)
            try:
                store = CourseStore(engine)
                with engine.connect():
                    pass  # connected before the start signal, so all enrol at once
                start.wait(timeout=30)
                try:
                    store.enrol(user_id, "Racer", f"racer{user_id}@example.nl", "web", group_id=group_id)
                    result = "won"
                except GroupFull:
                    result = "full"
                with lock:
                    outcomes.append(result)
            finally:
                engine.dispose()

        threads = [threading.Thread(target=race, args=(user_id,)) for user_id in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == ["full"] * (RACERS - 1) + ["won"]
        assert setup.group(group_id).taken == 2
        winners = [e for e in setup.enrolments() if e.user_id in users]
        assert len(winners) == 1 and winners[0].group_id == group_id
        setup.engine.dispose()
