"""Privacy: everything we hold as a file to keep (and a short summary in words), and forget-me after a yes."""
from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import identify, language_of, privacy_store
from bot.channels.identity import identity
from bot.content import date_in_words, message
from bot.settings import get_settings
from bot.storage.privacy import FORGET_SLOT

logger = logging.getLogger(__name__)

PROFILE_FIELDS = ("channel", "language", "created_at", "consent_at", "active")


class ActionExportMyData(Action):
    """A summary in words, and the whole record as a JSON file (a document on Telegram, a link in the widget)."""

    def name(self) -> Text:
        return "action_export_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        language = language_of(tracker)
        channel, channel_user_id = identify(tracker)
        store = privacy_store()
        try:
            record = store.export(channel, channel_user_id)
            filename = message("export_filename", language, date=date.today().isoformat())
            token = store.save_download(
                identity(channel, channel_user_id).sender_id, filename,
                json.dumps(record, ensure_ascii=False, indent=2), get_settings().download_minutes,
            )
        except SQLAlchemyError:
            logger.exception("export failed")
            dispatcher.utter_message(text=message("data_unavailable", language))
            return []
        dispatcher.utter_message(text=summary(record, language))
        dispatcher.utter_message(json_message={"download": {"token": token, "filename": filename}})
        return []


def summary(record: Dict[str, Any], language: str) -> str:
    """The export in words: "actief: ja", dates as people say them, counts instead of rows."""
    said = len(record.get("conversation") or [])
    profile = record.get("profile")
    if profile is None:
        return message("export_no_profile", language, messages=said)
    labels = dict(zip(PROFILE_FIELDS, message("profile_labels", language).split("|")))
    lines = [f"• {labels[key]}: {_words(profile[key], language)}" for key in PROFILE_FIELDS if profile.get(key) is not None]
    none = message("export_none", language)
    log = record.get("exercise_log") or []
    subscription = next(iter(record.get("subscriptions") or []), None)
    daily = none
    if subscription and subscription.get("active"):
        daily = f"{subscription['local_time']} ({subscription['timezone']})"
        if subscription.get("paused_until"):
            daily += message("export_paused", language, until=_words(subscription["paused_until"], language))
    checkins = ", ".join(f"{row['iso_week']}: {row['score']}" for row in record.get("checkins") or []) or none
    enrolment = next(iter(record.get("enrolments") or []), None)
    course = f"{enrolment['first_name']}, {enrolment['contact']}, {enrolment['status']}" if enrolment else none
    more = message(
        "export_more", language, given=len(log), done=sum(1 for row in log if row.get("done_at")),
        subscription=daily, checkins=checkins, enrolment=course,
    )
    return message("export_my_data", language, profile="\n".join(lines), more=more, messages=said)


def _words(value: Any, language: str) -> str:
    if isinstance(value, bool):
        return message("yes_no", language).split("|")[0 if value else 1]
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        try:
            return date_in_words(datetime.fromisoformat(value), language, year=True)
        except ValueError:
            return value
    return str(value)


class ActionDeleteMyData(Action):
    """After the person confirmed: every row about them, and (by the tracker store, at the end of this turn)
    the conversation itself. Nothing comes back until they agree to the privacy notice again."""

    def name(self) -> Text:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        language = language_of(tracker)
        try:
            privacy_store().forget(*identify(tracker))
        except SQLAlchemyError:
            logger.exception("delete failed")
            dispatcher.utter_message(text=message("data_unavailable", language))
            return []
        dispatcher.utter_message(text=message("data_deleted", language))
        return [AllSlotsReset(), SlotSet("language", language), SlotSet(FORGET_SLOT, True)]
