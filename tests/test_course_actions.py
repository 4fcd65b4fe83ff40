"""Course answers and the enrolment form's actions, run the way the action server runs them, on real SQLite."""
from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.course import (
    WAITING,
    ActionAskCourseGroup,
    ActionCancelEnrolment,
    ActionCourseAnswer,
    ActionCourseInfo,
    ActionEnrolChange,
    ActionEnrolSave,
    ActionEnrolSummary,
    ActionMyEnrolment,
    ValidateEnrolmentForm,
    nearest_first,
)
from bot import content
from bot.storage import UserStore
from bot.storage.course import CourseStore

FORM_SLOTS = ["enrol_consent", "first_name", "contact", "course_group", "enrol_region", "age_ok", "enrol_note"]


def tracker(text: str = "", intent: str = "greet", slots: Optional[Dict[str, Any]] = None,
            sender_id: str = "telegram:321", entities: Optional[List[Dict[str, Any]]] = None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
    return Tracker.from_dict({
        "sender_id": sender_id, "slots": {"language": "nl", **(slots or {})}, "latest_message": latest,
        "events": [{"event": "user", "text": text, "parse_data": latest}], "paused": False,
        "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
    })


async def run(action, tracker_: Tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, {})
    return dispatcher.messages, events


def validate(slot: str, value: Any, tracker_: Tracker):
    dispatcher = CollectingDispatcher()
    return getattr(ValidateEnrolmentForm(), f"validate_{slot}")(value, dispatcher, tracker_, {}), dispatcher.messages


def add_groups(engine) -> Dict[str, int]:
    store = CourseStore(engine)
    return {
        "zwolle": store.add_group(title="Zwolle dinsdag", place="Zwolle, Buurthuis De Kroon", region="80",
                                  start_date=date(2027, 2, 2), weekday=1, start_time="19:30", capacity=8, price="€ 95"),
        "utrecht": store.add_group(title="Utrecht maandag", place="Utrecht, Wijkcentrum Lombok", region="35",
                                   start_date=date(2027, 3, 1), weekday=0, start_time="10:00", capacity=1),
        "online": store.add_group(title="Online woensdag", online=True, start_date=date(2027, 2, 10), weekday=2,
                                  start_time="20:00"),
    }


# ---- answers to the question asked ----


async def test_course_info_is_short_with_buttons_for_what_people_ask_next(action_db) -> None:
    said, _ = await run(ActionCourseInfo(), tracker())
    assert said[0]["text"] == content.course()["intro"]["nl"]
    assert len(said[0]["text"].split()) <= 50
    assert [b["payload"] for b in said[0]["buttons"]] == [
        "/course_when", "/course_where", "/course_cost", "/course_online", "/course_how", "/enrol_course"]


async def test_without_groups_the_answer_says_so_and_invents_nothing(action_db) -> None:
    for intent in ("course_when", "course_where", "course_cost"):
        said, _ = await run(ActionCourseAnswer(), tracker("wanneer begint het?", intent))
        assert content.course()["no_groups"]["nl"] in said[0]["text"]
        assert "€" not in said[0]["text"] and "2027" not in said[0]["text"]
    said, _ = await run(ActionCourseAnswer(), tracker("kan het online?", "course_online"))
    assert said[0]["text"] == content.course()["no_online"]["nl"]


async def test_where_with_a_postcode_lists_the_nearest_group_first(action_db) -> None:
    add_groups(action_db)
    said, _ = await run(ActionCourseAnswer(), tracker("is er een groep bij 3512 AB?", "course_where"))
    lines = said[0]["text"].split("\n")
    assert "35" in lines[0] and "Utrecht maandag" in lines[1] and "Zwolle dinsdag" in lines[2]
    said, _ = await run(ActionCourseAnswer(), tracker("en in Zwolle?", "course_where"))
    assert "Zwolle dinsdag" in said[0]["text"].split("\n")[1]
    assert "/course_where" not in [b["payload"] for b in said[0]["buttons"]]


async def test_cost_comes_from_the_groups_and_online_lists_online_groups(action_db) -> None:
    add_groups(action_db)
    said, _ = await run(ActionCourseAnswer(), tracker("wat kost het", "course_cost"))
    assert "€ 95" in said[0]["text"] and "Utrecht" not in said[0]["text"]  # Utrecht has no price: not listed
    said, _ = await run(ActionCourseAnswer(), tracker("kan het online", "course_online"))
    assert "Online woensdag" in said[0]["text"] and "Zwolle" not in said[0]["text"]


@pytest.mark.parametrize("intent, key", [("course_how", "how"), ("course_therapy", "therapy"), ("course_for_whom", "for_whom")])
async def test_how_therapy_and_for_whom_come_from_the_content_file(action_db, intent: str, key: str) -> None:
    said, _ = await run(ActionCourseAnswer(), tracker("?", intent, {"language": "en"}))
    assert said[0]["text"] == content.course()[key]["en"]
    assert len(said[0]["text"].split()) <= 50


def test_nearest_first_by_postcode_area_then_online() -> None:
    from bot.storage.course import Group

    def group(gid: int, region: Optional[str], online: bool = False) -> Group:
        return Group(gid, f"g{gid}", None, online, region, date(2027, 1, gid), None, None, 10, None, None, "open")

    groups = [group(1, "10"), group(2, None, online=True), group(3, "52"), group(4, "35")]
    assert [g.id for g in nearest_first(groups, "50")] == [3, 4, 1, 2]
    assert [g.id for g in nearest_first(groups, None)] == [1, 2, 3, 4]


# ---- the form's answers ----


@pytest.mark.parametrize("typed, stored", [("sam@Example.nl", "sam@example.nl"), ("06-12345678", "+31612345678"),
                                           ("+31 6 1234 5678", "+31612345678")])
def test_contact_is_normalised(typed: str, stored: str) -> None:
    assert validate("contact", typed, tracker(typed, "inform"))[0] == {"contact": stored}


@pytest.mark.parametrize("typed, reason", [("sam.example.nl", "invalid_email_no_at"), ("sam@example", "invalid_email_domain"),
                                           ("020 1234567", "invalid_phone_not_mobile"), ("06 1234", "invalid_phone_length")])
def test_bad_contact_gets_a_re_ask_that_says_what_looked_wrong(typed: str, reason: str) -> None:
    result, said = validate("contact", typed, tracker(typed, "inform"))
    assert result == {"contact": None}
    assert said[0]["text"] == content.message(reason, "nl")


def test_names_and_ages() -> None:
    assert validate("first_name", "ik heet sanne", tracker())[0] == {"first_name": "Sanne"}
    result, said = validate("first_name", "hoi 123", tracker())
    assert result == {"first_name": None} and said[0]["text"] == content.message("invalid_name_characters", "nl")
    for typed, intent, answer in (("ja", "affirm", "yes"), ("ik ben 15", "inform", "no"), ("nee", "deny", "no"), ("67", "inform", "yes")):
        assert validate("age_ok", typed, tracker(typed, intent))[0] == {"age_ok": answer}


async def test_groups_as_buttons_nearest_first_and_the_waiting_list(action_db) -> None:
    ids = add_groups(action_db)
    said, _ = await run(ActionAskCourseGroup(), tracker(slots={"enrol_region": "35"}))
    payloads = [b["payload"] for b in said[0]["buttons"]]
    assert payloads[0] == f'/inform{{"course_group": "{ids["utrecht"]}"}}'
    assert payloads[-1] == f'/inform{{"course_group": "{WAITING}"}}'
    result, _ = validate("course_group", "3511", tracker("3511", "inform"))
    assert result == {"course_group": None, "enrol_region": "35"}  # asked again, nearest first
    assert validate("course_group", str(ids["zwolle"]), tracker())[0] == {"course_group": str(ids["zwolle"]), "enrol_region": "80"}
    assert validate("course_group", "wachtlijst", tracker())[0] == {"course_group": WAITING}


async def test_no_open_groups_offers_only_the_waiting_list(action_db) -> None:
    said, _ = await run(ActionAskCourseGroup(), tracker())
    assert said[0]["text"] == content.message("ask_course_group_none", "nl")
    assert [b["payload"] for b in said[0]["buttons"]] == [f'/inform{{"course_group": "{WAITING}"}}']


async def test_required_slots_under_16_ends_and_the_waiting_list_asks_where() -> None:
    form = ValidateEnrolmentForm()
    assert await form.required_slots(FORM_SLOTS, CollectingDispatcher(), tracker(slots={"age_ok": "no"}), {}) == []
    waiting = await form.required_slots(FORM_SLOTS, CollectingDispatcher(), tracker(slots={"course_group": WAITING}), {})
    assert waiting.index("enrol_region") == waiting.index("course_group") + 1
    group = await form.required_slots(FORM_SLOTS, CollectingDispatcher(), tracker(slots={"course_group": "3"}), {})
    assert "enrol_region" not in group


# ---- summary, save, change, cancel ----


FILLED = {"enrol_consent": "yes", "first_name": "Sanne", "contact": "sanne@example.nl", "age_ok": "yes", "enrol_note": "-"}


async def test_under_16_gets_a_kind_answer_and_nothing_is_stored(action_db) -> None:
    said, events = await run(ActionEnrolSummary(), tracker(slots={**FILLED, "age_ok": "no"}))
    assert said[0]["text"] == content.message("under_16", "nl", **content.helpline_values())
    assert all(e["value"] is None for e in events if e["event"] == "slot")
    assert UserStore(action_db).get("telegram", "321") is None


async def test_summary_then_confirm_stores_one_enrolment_and_again_updates_it(action_db) -> None:
    ids = add_groups(action_db)
    slots = {**FILLED, "course_group": str(ids["zwolle"]), "enrol_region": "80"}
    said, _ = await run(ActionEnrolSummary(), tracker(slots=slots))
    assert "Sanne" in said[0]["text"] and "Zwolle dinsdag" in said[0]["text"]
    assert [b["payload"] for b in said[0]["buttons"]] == ["/affirm", "/enrol_course", "/deny"]
    said, _ = await run(ActionEnrolSave(), tracker("ja", "affirm", slots))
    assert said[0]["text"] == content.message("enrolled", "nl", first_name="Sanne", contact="sanne@example.nl")
    user = UserStore(action_db).get("telegram", "321")
    assert user.consent_at is not None
    await run(ActionEnrolSave(), tracker("ja", "affirm", {**slots, "contact": "+31612345678"}))
    [row] = CourseStore(action_db).enrolments()
    assert (row.group_id, row.contact, row.status, row.channel) == (ids["zwolle"], "+31612345678", "new", "telegram")


async def test_a_group_that_filled_up_meanwhile_puts_you_on_the_waiting_list(action_db) -> None:
    ids = add_groups(action_db)  # Utrecht has one place
    other = UserStore(action_db).record_consent("web", "someone-else").id
    CourseStore(action_db).enrol(other, "Piet", "piet@example.nl", "web", group_id=ids["utrecht"])
    said, _ = await run(ActionEnrolSave(), tracker("ja", "affirm", {**FILLED, "course_group": str(ids["utrecht"]), "enrol_region": "35"}))
    assert said[0]["text"] == content.message("enrol_group_became_full", "nl")
    mine = [row for row in CourseStore(action_db).enrolments() if row.first_name == "Sanne"]
    assert mine[0].group_id is None and mine[0].region == "35"


async def test_change_asks_which_field_then_clears_it_and_goes_back_to_the_form() -> None:
    said, events = await run(ActionEnrolChange(), tracker("iets aanpassen", "enrol_course", FILLED))
    assert [b["payload"] for b in said[0]["buttons"]][1] == '/enrol_course{"enrol_field": "contact"}'
    assert events == []
    entity = [{"entity": "enrol_field", "value": "contact"}]
    _, events = await run(ActionEnrolChange(), tracker('/enrol_course{"enrol_field": "contact"}', "enrol_course", FILLED, entities=entity))
    assert {"event": "slot", "name": "contact", "value": None, "timestamp": None} in events
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "enrolment_form"


async def test_my_enrolment_shows_it_and_cancel_cancels_it(action_db) -> None:
    said, _ = await run(ActionMyEnrolment(), tracker("mijn aanmelding", "my_enrolment"))
    assert said[0]["text"] == content.message("no_enrolment", "nl")
    assert UserStore(action_db).get("telegram", "321") is None, "looking does not create a profile"
    await run(ActionEnrolSave(), tracker("ja", "affirm", {**FILLED, "course_group": WAITING, "enrol_region": "Zwolle"}))
    said, _ = await run(ActionMyEnrolment(), tracker("mijn aanmelding", "my_enrolment"))
    assert "wachtlijst (Zwolle)" in said[0]["text"] and "sanne@example.nl" in said[0]["text"]
    said, _ = await run(ActionCancelEnrolment(), tracker("afmelden", "cancel_enrolment"))
    assert said[0]["text"] == content.message("enrolment_cancelled", "nl")
    assert CourseStore(action_db).enrolments()[0].status == "cancelled"
