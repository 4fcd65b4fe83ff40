"""Course Creatief Leven: facts come only from bot/content/course.yml (edited by organisers)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of
from bot.content import course, message


def describe_groups(language: str) -> str:
    facts = course()
    groups = facts.get("groups") or []
    if not groups:
        return facts["not_yet_planned"][language]
    lines = [message("course_groups_heading", language)]
    for group in groups:
        parts = [f"{group['place']}, {message('course_group_from', language)} {group['start_date']}"]
        parts += [str(group[key]) for key in ("price", "contact") if group.get(key)]
        lines.append("• " + " · ".join(parts))
    return "\n".join(lines)


class ActionCourseInfo(Action):
    def name(self) -> Text:
        return "action_course_info"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        language = language_of(tracker)
        facts = course()
        paragraphs = [
            facts["summary"][language],
            facts["format"][language],
            (facts.get("recognition") or {}).get(language, ""),
            describe_groups(language),
        ]
        dispatcher.utter_message(
            text="\n\n".join(p for p in paragraphs if p),
            buttons=[
                {"title": message("button_enrol", language), "payload": "/enrol_course"},
                {"title": message("button_no_thanks", language), "payload": "/deny"},
            ],
        )
        return []


class ActionEnrolCourse(Action):
    """Until the enrolment form exists: say so honestly and keep the door open."""

    def name(self) -> Text:
        return "action_enrol_course"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(text=course()["enrol_pending"][language_of(tracker)])
        return []
