"""The scheduled sender: every proactive message (a daily exercise, later course nudges) goes through here.

- `Outbox.plan` fills the `outbox` table for the coming days from the subscriptions, one row per
  (user, kind, local date, slot): planning twice never sends twice. Local times become UTC per day, so
  daylight-saving changes and other time zones come out right.
- `Dispatcher` claims due rows in small batches (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
  dispatchers can run at once; run one on SQLite), lets Rasa compose the message (so the reply is understood
  in context), sends it through the channel's sender, and marks the row sent, failed (with the reason), or
  due again later. Rows are sent one at a time, so a crash (even `kill -9`) sends at most one message twice:
  a row left in "sending" is claimed again after `reclaim_after`.
"""
from __future__ import annotations

import asyncio
import logging
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Awaitable, Callable, Dict, List, Optional, Protocol, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from bot.channels.identity import identity
from bot.storage.cohorts import local_to_utc
from bot.storage.db import session_scope
from bot.storage.models import OutboxMessage, Subscription, User, WebInbox, as_utc, utcnow

logger = logging.getLogger(__name__)

STATES = ("pending", "sending", "sent", "failed", "cancelled")
MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=30)  # 30 s, 1, 2, 4 minutes between tries
# What Rasa is asked to do for each kind of message: the intent the dialogue answers as if the person asked.
INTENT_FOR_KIND = {
    "exercise": "request_exercise", "checkin": "weekly_checkin", "group_open": "course_where",
    # course participants (bot/cohorts.py): the row's slot says which message ("w3-mid", "closing", a group id)
    "nudge": "course_nudge", "course_checkin": "weekly_checkin", "closing": "course_nudge", "invite": "course_nudge",
}
WITH_SLOT = ("nudge", "closing", "invite")  # Rasa gets the slot as the entity `outbox_slot`
CHECKIN_WEEKDAY = 6  # Sunday: the weekly check-in, at a time that does not collide with the daily exercise


def checkin_time(exercise_time: str) -> str:
    """19:00, or 12:00 for someone whose exercise comes in the evening (a form waiting for "gedaan" stays free)."""
    return "12:00" if "16:00" <= exercise_time < "21:00" else "19:00"


def local_due(day: date, local_time: str, zone: str) -> datetime:
    """The UTC moment of `local_time` on `day` in `zone`.

    A time that does not exist that day (the spring-forward hour) comes an hour later; a time that happens twice
    (autumn) is the first one. One row per local date either way.
    """
    return local_to_utc(datetime.combine(day, time.fromisoformat(local_time)), zone)


@dataclass(frozen=True)
class Due:
    """A claimed outbox row, with what is needed to send it."""

    id: int
    user_id: int
    kind: str
    channel: str
    channel_user_id: str
    language: str
    attempts: int
    slot: str = ""

    @property
    def sender_id(self) -> str:
        """The Rasa conversation this message belongs to."""
        return identity(self.channel, self.channel_user_id).sender_id


class Outbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def plan(self, now: Optional[datetime] = None, days: int = 2) -> int:
        """Plan daily exercises (and the Sunday check-in) from today (local) up to `days` days ahead, and the
        course participants' messages (bot/cohorts.py). Returns how many rows are new.
        """
        from bot.cohorts import CoursePlanner

        now = as_utc(now or utcnow())
        return self._plan_daily(now, days) + CoursePlanner(self.engine).plan(now)

    def _plan_daily(self, now: datetime, days: int) -> int:
        query = (
            select(Subscription.user_id, Subscription.local_time, Subscription.timezone, Subscription.paused_until)
            .join(User, User.id == Subscription.user_id)
            .where(Subscription.active.is_(True), User.active.is_(True))
        )
        rows: List[Dict[str, Any]] = []
        with session_scope(self.engine) as session:
            for user_id, local_time, zone, paused_until in session.execute(query):
                today = now.astimezone(ZoneInfo(zone)).date()
                for offset in range(days + 1):
                    day = today + timedelta(days=offset)
                    if paused_until is not None and day < paused_until:
                        continue
                    planned = [("exercise", local_time)]
                    if day.weekday() == CHECKIN_WEEKDAY:
                        planned.append(("checkin", checkin_time(local_time)))
                    for kind, slot in planned:
                        due = local_due(day, slot, zone)
                        if due > now:  # never plan what is already late
                            rows.append(
                                dict(user_id=user_id, kind=kind, local_date=day, slot=slot, due_at=due,
                                     state="pending", attempts=0)
                            )
            return self._insert_new(session, rows)

    def _insert_new(self, session, rows: List[Dict[str, Any]], chunk: int = 500) -> int:  # type: ignore[no-untyped-def]
        """Insert the rows that are not there yet (the unique key decides); returns how many were new."""
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        added = 0
        for start in range(0, len(rows), chunk):
            statement = (
                insert(OutboxMessage)
                .values(rows[start:start + chunk])
                .on_conflict_do_nothing(index_elements=["user_id", "kind", "local_date", "slot"])
            )
            added += max(session.execute(statement).rowcount, 0)
        return added

    def replace_planned(self, user_id: int, kinds: Sequence[str], wanted: Sequence[Any], now: datetime) -> int:
        """Make this person's future messages of `kinds` exactly `wanted` (items with kind, slot, local_date, due):
        new ones are added, cancelled ones wanted again come back, pending ones no longer wanted are cancelled.
        Sent rows are never touched, so nothing is sent twice. Returns how many rows are new or back."""
        now = as_utc(now)
        changed = 0
        with session_scope(self.engine) as session:
            existing = {
                (row.kind, row.local_date, row.slot): row
                for row in session.execute(
                    select(OutboxMessage).where(OutboxMessage.user_id == user_id, OutboxMessage.kind.in_(kinds))
                    .with_for_update()  # PostgreSQL: a dispatcher claiming one of these waits or skips it
                ).scalars()
            }
            keep = set()
            for item in wanted:
                key = (item.kind, item.local_date, item.slot)
                keep.add(key)
                row = existing.get(key)
                if row is None:
                    if item.due > now:
                        session.add(OutboxMessage(user_id=user_id, kind=item.kind, local_date=item.local_date,
                                                  slot=item.slot, due_at=item.due, state="pending", attempts=0))
                        changed += 1
                elif row.state == "cancelled" and item.due > now:
                    row.state, row.due_at, row.attempts, row.last_error, row.claimed_at = "pending", item.due, 0, None, None
                    changed += 1
                elif row.state == "pending" and as_utc(row.due_at) != item.due:
                    row.due_at = item.due
            for key, row in existing.items():
                if key not in keep and row.state == "pending":
                    row.state, row.last_error = "cancelled", "re-planned: no longer wanted"
        return changed

    def notify(self, user_ids: List[int], kind: str, slot: str, now: Optional[datetime] = None) -> int:
        """One message of `kind` now for each of these people (once per slot: notifying twice sends once)."""
        now = as_utc(now or utcnow())
        rows = [dict(user_id=user_id, kind=kind, local_date=now.date(), slot=slot[:16], due_at=now, state="pending",
                     attempts=0) for user_id in user_ids]
        if not rows:
            return 0
        with session_scope(self.engine) as session:
            return self._insert_new(session, rows)

    def claim(self, now: Optional[datetime] = None, limit: int = 20, reclaim_after: timedelta = timedelta(minutes=5)) -> List[Due]:
        """Take up to `limit` due rows (and rows a crashed dispatcher left in "sending") for this dispatcher."""
        now = as_utc(now or utcnow())
        due = or_(
            and_(OutboxMessage.state == "pending", OutboxMessage.due_at <= now),
            and_(OutboxMessage.state == "sending", OutboxMessage.claimed_at <= now - reclaim_after),
        )
        with session_scope(self.engine) as session:
            ids = list(
                session.execute(
                    select(OutboxMessage.id)
                    .where(due)
                    .order_by(OutboxMessage.due_at, OutboxMessage.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                ).scalars()
            )
            if not ids:
                return []
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(state="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            claimed = session.execute(
                select(OutboxMessage.id, OutboxMessage.user_id, OutboxMessage.kind, User.channel,
                       User.channel_user_id, User.language, OutboxMessage.attempts, OutboxMessage.slot)
                .join(User, User.id == OutboxMessage.user_id)
                .where(OutboxMessage.id.in_(ids))
                .order_by(OutboxMessage.due_at, OutboxMessage.id)
            ).all()
        return [Due(*row) for row in claimed]

    def mark_sent(self, item: Due, now: Optional[datetime] = None) -> None:
        self._set(item.id, state="sent", sent_at=as_utc(now or utcnow()), last_error=None)

    def mark_failed(self, item: Due, reason: str) -> None:
        self._set(item.id, state="failed", last_error=reason[:500])

    def retry_later(self, item: Due, reason: str, at: Optional[datetime] = None, now: Optional[datetime] = None) -> bool:
        """Due again later (back-off): True; or failed after MAX_ATTEMPTS tries: False."""
        if item.attempts >= MAX_ATTEMPTS:
            self.mark_failed(item, f"gave up after {item.attempts} tries: {reason}")
            return False
        when = at or as_utc(now or utcnow()) + RETRY_BASE * (2 ** (item.attempts - 1))
        self._set(item.id, state="pending", due_at=when, claimed_at=None, last_error=reason[:500])
        return True

    def blocked(self, item: Due, reason: str) -> None:
        """The person blocked the bot: inactive, and every pending message for them is cancelled."""
        with session_scope(self.engine) as session:
            session.execute(update(User).where(User.id == item.user_id).values(active=False))
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.user_id == item.user_id, OutboxMessage.state.in_(("pending", "sending")))
                .values(state="cancelled", last_error=reason[:500])
            )

    def counts(self) -> Dict[str, int]:
        with session_scope(self.engine) as session:
            found = dict(session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
        return {state: int(found.get(state, 0)) for state in STATES}

    def _set(self, row_id: int, **values: Any) -> None:
        # One statement in its own transaction, without an ORM session: this runs after every message sent.
        with self.engine.begin() as connection:
            connection.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))


