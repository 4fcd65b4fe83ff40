"""Course Creatief Leven: facts come only from bot/content/course.yml (edited by organisers)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of
from bot.content import course

GROUP_HEADING = {"nl": "Geplande groepen:", "en": "Planned groups:"}
FROM = {"nl": "vanaf", "en": "from"}


def describe_groups(language: str) -> str:
    facts = course()
    groups = facts.get("groups") or []
    if not groups:
        return facts["not_yet_planned"][language]
    lines = [GROUP_HEADING[language]]
    for group in groups:
        parts = [f"{group['place']}, {FROM[language]} {group['start_date']}"]
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
        dispatcher.utter_message(
            response="utter_course_info",
            summary=facts["summary"][language],
            format=facts["format"][language],
            recognition=(facts.get("recognition") or {}).get(language, ""),
            groups=describe_groups(language),
        )
        return []


class ActionEnrolCourse(Action):
    """Until the enrolment form exists: say so honestly and keep the door open."""

    def name(self) -> Text:
        return "action_enrol_course"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        language = language_of(tracker)
        dispatcher.utter_message(response="utter_enrol_course", enrol=course()["enrol_pending"][language])
        return []
