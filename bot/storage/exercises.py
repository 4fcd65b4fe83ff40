"""Exercises, subscriptions and check-ins: the only place that reads or writes those tables."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from bot.storage.db import session_scope
from bot.storage.models import Checkin, ExerciseLog, OutboxMessage, Subscription, utcnow

DEFAULT_TIMEZONE = "Europe/Amsterdam"


def iso_week(day: date) -> str:
    """The ISO week a day falls in, as stored: "2026-W48"."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class SubscriptionView:
    local_time: str
    timezone: str
    paused_until: Optional[date]
    active: bool


class ExerciseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- exercises given, done and rated ----

    def log_given(self, user_id: int, exercise_key: str, scheduled: bool = False) -> int:
        with session_scope(self.engine) as session:
            row = ExerciseLog(user_id=user_id, exercise_key=exercise_key, scheduled=scheduled)
            session.add(row)
            session.flush()
            return int(row.id)

    def recent_keys(self, user_id: int, days: int = 14, now: Optional[datetime] = None) -> List[str]:
        """Keys of the exercises this person was given in the last `days` days, newest first."""
        since = (now or utcnow()) - timedelta(days=days)
        query = (
            select(ExerciseLog.exercise_key)
            .where(ExerciseLog.user_id == user_id, ExerciseLog.given_at >= since)
            .order_by(ExerciseLog.given_at.desc(), ExerciseLog.id.desc())
        )
        with session_scope(self.engine) as session:
            return list(session.execute(query).scalars())

    def mark_done(self, user_id: int, now: Optional[datetime] = None) -> Optional[str]:
        """The latest exercise given is done; returns its key (None when nothing was given)."""
        with session_scope(self.engine) as session:
            row = self._latest(session, user_id)
            if row is None:
                return None
            if row.done_at is None:
                row.done_at = now or utcnow()
            return str(row.exercise_key)

    def save_feedback(self, user_id: int, rating: Optional[int], note: Optional[str]) -> bool:
        """How it went (1-4) and what they noticed, on the latest exercise done."""
        with session_scope(self.engine) as session:
            row = self._latest(session, user_id, done=True)
            if row is None:
                return False
            row.rating = rating
            row.note = note or None
            return True

    @staticmethod
    def _latest(session, user_id: int, done: bool = False) -> Optional[ExerciseLog]:  # type: ignore[no-untyped-def]
        query = select(ExerciseLog).where(ExerciseLog.user_id == user_id)
        if done:
            query = query.where(ExerciseLog.done_at.is_not(None))
        query = query.order_by(ExerciseLog.given_at.desc(), ExerciseLog.id.desc()).limit(1)
        return session.execute(query).scalar_one_or_none()

    def done_history(self, user_id: int) -> List[ExerciseLog]:
        query = select(ExerciseLog).where(ExerciseLog.user_id == user_id, ExerciseLog.done_at.is_not(None))
        with session_scope(self.engine) as session:
            return list(session.execute(query).scalars())

    # ---- the daily subscription ----

    def subscribe(self, user_id: int, local_time: str, timezone: str = DEFAULT_TIMEZONE) -> None:
        """Start daily exercises, or change their time; an earlier pause or stop ends."""
        values = dict(local_time=local_time, timezone=timezone, paused_until=None, active=True, updated_at=utcnow())
        with session_scope(self.engine) as session:
            found = session.get(Subscription, user_id)
            if found is None:
                session.add(Subscription(user_id=user_id, **values))
            else:
                for name, value in values.items():
                    setattr(found, name, value)
            _cancel_pending(session, user_id, "exercise")  # the planner plans again at the new time

    def subscription(self, user_id: int) -> Optional[SubscriptionView]:
        with session_scope(self.engine) as session:
            found = session.get(Subscription, user_id)
            if found is None:
                return None
            return SubscriptionView(found.local_time, found.timezone, found.paused_until, bool(found.active))

    def set_timezone(self, user_id: int, timezone: str) -> bool:
        return self._update_subscription(user_id, timezone=timezone, cancel=True)

    def pause(self, user_id: int, until: date) -> bool:
        return self._update_subscription(user_id, paused_until=until, cancel=True)

    def resume(self, user_id: int) -> bool:
        return self._update_subscription(user_id, paused_until=None, active=True, cancel=False)

    def stop(self, user_id: int) -> bool:
        """Stop for good (the row stays so "resume" can pick the same time again); pending messages are cancelled."""
        return self._update_subscription(user_id, active=False, paused_until=None, cancel=True)

    def _update_subscription(self, user_id: int, cancel: bool, **values: object) -> bool:
        with session_scope(self.engine) as session:
            found = session.get(Subscription, user_id)
            if found is None:
                return False
            for name, value in values.items():
                setattr(found, name, value)
            found.updated_at = utcnow()
            if cancel:
                _cancel_pending(session, user_id, "exercise")
                _cancel_pending(session, user_id, "checkin")
            return True

    # ---- the weekly check-in ----

    def save_checkin(self, user_id: int, score: int, day: date) -> None:
        """One answer per ISO week; answering again that week replaces it."""
        if not 0 <= score <= 10:
            raise ValueError("a check-in is 0-10")
        week = iso_week(day)
        with session_scope(self.engine) as session:
            session.execute(delete(Checkin).where(Checkin.user_id == user_id, Checkin.iso_week == week))
            session.add(Checkin(user_id=user_id, iso_week=week, score=score))

    def checkins(self, user_id: int) -> Dict[str, int]:
        query = select(Checkin.iso_week, Checkin.score).where(Checkin.user_id == user_id)
        with session_scope(self.engine) as session:
            return {week: int(score) for week, score in session.execute(query)}

    def count_done(self, user_id: int) -> int:
        query = select(func.count()).where(ExerciseLog.user_id == user_id, ExerciseLog.done_at.is_not(None))
        with session_scope(self.engine) as session:
            return int(session.execute(query).scalar_one())


def _cancel_pending(session, user_id: int, kind: str) -> None:  # type: ignore[no-untyped-def]
    """Planned but unsent messages go (deleted, not marked): the planner plans again from the new subscription."""
    session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.user_id == user_id, OutboxMessage.kind == kind, OutboxMessage.state == "pending"
        )
    )