# ---- sending ----


class Blocked(Exception):
    """The person blocked the bot (Telegram 403): stop sending to them."""


class Permanent(Exception):
    """This message can never be sent as it is (Telegram 400, a channel that cannot receive)."""


class Temporary(Exception):
    """Try again later (network, 5xx, Rasa down); `wait` seconds when the other side said how long."""

    def __init__(self, reason: str, wait: Optional[float] = None) -> None:
        super().__init__(reason)
        self.wait = wait


class ChannelSender(Protocol):
    async def send(self, item: Due, replies: List[Dict[str, Any]]) -> None: ...


class WebInboxSender:
    """A website visitor gets the message in the conversation's inbox; the widget shows it when it is open."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def send(self, item: Due, replies: List[Dict[str, Any]]) -> None:
        await asyncio.to_thread(self._store, item.user_id, replies)

    def _store(self, user_id: int, replies: List[Dict[str, Any]]) -> None:
        with session_scope(self.engine) as session:
            session.add(WebInbox(user_id=user_id, messages=replies))


Compose = Callable[[Due], Awaitable[List[Dict[str, Any]]]]


class Pace:
    """At most `rate` messages per second, evenly spaced (`clock` and `sleep` can be replaced in tests)."""

    def __init__(
        self,
        rate: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = clock.monotonic,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.sleep, self.clock = sleep, clock
        self._next = 0.0

    async def wait(self, messages: int = 1) -> None:
        if not self.interval:
            return
        now = self.clock()
        start = max(now, self._next)
        self._next = start + self.interval * messages
        if start > now:
            await self.sleep(start - now)


class Dispatcher:
    def __init__(
        self,
        outbox: Outbox,
        compose: Compose,
        senders: Dict[str, ChannelSender],
        rate: float = 25.0,
        batch: int = 20,
        reclaim_after: timedelta = timedelta(minutes=5),
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.outbox, self.compose, self.senders = outbox, compose, senders
        self.pace = Pace(rate)
        self.batch, self.reclaim_after, self.now = batch, reclaim_after, now

    async def dispatch_due(self, progress: Optional[Callable[[int], None]] = None) -> Dict[str, int]:
        """Send everything that is due now; returns how many were sent, failed, retried or cancelled."""
        tally = {"sent": 0, "failed": 0, "retry": 0, "cancelled": 0}
        while True:
            claimed = await asyncio.to_thread(self.outbox.claim, self.now(), self.batch, self.reclaim_after)
            if not claimed:
                return tally
            for item in claimed:
                outcome = await self.send_one(item)
                tally[outcome] += 1
                if progress:
                    progress(1)

    async def send_one(self, item: Due) -> str:
        sender = self.senders.get(item.channel)
        try:
            if sender is None:
                raise Permanent(f"channel {item.channel!r} cannot receive scheduled messages")
            replies = await self.compose(item)
            if not replies:
                raise Temporary("Rasa composed nothing (is the action server down?)")
            await self.pace.wait(len(replies))
            await sender.send(item, replies)
        except Blocked as reason:
            await asyncio.to_thread(self.outbox.blocked, item, f"blocked: {reason}")
            return "cancelled"
        except Permanent as reason:
            logger.warning("outbox %s failed for good: %s", item.id, reason)
            await asyncio.to_thread(self.outbox.mark_failed, item, str(reason))
            return "failed"
        except Temporary as reason:
            logger.warning("outbox %s not sent yet: %s", item.id, reason)
            now = self.now()
            at = now + timedelta(seconds=reason.wait) if reason.wait is not None else None
            again = await asyncio.to_thread(self.outbox.retry_later, item, str(reason), at, now)
            return "retry" if again else "failed"
        await asyncio.to_thread(self.outbox.mark_sent, item, self.now())
        return "sent"

    async def run(self, stop: asyncio.Event, plan_every: float = 600.0, idle: float = 5.0) -> None:
        """The dispatcher process: plan now and then, send what is due, rest a little when nothing is."""
        planned_at = float("-inf")
        while not stop.is_set():
            if clock.monotonic() - planned_at >= plan_every:
                added = await asyncio.to_thread(self.outbox.plan, self.now())
                planned_at = clock.monotonic()
                if added:
                    logger.info("planned %d messages", added)
            tally = await self.dispatch_due()
            if any(tally.values()):
                logger.info("dispatched: %s", tally)
            try:
                await asyncio.wait_for(stop.wait(), timeout=idle)
            except asyncio.TimeoutError:
                pass


# ---- the real wiring: Rasa composes, Telegram and the web inbox receive ----


class TelegramSender:
    """Scheduled messages to Telegram through the same sending module as the bridge's handlers."""

    def __init__(self, bot: Any, payloads: Any) -> None:
        self.bot, self.payloads = bot, payloads

    async def send(self, item: Due, replies: List[Dict[str, Any]]) -> None:
        from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

        from bot.channels.telegram_send import retry_after_seconds, send_replies

        try:
            await send_replies(self.bot, int(item.channel_user_id), replies, item.language, self.payloads)
        except Forbidden as refused:
            raise Blocked(str(refused)) from refused
        except BadRequest as refused:
            raise Permanent(f"Telegram refused it: {refused}") from refused
        except RetryAfter as flood:  # longer than the sending module waits by itself
            wait = retry_after_seconds(flood)
            raise Temporary(f"flood control: retry after {wait:.0f} s", wait) from flood
        except NetworkError as problem:
            raise Temporary(f"Telegram unreachable: {problem}") from problem
        except ValueError as problem:  # a chat id that is not a number
            raise Permanent(str(problem)) from problem


