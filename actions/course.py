"""Course Creatief Leven: short answers to the question asked, and enrolment through a form.

General facts come from bot/content/course.yml; groups (dates, places, prices) from the `course_groups` table
that the organiser manages. Nothing is invented: what is not known is said to be unknown.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import typed_answer, course_store, identify, is_scheduled, language_of, user_store
from bot.content import course, helpline_values, message, retention
from bot.organiser import describe_group
from bot.storage.course import EnrolmentView, Group, GroupFull
from bot.validators import Invalid, clean_first_name, normalise_contact, postcode_region

logger = logging.getLogger(__name__)

QUESTION_PAYLOADS = ("/course_when", "/course_where", "/course_cost", "/course_online", "/course_how", "/enrol_course")
MAX_GROUPS_SHOWN = 4
WAITING = "waitlist"
ENROL_SLOTS = ("enrol_consent", "first_name", "contact", "course_group", "enrol_region", "age_ok", "enrol_note")
SKIPPED = "-"


def question_buttons(language: str, leave_out: str = "") -> List[Dict[str, str]]:
    titles = message("course_buttons", language).split("|")
    return [{"title": t, "payload": p} for t, p in zip(titles, QUESTION_PAYLOADS) if p != leave_out]


def nearest_first(groups: List[Group], region: Optional[str]) -> List[Group]:
    """Groups in the same region first, then by how far the postcode area is; online ones after; else by date."""
    if not region or not region.isdigit():
        return groups

    def distance(group: Group) -> tuple:
        if group.online or not (group.region or "").isdigit():
            return (1, 100, group.start_date)
        return (0, abs(int(group.region) - int(region)), group.start_date)

    return sorted(groups, key=distance)


def group_lines(groups: List[Group], language: str, with_price: bool = False) -> str:
    lines = []
    for group in groups[:MAX_GROUPS_SHOWN]:
        price = message("course_price", language, price=group.price) if with_price and group.price else ""
        full = "" if group.bookable else message("course_group_full", language)
        lines.append(message("course_group_line", language, group=describe_group(group, language) + full, price=price))
    return "\n".join(lines)


def region_from(text: str, groups: List[Group]) -> Optional[str]:
    """A postcode's first two digits, or the region of a group whose place names the town typed."""
    found = postcode_region(text)
    if found:
        return found
    words = set(re.findall(r"[^\W\d_]{3,}", (text or "").lower()))
    for group in groups:
        if group.place and words & set(re.findall(r"[^\W\d_]{3,}", group.place.lower())):
            return group.region
    return None


class ActionCourseInfo(Action):
    """What the course is, in a few words, and buttons for what people ask next."""

    def name(self) -> Text:
        return "action_course_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        dispatcher.utter_message(text=course()["intro"][language], buttons=question_buttons(language))
        return []


class ActionCourseAnswer(Action):
    """The answer to the one question asked (when, where, cost, online, how, therapy, for whom)."""

    def name(self) -> Text:
        return "action_course_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        facts = course()
        if intent in ("course_how", "course_therapy", "course_for_whom"):
            key = intent.split("_", 1)[1]
            dispatcher.utter_message(text=facts[key][language], buttons=question_buttons(language, f"/{intent}"))
            return []
        try:
            groups = course_store().groups(only_open=True)
        except SQLAlchemyError:
            logger.exception("could not read the course groups")
            groups = []
        text = self.about_groups(intent, groups, tracker, language)
        if is_scheduled(tracker):  # the scheduled sender: a group opened where this person waits
            text = facts["group_opened"][language] + "\n\n" + text
        dispatcher.utter_message(text=text, buttons=question_buttons(language, f"/{intent}"))
        return []

    @staticmethod
    def about_groups(intent: str, groups: List[Group], tracker: Tracker, language: str) -> str:
        facts = course()
        if intent == "course_online":
            online = [group for group in groups if group.online]
            return f"{facts['groups_heading'][language]}\n{group_lines(online, language)}" if online else facts["no_online"][language]
        if not groups:
            general = facts["when_general"][language] + "\n\n" if intent == "course_when" else ""
            return general + facts["no_groups"][language]
        if intent == "course_cost":
            priced = [group for group in groups if group.price]
            if not priced:
                return facts["cost_unknown"][language]
            return f"{facts['groups_heading'][language]}\n{group_lines(priced, language, with_price=True)}"
        if intent == "course_where" or is_scheduled(tracker):
            text = tracker.latest_message.get("text") or ""
            region = region_from(text, groups) or _waiting_region(tracker)
            if region:
                heading = facts["nearest_heading"][language].format(postcode=region)
                return f"{heading}\n{group_lines(nearest_first(groups, region), language)}"
        heading = facts["groups_heading"][language]
        general = facts["when_general"][language] + "\n\n" if intent == "course_when" else ""
        return f"{general}{heading}\n{group_lines(groups, language)}"


