"""Everything we hold about one person, in one place: export it, delete it, and let old data go (retention).

A person is (channel, channel user id) in our tables and "<channel>:<id>" in Rasa's tracker store (see
bot/channels/identity.py); every table with personal data links to `users` (deleted with it by ON DELETE
CASCADE) or, for downloads and the conversation itself, carries the sender id.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, func, inspect, select, update
from sqlalchemy.engine import Engine

from bot.channels.identity import identity
from bot.storage.db import session_scope
from bot.storage.models import (
    Absence, Checkin, CourseGroup, Download, Enrolment, ExerciseLog, JoinAttempt, OutboxMessage, Participant, Subscription,
    User, WebInbox, as_utc, utcnow,
)

# Rasa's SQL tracker store table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent), only the columns we need.
EVENTS = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("data", Text),
)
# A turn that ends with this slot set deletes its conversation instead of saving it (bot/tracker_store.py).
FORGET_SLOT = "forget_me"
# Tables joined to a person by users.id: export lists each (a test checks none is missing).
PERSONAL_TABLES = (ExerciseLog, Subscription, Checkin, OutboxMessage, WebInbox, Enrolment, Participant, Absence)


def delete_conversation(tracker_engine: Engine, sender_id: str) -> int:
    """Every stored event of this conversation (texts included)."""
    if not _has_events(tracker_engine):
        return 0
    with session_scope(tracker_engine) as session:
        return session.execute(delete(EVENTS).where(EVENTS.c.sender_id == sender_id)).rowcount


def fetch_download(engine: Engine, token: str, now: Optional[datetime] = None) -> Optional[Tuple[str, str]]:
    """(filename, content) of a "my data" file while its link is valid; None when unknown or expired."""
    with session_scope(engine) as session:
        found = session.get(Download, token)
        if found is None or as_utc(found.expires_at) <= (now or utcnow()):
            return None
        return found.filename, found.content


def _has_events(engine: Engine) -> bool:
    return inspect(engine).has_table("events")


@dataclass
class Purged:
    events: int
    people: int
    downloads: int


class PrivacyStore:
    def __init__(self, engine: Engine, tracker_engine: Engine) -> None:
        self.engine = engine
        self.tracker_engine = tracker_engine

    # ---- show ----

    def export(self, channel: str, channel_user_id: str) -> Dict[str, Any]:
        """All we hold, as plain JSON values: profile, every personal table, the conversation."""
        sender_id = identity(channel, channel_user_id).sender_id
        record: Dict[str, Any] = {"exported_at": utcnow().isoformat(), "profile": None}
        with session_scope(self.engine) as session:
            user = session.execute(
                select(User).where(User.channel == channel, User.channel_user_id == channel_user_id)
            ).scalar_one_or_none()
            if user is not None:
                record["profile"] = user.to_export()
                for table in PERSONAL_TABLES:
                    rows = session.execute(select(table).where(table.user_id == user.id)).scalars().all()
                    record[table.__tablename__] = [_plain(row) for row in rows]
                enrolment = record.get("enrolments") or []
                for row in enrolment:
                    if row.get("group_id") is not None:
                        group = session.get(CourseGroup, row["group_id"])
                        row["group"] = group.title if group is not None else None
        record["conversation"] = self.conversation(sender_id)
        return record

    def conversation(self, sender_id: str) -> List[Dict[str, Any]]:
        """The messages of the conversation, both sides, oldest first."""
        if not _has_events(self.tracker_engine):
            return []
        query = (
            select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
            .where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name.in_(("user", "bot")))
            .order_by(EVENTS.c.id)
        )
        with session_scope(self.tracker_engine) as session:
            rows = session.execute(query).all()
        said = []
        for type_name, timestamp, data in rows:
            text = (json.loads(data) if data else {}).get("text")
            if text:
                at = datetime.fromtimestamp(timestamp or 0, tz=utcnow().tzinfo).isoformat()
                said.append({"at": at, "from": "you" if type_name == "user" else "lichtpunt", "text": text})
        return said

    # ---- a file to download ----

    def save_download(self, sender_id: str, filename: str, content: str, minutes: float) -> str:
        token = secrets.token_urlsafe(24)
        with session_scope(self.engine) as session:
            session.add(Download(
                token=token, sender_id=sender_id, filename=filename, content=content,
                expires_at=utcnow() + timedelta(minutes=minutes),
            ))
        return token

    def download(self, token: str, now: Optional[datetime] = None) -> Optional[Tuple[str, str]]:
        return fetch_download(self.engine, token, now)

    # ---- forget ----

    def forget(self, channel: str, channel_user_id: str) -> bool:
        """Delete every row about this person in every table (the conversation too). True if a profile existed."""
        sender_id = identity(channel, channel_user_id).sender_id
        with session_scope(self.engine) as session:
            deleted = session.execute(
                delete(User).where(User.channel == channel, User.channel_user_id == channel_user_id)
            ).rowcount
            session.execute(delete(Download).where(Download.sender_id == sender_id))
            session.execute(delete(JoinAttempt).where(JoinAttempt.sender_id == sender_id))
        delete_conversation(self.tracker_engine, sender_id)
        return deleted > 0

    # ---- retention ----

    def purge(self, event_days: int, inactive_months: int, now: Optional[datetime] = None) -> Purged:
        """Conversation events older than `event_days`, people who have not written for `inactive_months`
        (everything about them), and expired downloads. First notes when each person last wrote, because
        their older messages are about to go."""
        now = now or utcnow()
        self._note_last_seen()
        events = 0
        if _has_events(self.tracker_engine):
            cutoff = (now - timedelta(days=event_days)).timestamp()
            with session_scope(self.tracker_engine) as session:
                events = session.execute(delete(EVENTS).where(EVENTS.c.timestamp < cutoff)).rowcount
        gone_before = now - timedelta(days=round(inactive_months * 30.44))
        with session_scope(self.engine) as session:
            inactive = session.execute(
                select(User.channel, User.channel_user_id).where(
                    func.coalesce(User.last_seen_at, User.consent_at, User.created_at) < gone_before
                )
            ).all()
            downloads = session.execute(delete(Download).where(Download.expires_at <= now)).rowcount
        for channel, channel_user_id in inactive:
            self.forget(channel, channel_user_id)
        return Purged(events=events, people=len(inactive), downloads=downloads)

    def _note_last_seen(self) -> None:
        if not _has_events(self.tracker_engine):
            return
        with session_scope(self.engine) as session:
            people = session.execute(select(User.id, User.channel, User.channel_user_id)).all()
        senders = {identity(channel, user_id).sender_id: key for key, channel, user_id in people}
        for chunk in _chunks(list(senders), 500):
            with session_scope(self.tracker_engine) as session:
                latest = session.execute(
                    select(EVENTS.c.sender_id, func.max(EVENTS.c.timestamp))
                    .where(EVENTS.c.sender_id.in_(chunk), EVENTS.c.type_name == "user")
                    .group_by(EVENTS.c.sender_id)
                ).all()
            with session_scope(self.engine) as session:
                for sender_id, timestamp in latest:
                    seen = datetime.fromtimestamp(timestamp, tz=utcnow().tzinfo)
                    session.execute(
                        update(User)
                        .where(User.id == senders[sender_id])
                        .where((User.last_seen_at.is_(None)) | (User.last_seen_at < seen))
                        .values(last_seen_at=seen)
                    )


def _plain(row: Any) -> Dict[str, Any]:
    values = {column.name: getattr(row, column.key) for column in row.__table__.columns}
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in values.items()}


def _chunks(items: List[str], size: int) -> Iterable[List[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def purge_with_settings(now: Optional[datetime] = None) -> Purged:
    """Retention as the settings say (`python -m bot retention`, and daily in the dispatcher process)."""
    from bot.settings import get_settings
    from bot.storage.db import default_engine, tracker_engine

    settings = get_settings()
    store = PrivacyStore(default_engine(), tracker_engine())
    return store.purge(settings.retention_event_days, settings.retention_inactive_months, now)
