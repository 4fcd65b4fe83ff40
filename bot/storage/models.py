"""Tables. Every table with personal data links to `users`, so export and deletion find it all."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import (
    JSON, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import declarative_base

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (we only ever store UTC); PostgreSQL aware ones."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class User(Base):
    """A person on one channel, identified by (channel, channel user id)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id", name="uq_users_channel_user"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(32), nullable=False)
    channel_user_id = Column(String(128), nullable=False)
    language = Column(String(2), nullable=False, default="nl")
    consent_at = Column(DateTime(timezone=True), nullable=True)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    # When they last wrote, as the retention job reads it from the conversation (never written per message).
    last_seen_at = Column(DateTime(timezone=True), nullable=True)

    def to_export(self) -> dict:
        """What we hold about this person, in plain values (for 'show my data')."""
        return {
            "channel": self.channel,
            "channel_user_id": self.channel_user_id,
            "language": self.language,
            "consent_at": _iso(self.consent_at),
            "active": self.active,
            "created_at": _iso(self.created_at),
            "last_seen_at": _iso(self.last_seen_at),
        }


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat() if moment else None


def _user_id() -> Column:
    return Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)


class ExerciseLog(Base):
    """One exercise given to someone, and what they said about it afterwards."""

    __tablename__ = "exercise_log"

    id = Column(Integer, primary_key=True)
    user_id = _user_id()
    exercise_key = Column(String(64), nullable=False)
    given_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    scheduled = Column(Boolean, nullable=False, default=False)
    done_at = Column(DateTime(timezone=True), nullable=True)
    rating = Column(SmallInteger, nullable=True)  # 1 (🙁) .. 4 (😀)
    note = Column(Text, nullable=True)


class Subscription(Base):
    """Daily exercises: when (local time in a time zone), and whether paused or stopped."""

    __tablename__ = "subscriptions"

    user_id = Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    local_time = Column(String(5), nullable=False)  # "HH:MM"
    timezone = Column(String(64), nullable=False, default="Europe/Amsterdam")
    paused_until = Column(Date, nullable=True)  # the first day exercises come again
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class Checkin(Base):
    """The weekly 0-10 answer to "how lonely did you feel this week?" (not a diagnosis: the person's own figure)."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("user_id", "iso_week", name="uq_checkins_user_week"),)

    id = Column(Integer, primary_key=True)
    user_id = _user_id()
    iso_week = Column(String(8), nullable=False)  # "2026-W48"
    score = Column(SmallInteger, nullable=False)
    answered_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class OutboxMessage(Base):
    """A proactive message to send: planned once per (user, kind, local date, slot), claimed by a dispatcher."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "local_date", "slot", name="uq_outbox_once"),
        Index("ix_outbox_due", "state", "due_at"),
    )

    id = Column(Integer, primary_key=True)
    user_id = _user_id()
    kind = Column(String(32), nullable=False)  # "exercise", "checkin"
    local_date = Column(Date, nullable=False)
    slot = Column(String(16), nullable=False)  # "HH:MM" local, or a name
    due_at = Column(DateTime(timezone=True), nullable=False)
    state = Column(String(16), nullable=False, default="pending")  # pending, sending, sent, failed, cancelled
    attempts = Column(Integer, nullable=False, default=0)
    claimed_at = Column(DateTime(timezone=True), nullable=True)
    sent_at = Column(DateTime(timezone=True), nullable=True)
    last_error = Column(String(500), nullable=True)