def rasa_composer(rasa: Any) -> Compose:
    """Rasa writes the message, in the person's conversation (so "gedaan!" afterwards is understood)."""
    from bot.channels.rasa_client import RasaUnavailable

    async def compose(item: Due) -> List[Dict[str, Any]]:
        intent = INTENT_FOR_KIND.get(item.kind)
        if intent is None:
            raise Permanent(f"unknown kind {item.kind!r}")
        entities = {"outbox_slot": item.slot} if item.kind in WITH_SLOT else None
        try:
            return await rasa.trigger(item.sender_id, intent, entities)
        except RasaUnavailable as problem:
            raise Temporary(str(problem)) from problem

    return compose


async def dispatch_with_settings(once: bool, progress: Optional[Callable[[int], None]] = None) -> Dict[str, int]:
    """`python -m bot outbox dispatch [--once]` and the Procfile's dispatcher: settings decide everything."""
    from bot.channels.rasa_client import RasaClient
    from bot.channels.telegram_send import LongPayloads
    from bot.settings import get_settings
    from bot.storage.db import default_engine

    settings = get_settings()
    engine = default_engine()
    rasa = RasaClient(settings.rasa_url, timeout=settings.rasa_timeout, api_token=settings.rasa_api_token)
    senders: Dict[str, ChannelSender] = {"web": WebInboxSender(engine)}
    bot = None
    if settings.telegram_bot_token:
        from telegram import Bot

        bot = Bot(settings.telegram_bot_token, base_url=settings.telegram_base_url)
        await bot.initialize()
        senders["telegram"] = TelegramSender(bot, LongPayloads(engine))
    dispatcher = Dispatcher(
        Outbox(engine), rasa_composer(rasa), senders, rate=settings.dispatch_rate, batch=settings.dispatch_batch,
        reclaim_after=timedelta(seconds=settings.dispatch_reclaim_after),
    )
    try:
        if once:
            return await dispatcher.dispatch_due(progress)
        stop = asyncio.Event()
        _stop_on_signals(stop)
        retention = asyncio.create_task(daily_retention(stop))
        await dispatcher.run(stop)
        await retention
        return {}
    finally:
        await rasa.aclose()
        if bot is not None:
            await bot.shutdown()


async def daily_retention(stop: asyncio.Event, every: float = 24 * 3600.0) -> None:
    """Privacy retention (bot/storage/privacy.py) once a day, beside the sending; a failure waits for the next day."""
    from bot.storage.privacy import purge_with_settings

    while not stop.is_set():
        try:
            purged = await asyncio.to_thread(purge_with_settings)
            if purged.events or purged.people or purged.downloads:
                logger.info("retention: %s", purged)
        except SQLAlchemyError:
            logger.exception("retention failed; trying again tomorrow")
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except asyncio.TimeoutError:
            pass


def _stop_on_signals(stop: asyncio.Event) -> None:
    import signal

    loop = asyncio.get_running_loop()
    for name in ("SIGINT", "SIGTERM"):
        try:
            loop.add_signal_handler(getattr(signal, name), stop.set)
        except (NotImplementedError, RuntimeError):
            pass