def _waiting_region(tracker: Tracker) -> Optional[str]:
    try:
        user = user_store().get(*identify(tracker))
        found = course_store().enrolment_of(user.id) if user is not None else None
    except SQLAlchemyError:
        return None
    return found.region if found is not None else None


# ---- enrolment: a form, a summary, then stored ----


def _ask(dispatcher: CollectingDispatcher, key: str, language: str, buttons: Optional[List[Dict[str, str]]] = None) -> List[EventType]:
    dispatcher.utter_message(text=message(key, language), buttons=buttons or [])
    return []


class ActionAskEnrolConsent(Action):
    def name(self) -> Text:
        return "action_ask_enrol_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        dispatcher.utter_message(text=message("ask_enrol_consent", language, **retention()), buttons=[
            {"title": message("button_yes", language), "payload": "/affirm"},
            {"title": message("button_no", language), "payload": "/deny"},
        ])
        return []


class ActionAskFirstName(Action):
    def name(self) -> Text:
        return "action_ask_first_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return _ask(dispatcher, "ask_first_name", language_of(tracker))


class ActionAskContact(Action):
    def name(self) -> Text:
        return "action_ask_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return _ask(dispatcher, "ask_contact", language_of(tracker))


class ActionAskCourseGroup(Action):
    """Open groups with a free place as buttons (nearest first once a postcode is known), and the waiting list."""

    def name(self) -> Text:
        return "action_ask_course_group"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        try:
            groups = [group for group in course_store().groups(only_open=True) if group.bookable]
        except SQLAlchemyError:
            logger.exception("could not read the course groups")
            groups = []
        waiting = {"title": message("button_waiting_list", language), "payload": f'/inform{{"course_group": "{WAITING}"}}'}
        if not groups:
            return _ask(dispatcher, "ask_course_group_none", language, [waiting])
        ordered = nearest_first(groups, tracker.get_slot("enrol_region"))[:MAX_GROUPS_SHOWN]
        buttons = [{"title": describe_group(group, language), "payload": f'/inform{{"course_group": "{group.id}"}}'} for group in ordered]
        return _ask(dispatcher, "ask_course_group", language, buttons + [waiting])


class ActionAskEnrolRegion(Action):
    def name(self) -> Text:
        return "action_ask_enrol_region"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return _ask(dispatcher, "ask_enrol_region", language_of(tracker))


class ActionAskAgeOk(Action):
    def name(self) -> Text:
        return "action_ask_age_ok"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        yes, no = ("Ja", "Nee") if language == "nl" else ("Yes", "No")
        return _ask(dispatcher, "ask_age_ok", language, [{"title": yes, "payload": "/affirm"}, {"title": no, "payload": "/deny"}])


class ActionAskEnrolNote(Action):
    def name(self) -> Text:
        return "action_ask_enrol_note"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        return _ask(dispatcher, "ask_enrol_note", language, [{"title": message("button_nothing", language), "payload": "/deny"}])


YES = re.compile(r"^\s*(ja|jawel|jep|yes|yep|yeah|sure|zeker|klopt|prima|ok[eé]?|goed)\b", re.I)
NO = re.compile(r"^\s*(nee|neen|no|nope|niet|nog niet)\b", re.I)


class ValidateEnrolmentForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_enrolment_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        """Under 16 ends the form (nothing is stored); the waiting list asks where; a group needs no region."""
        if tracker.get_slot("age_ok") == "no":
            return []
        wanted = [slot for slot in domain_slots if slot != "enrol_region"]
        if tracker.get_slot("course_group") == WAITING:
            wanted.insert(wanted.index("course_group") + 1, "enrol_region")
        return wanted

    @typed_answer
    def validate_first_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        try:
            return {"first_name": clean_first_name(str(value or ""))}
        except Invalid as problem:
            dispatcher.utter_message(text=message(f"invalid_{problem.reason}", language_of(tracker)))
            return {"first_name": None}

    @typed_answer
    def validate_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        try:
            _, contact = normalise_contact(str(value or ""))
        except Invalid as problem:
            dispatcher.utter_message(text=message(f"invalid_{problem.reason}", language_of(tracker)))
            return {"contact": None}
        return {"contact": contact}

    @typed_answer
    def validate_course_group(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        language = language_of(tracker)
        text = str(value or "").strip()
        if text == WAITING or text.lower() in ("wachtlijst", "waiting list", "op de wachtlijst", "waitlist"):
            return {"course_group": WAITING}
        try:
            groups = course_store().groups(only_open=True)
        except SQLAlchemyError:
            groups = []
        if text.isdigit():
            chosen = next((group for group in groups if group.id == int(text)), None)
            if chosen is not None and chosen.bookable:
                return {"course_group": text, "enrol_region": chosen.region}
            if chosen is not None:
                dispatcher.utter_message(text=message("group_full", language))
                return {"course_group": None}
        region = region_from(text, groups)
        if region:  # a postcode or town: ask again, nearest groups first
            return {"course_group": None, "enrol_region": region}
        dispatcher.utter_message(text=message("group_not_understood", language))
        return {"course_group": None}

    @typed_answer
    def validate_enrol_region(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        text = str(value or "").strip()
        region = postcode_region(text) or (text[:40] if re.fullmatch(r"[^\W\d_][^\d]{1,39}", text) else None)
        if region is None:
            dispatcher.utter_message(text=message("region_not_understood", language_of(tracker)))
            return {"enrol_region": None}
        return {"enrol_region": region}

    @typed_answer
    def validate_enrol_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return {"enrol_consent": "yes"}

    @typed_answer
    def validate_age_ok(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        text = str(value or "")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        digits = re.findall(r"\d+", text)
        if intent == "affirm" or text == "yes" or YES.match(text) or (digits and 16 <= int(digits[0]) <= 120):
            return {"age_ok": "yes"}
        if intent == "deny" or text == "no" or NO.match(text) or (digits and int(digits[0]) < 16):
            return {"age_ok": "no"}
        dispatcher.utter_message(text=message("age_not_understood", language_of(tracker)))
        return {"age_ok": None}

    @typed_answer
    def validate_enrol_note(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = str(value or "").strip()
        if intent == "deny" or text in ("", SKIPPED) or text.lower() in ("nee", "no", "niets", "nothing", "nee, niets"):
            return {"enrol_note": SKIPPED}
        return {"enrol_note": text[:500]}


def _clear() -> List[EventType]:
    return [SlotSet(slot, None) for slot in ENROL_SLOTS]


def _group_label(group_slot: Optional[str], region: Optional[str], language: str) -> str:
    if group_slot == WAITING or not group_slot:
        return message("waiting_list_label", language, region=f" ({region})" if region else "")
    try:
        group = course_store().group(int(group_slot))
    except (SQLAlchemyError, ValueError):
        group = None
    return describe_group(group, language) if group else str(group_slot)


class ActionEnrolSummary(Action):
    """After the form: under 16 ends kindly (nothing kept); otherwise a summary with confirm / change / cancel."""

    def name(self) -> Text:
        return "action_enrol_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        if tracker.get_slot("age_ok") == "no":
            dispatcher.utter_message(text=message("under_16", language, **helpline_values()))
            return _clear()
        note = tracker.get_slot("enrol_note")
        summary = message(
            "enrol_summary", language,
            first_name=tracker.get_slot("first_name"), contact=tracker.get_slot("contact"),
            group=_group_label(tracker.get_slot("course_group"), tracker.get_slot("enrol_region"), language),
            note=note if note and note != SKIPPED else message("no_note", language),
        )
        dispatcher.utter_message(text=summary, buttons=[
            {"title": message("button_confirm", language), "payload": "/affirm"},
            {"title": message("button_change", language), "payload": "/enrol_course"},
            {"title": message("button_cancel", language), "payload": "/deny"},
        ])
        return []


class ActionEnrolChange(Action):
    """"Iets aanpassen": which field? Then that one question again, and the summary again."""

    def name(self) -> Text:
        return "action_enrol_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        field = next(tracker.get_latest_entity_values("enrol_field"), None)
        slot = {"first_name": "first_name", "contact": "contact", "course_group": "course_group", "enrol_note": "enrol_note"}.get(field or "")
        if slot is None:
            names = message("field_names", language).split("|")
            keys = ("first_name", "contact", "course_group", "enrol_note")
            dispatcher.utter_message(text=message("which_field", language), buttons=[
                {"title": title, "payload": f'/enrol_course{{"enrol_field": "{key}"}}'} for title, key in zip(names, keys)
            ])
            return []
        events: List[EventType] = [SlotSet(slot, None)]
        if slot == "course_group":
            events.append(SlotSet("enrol_region", None))
        return events + [FollowupAction("enrolment_form")]


class ActionEnrolSave(Action):
    """Confirmed: stored (one enrolment per person: a second time updates it). A group full by now: waiting list."""

    def name(self) -> Text:
        return "action_enrol_save"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        first_name, contact = tracker.get_slot("first_name"), tracker.get_slot("contact")
        if not first_name or not contact:  # the summary was not reached in this session: nothing to store
            dispatcher.utter_message(text=message("no_enrolment", language))
            return _clear()
        group_slot, region = tracker.get_slot("course_group"), tracker.get_slot("enrol_region")
        note = tracker.get_slot("enrol_note")
        note = None if note in (None, SKIPPED) else note
        channel, channel_user_id = identify(tracker)
        group_id = int(group_slot) if group_slot and group_slot.isdigit() else None
        try:
            user = user_store().record_consent(channel, channel_user_id, language)  # they said yes to ask_enrol_consent
            store = course_store()
            try:
                store.enrol(user.id, first_name, contact, channel, group_id=group_id, region=region, note=note)
                key = "enrolled" if group_id else "enrolled_waiting"
            except GroupFull:
                store.enrol(user.id, first_name, contact, channel, group_id=None, region=region, note=note)
                key = "enrol_group_became_full"
        except SQLAlchemyError:
            logger.exception("could not store the enrolment")
            dispatcher.utter_message(text=message("data_unavailable", language))
            return []
        dispatcher.utter_message(text=message(key, language, first_name=first_name, contact=contact))
        return _clear()


class ActionEnrolLeft(Action):
    def name(self) -> Text:
        return "action_enrol_left"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=message("enrol_left", language_of(tracker)))
        return _clear() + [ActiveLoop(None)]


def _own_enrolment(tracker: Tracker) -> Optional[EnrolmentView]:
    user = user_store().get(*identify(tracker))  # looking never creates a profile
    return course_store().enrolment_of(user.id) if user is not None else None


class ActionMyEnrolment(Action):
    def name(self) -> Text:
        return "action_my_enrolment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        try:
            found = _own_enrolment(tracker)
        except SQLAlchemyError:
            dispatcher.utter_message(text=message("data_unavailable", language))
            return []
        if found is None or found.status == "cancelled":
            dispatcher.utter_message(text=message("no_enrolment", language), buttons=[
                {"title": message("button_yes", language), "payload": "/enrol_course"},
                {"title": message("button_no", language), "payload": "/deny"},
            ])
            return []
        statuses = dict(zip(("new", "contacted", "placed", "cancelled"), message("enrolment_statuses", language).split("|")))
        group = _group_label(str(found.group_id) if found.group_id else WAITING, found.region, language)
        dispatcher.utter_message(
            text=message("my_enrolment", language, group=group, status=statuses.get(found.status, found.status),
                         first_name=found.first_name, contact=found.contact),
            buttons=[
                {"title": message("button_change", language), "payload": "/enrol_course"},
                {"title": message("button_cancel_enrolment", language), "payload": "/cancel_enrolment"},
            ],
        )
        return []


class ActionCancelEnrolment(Action):
    def name(self) -> Text:
        return "action_cancel_enrolment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_of(tracker)
        try:
            user = user_store().get(*identify(tracker))
            cancelled = user is not None and course_store().cancel(user.id)
        except SQLAlchemyError:
            dispatcher.utter_message(text=message("data_unavailable", language))
            return []
        dispatcher.utter_message(text=message("enrolment_cancelled" if cancelled else "no_enrolment", language))
        return _clear()