class WebInbox(Base):
    """Messages for a website conversation, shown the next time (or while) its widget is open."""

    __tablename__ = "web_inbox"

    id = Column(Integer, primary_key=True)
    user_id = _user_id()
    messages = Column(JSON, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Download(Base):
    """A person's "my data" file, fetched once or twice by a short-lived secret link (deleted with them)."""

    __tablename__ = "downloads"

    token = Column(String(64), primary_key=True)
    sender_id = Column(String(200), nullable=False, index=True)
    filename = Column(String(120), nullable=False)
    content = Column(Text, nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False, index=True)


class ButtonPayload(Base):
    """Telegram keeps 64 bytes per button: longer payloads live here, under a short key, for every process."""

    __tablename__ = "button_payloads"

    key = Column(String(40), primary_key=True)
    payload = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class CourseGroup(Base):
    """A planned group of the course Creatief Leven, managed by the organiser (CLI or organiser page)."""

    __tablename__ = "course_groups"

    id = Column(Integer, primary_key=True)
    title = Column(String(120), nullable=False)
    place = Column(String(200), nullable=True)  # "Zwolle, Buurthuis De Kroon"; empty for an online group
    online = Column(Boolean, nullable=False, default=False)
    region = Column(String(40), nullable=True)  # a province or the first two postcode digits
    start_date = Column(Date, nullable=False)
    weekday = Column(SmallInteger, nullable=True)  # 0 = Monday
    start_time = Column(String(5), nullable=True)  # "HH:MM"
    capacity = Column(Integer, nullable=False, default=12)
    price = Column(String(120), nullable=True)  # empty: "ask the organiser"
    teacher = Column(String(80), nullable=True)  # first name
    status = Column(String(16), nullable=False, default="open")  # open, full, closed
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    # Once the group runs (a cohort): how participants join, where online sessions are, how to reach the teacher.
    join_code = Column(String(6), nullable=True, unique=True)
    link = Column(String(300), nullable=True)  # the online meeting link
    teacher_contact = Column(String(200), nullable=True)  # "06 12345678" or an e-mail address, as the teacher wants
    timezone = Column(String(64), nullable=False, default="Europe/Amsterdam")


class Enrolment(Base):
    """Someone who signed up for a group, or for the waiting list of a region (group empty). One per person."""

    __tablename__ = "enrolments"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)
    group_id = Column(Integer, ForeignKey("course_groups.id", ondelete="SET NULL"), nullable=True, index=True)
    region = Column(String(40), nullable=True)  # for the waiting list
    first_name = Column(String(80), nullable=False)
    contact = Column(String(254), nullable=False)  # lower-case e-mail or an E.164 mobile number
    note = Column(Text, nullable=True)
    status = Column(String(16), nullable=False, default="new")  # new, contacted, placed, cancelled
    channel = Column(String(32), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class CourseSession(Base):
    """One of a running group's 8 sessions, at a local date-time in the group's time zone (moved or cancelled)."""

    __tablename__ = "course_sessions"
    __table_args__ = (UniqueConstraint("group_id", "number", name="uq_course_sessions_number"),)

    id = Column(Integer, primary_key=True)
    group_id = Column(Integer, ForeignKey("course_groups.id", ondelete="CASCADE"), nullable=False, index=True)
    number = Column(SmallInteger, nullable=False)  # 1 .. 8
    starts_local = Column(DateTime(timezone=False), nullable=False)  # wall-clock time where the group meets
    cancelled = Column(Boolean, nullable=False, default=False)


class Participant(Base):
    """Someone who joined a running group with its code; one group at a time."""

    __tablename__ = "participants"

    user_id = Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    group_id = Column(Integer, ForeignKey("course_groups.id", ondelete="CASCADE"), nullable=False, index=True)
    first_name = Column(String(80), nullable=False)
    share_checkins = Column(Boolean, nullable=False, default=False)  # the teacher may see their own answers
    nudges = Column(String(16), nullable=False, default="on")  # on, paused, stopped
    paused_until = Column(Date, nullable=True)  # the first day nudges come again
    joined_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Absence(Base):
    """"I can't be there next week": the teacher sees it on the organiser page."""

    __tablename__ = "absences"
    __table_args__ = (UniqueConstraint("user_id", "session_id", name="uq_absences_once"),)

    id = Column(Integer, primary_key=True)
    user_id = _user_id()
    session_id = Column(Integer, ForeignKey("course_sessions.id", ondelete="CASCADE"), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class JoinAttempt(Base):
    """A wrong join code, per conversation: five in an hour pause the guessing. Kept for an hour."""

    __tablename__ = "join_attempts"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(200), nullable=False, index=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
