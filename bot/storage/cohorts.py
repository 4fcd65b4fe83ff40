"""Running groups (cohorts): sessions, join codes, participants, absences. The only place that reads or writes them.

A cohort is a course group (bot/storage/course.py) that has its sessions planned: 8 local date-times in the
group's time zone, a join code, and how to reach the teacher.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.storage.db import session_scope
from bot.storage.models import (
    Absence, Checkin, CourseGroup, CourseSession, Enrolment, JoinAttempt, OutboxMessage, Participant, as_utc, utcnow,
)

SESSIONS = 8
# Join codes: no look-alikes (0/O, 1/I/l), always at least one letter and one digit.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
_CODE_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]{3}[ -]?[A-Za-z0-9]{3})(?![A-Za-z0-9])")
NUDGE_STATES = ("on", "paused", "stopped")
TEXT_LIMITS = {"link": 300, "teacher_contact": 200}


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if any(ch.isdigit() for ch in code) and any(ch.isalpha() for ch in code):
            return code


def code_in(text: str) -> Optional[str]:
    """The join code someone typed ("mijn code is k7q 2xm" -> "K7Q2XM"): six letters and digits, both present."""
    for match in _CODE_IN_TEXT.finditer(text or ""):
        candidate = re.sub(r"[ -]", "", match.group(1)).upper()
        if any(ch.isdigit() for ch in candidate) and any(ch.isalpha() for ch in candidate):
            return candidate
    return None


def local_to_utc(moment: datetime, zone: str) -> datetime:
    """A wall-clock time where the group meets as UTC (the spring-forward hour comes an hour later)."""
    return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


@dataclass(frozen=True)
class Session:
    id: int
    number: int
    starts_local: datetime
    cancelled: bool


@dataclass(frozen=True)
class Cohort:
    group_id: int
    title: str
    place: Optional[str]
    online: bool
    link: Optional[str]
    teacher: Optional[str]
    teacher_contact: Optional[str]
    timezone: str
    join_code: Optional[str]
    status: str
    sessions: Sequence[Session]

    @property
    def held(self) -> List[Session]:
        """The sessions that take place (not cancelled), in order."""
        return [one for one in self.sessions if not one.cancelled]

    def starts_utc(self, one: Session) -> datetime:
        return local_to_utc(one.starts_local, self.timezone)

    def finished(self, now: datetime) -> bool:
        held = self.held
        return self.status == "closed" or not held or self.starts_utc(held[-1]) + timedelta(hours=6) < as_utc(now)

    def next_session(self, now: datetime) -> Optional[Session]:
        return next((one for one in self.held if self.starts_utc(one) > as_utc(now)), None)

    def where(self) -> str:
        return self.place or self.link or ("online" if self.online else "")


@dataclass(frozen=True)
class ParticipantView:
    user_id: int
    group_id: int
    first_name: str
    share_checkins: bool
    nudges: str
    paused_until: Optional[date]
    joined_at: datetime


class CodeProblem(Exception):
    """A join code that is unknown ("unknown") or belongs to a group that has finished ("expired")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CohortStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- the organiser: start a group, move or cancel sessions ----

    def start(self, group_id: int, first: datetime, dates: Optional[List[datetime]] = None,
              timezone_name: Optional[str] = None) -> str:
        """Plan the sessions (`dates`, or `first` and then weekly at the same local time) and give the group a
        join code; returns the code. Planning again replaces the sessions (the code stays)."""
        planned = sorted(dates) if dates else [first + timedelta(weeks=week) for week in range(SESSIONS)]
        if len(planned) != SESSIONS:
            raise ValueError(f"a group has {SESSIONS} sessions, not {len(planned)}")
        if timezone_name is not None:
            _check_zone(timezone_name)
        with session_scope(self.engine) as session:
            group = session.get(CourseGroup, group_id)
            if group is None:
                raise LookupError(f"there is no group {group_id}")
            if timezone_name:
                group.timezone = timezone_name
            session.execute(delete(CourseSession).where(CourseSession.group_id == group_id))
            for number, moment in enumerate(planned, 1):
                session.add(CourseSession(group_id=group_id, number=number, starts_local=moment.replace(tzinfo=None),
                                          cancelled=False))
            if not group.join_code:
                group.join_code = self._free_code(session)
            return str(group.join_code)

    @staticmethod
    def _free_code(session) -> str:  # type: ignore[no-untyped-def]
        while True:
            code = new_code()
            if session.execute(select(CourseGroup.id).where(CourseGroup.join_code == code)).first() is None:
                return code

    def set_details(self, group_id: int, **values: Any) -> bool:
        """The online link, how to reach the teacher, the time zone."""
        for name, value in values.items():
            if name == "timezone":
                _check_zone(str(value))
            elif name in TEXT_LIMITS:
                if value is not None and len(str(value)) > TEXT_LIMITS[name]:
                    raise ValueError(f"{name} is longer than {TEXT_LIMITS[name]} characters")
            else:
                raise ValueError(f"unknown field {name}")
        with session_scope(self.engine) as session:
            return bool(session.execute(update(CourseGroup).where(CourseGroup.id == group_id).values(**values)).rowcount)

    def move(self, group_id: int, number: int, to: datetime) -> bool:
        return self._session(group_id, number, starts_local=to.replace(tzinfo=None), cancelled=False)

    def cancel(self, group_id: int, number: int) -> bool:
        return self._session(group_id, number, cancelled=True)

    def _session(self, group_id: int, number: int, **values: Any) -> bool:
        with session_scope(self.engine) as session:
            found = session.execute(
                update(CourseSession).where(CourseSession.group_id == group_id, CourseSession.number == number)
                .values(**values)
            ).rowcount
            return bool(found)

    # ---- reading ----

    def cohort(self, group_id: int) -> Optional[Cohort]:
        with session_scope(self.engine) as session:
            group = session.get(CourseGroup, group_id)
            if group is None:
                return None
            sessions = session.execute(
                select(CourseSession).where(CourseSession.group_id == group_id).order_by(CourseSession.number)
            ).scalars().all()
            return _cohort(group, sessions)

    def cohorts(self) -> List[Cohort]:
        with session_scope(self.engine) as session:
            ids = session.execute(select(CourseSession.group_id).distinct()).scalars().all()
        return [found for found in (self.cohort(group_id) for group_id in sorted(ids)) if found is not None]

    def by_code(self, code: str, now: Optional[datetime] = None) -> Cohort:
        with session_scope(self.engine) as session:
            group_id = session.execute(select(CourseGroup.id).where(CourseGroup.join_code == code.upper())).scalar()
        found = self.cohort(group_id) if group_id is not None else None
        if found is None:
            raise CodeProblem("unknown")
        if found.finished(now or utcnow()):
            raise CodeProblem("expired")
        return found

    # ---- wrong codes: five in an hour pause the trying ----

    def wrong_tries(self, sender_id: str, now: Optional[datetime] = None) -> int:
        now = as_utc(now or utcnow())
        with session_scope(self.engine) as session:
            session.execute(delete(JoinAttempt).where(JoinAttempt.at < now - timedelta(hours=1)))
            return int(session.execute(
                select(func.count()).select_from(JoinAttempt).where(JoinAttempt.sender_id == sender_id)
            ).scalar_one())

    def note_wrong_try(self, sender_id: str, now: Optional[datetime] = None) -> None:
        with session_scope(self.engine) as session:
            session.add(JoinAttempt(sender_id=sender_id, at=as_utc(now or utcnow())))

    def minutes_until_retry(self, sender_id: str, now: Optional[datetime] = None) -> int:
        now = as_utc(now or utcnow())
        with session_scope(self.engine) as session:
            oldest = session.execute(select(func.min(JoinAttempt.at)).where(JoinAttempt.sender_id == sender_id)).scalar()
        if oldest is None:
            return 0
        return max(1, int((as_utc(oldest) + timedelta(hours=1) - now).total_seconds() // 60) + 1)

    # ---- participants ----

    def join(self, user_id: int, group_id: int, first_name: str, share_checkins: bool = False) -> bool:
        """Join (or move to) a group; False when they were in this group already (their answers are updated)."""
        first_name = first_name.strip()[:80]
        with session_scope(self.engine) as session:
            existing = session.get(Participant, user_id)
            if existing is not None:
                same = existing.group_id == group_id
                existing.group_id, existing.first_name, existing.share_checkins = group_id, first_name, share_checkins
                return not same
            session.add(Participant(user_id=user_id, group_id=group_id, first_name=first_name,
                                    share_checkins=share_checkins))
        return True

    def participant(self, user_id: int) -> Optional[ParticipantView]:
        with session_scope(self.engine) as session:
            row = session.get(Participant, user_id)
            return _participant(row) if row is not None else None

    def participants(self, group_id: int) -> List[ParticipantView]:
        with session_scope(self.engine) as session:
            rows = session.execute(
                select(Participant).where(Participant.group_id == group_id).order_by(Participant.joined_at)
            ).scalars().all()
            return [_participant(row) for row in rows]

    def set_nudges(self, user_id: int, state: str, until: Optional[date] = None) -> bool:
        if state not in NUDGE_STATES:
            raise ValueError(f"nudges must be one of {', '.join(NUDGE_STATES)}")
        with session_scope(self.engine) as session:
            return bool(session.execute(
                update(Participant).where(Participant.user_id == user_id)
                .values(nudges=state, paused_until=until if state == "paused" else None)
            ).rowcount)

    def note_absence(self, user_id: int, session_id: int) -> None:
        try:
            with session_scope(self.engine) as session:
                session.add(Absence(user_id=user_id, session_id=session_id))
        except IntegrityError:
            pass  # said twice: once is enough

    def absences(self, group_id: int) -> List[Dict[str, Any]]:
        """Who said they can't come, per session (for the teacher)."""
        query = (
            select(CourseSession.number, Participant.first_name)
            .join(Absence, Absence.session_id == CourseSession.id)
            .join(Participant, Participant.user_id == Absence.user_id)
            .where(CourseSession.group_id == group_id)
            .order_by(CourseSession.number, Participant.first_name)
        )
        with session_scope(self.engine) as session:
            return [{"session": number, "first_name": name} for number, name in session.execute(query)]

    def checkins(self, group_id: int) -> Dict[int, Dict[str, int]]:
        """Every participant's weekly answers: {user_id: {"2027-W06": 6, ...}}."""
        query = (
            select(Checkin.user_id, Checkin.iso_week, Checkin.score)
            .join(Participant, Participant.user_id == Checkin.user_id)
            .where(Participant.group_id == group_id)
        )
        answers: Dict[int, Dict[str, int]] = {}
        with session_scope(self.engine) as session:
            for user_id, week, score in session.execute(query):
                answers.setdefault(int(user_id), {})[str(week)] = int(score)
        return answers

    def nudge_counts(self, group_id: int) -> Dict[str, int]:
        """Course messages to this group's participants by state (sent, failed, pending, ...)."""
        query = (
            select(OutboxMessage.state, func.count())
            .join(Participant, Participant.user_id == OutboxMessage.user_id)
            .where(Participant.group_id == group_id, OutboxMessage.kind.in_(COURSE_KINDS))
            .group_by(OutboxMessage.state)
        )
        with session_scope(self.engine) as session:
            return {str(state): int(count) for state, count in session.execute(query)}

    def link_enrolment(self, enrolment_id: int, group_id: int) -> Optional[int]:
        """The organiser places an enrolment in a running group; returns the person's user id (to invite them)."""
        with session_scope(self.engine) as session:
            enrolment = session.get(Enrolment, enrolment_id)
            if enrolment is None or session.get(CourseGroup, group_id) is None:
                return None
            enrolment.group_id, enrolment.status = group_id, "placed"
            return int(enrolment.user_id)


# The outbox kinds that belong to the course (bot/cohorts.py plans them).
COURSE_KINDS = ("nudge", "course_checkin", "closing", "invite")


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise ValueError(f"unknown time zone {name!r} (for example Europe/Amsterdam)") from None


def _cohort(group: CourseGroup, sessions: Sequence[CourseSession]) -> Cohort:
    return Cohort(
        group_id=int(group.id), title=group.title, place=group.place, online=bool(group.online), link=group.link,
        teacher=group.teacher, teacher_contact=group.teacher_contact, timezone=group.timezone or "Europe/Amsterdam",
        join_code=group.join_code, status=group.status,
        sessions=[Session(int(one.id), int(one.number), one.starts_local, bool(one.cancelled)) for one in sessions],
    )


def _participant(row: Participant) -> ParticipantView:
    return ParticipantView(int(row.user_id), int(row.group_id), row.first_name, bool(row.share_checkins), row.nudges,
                           row.paused_until, row.joined_at)
