"""User records: the only place that reads or writes `users`."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.language import LANGUAGES
from bot.storage.db import session_scope
from bot.storage.models import User, utcnow


class UserStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, channel: str, channel_user_id: str) -> Optional[User]:
        with session_scope(self.engine) as session:
            return session.execute(_by_key(channel, channel_user_id)).scalar_one_or_none()

    def with_consent(self, channel: str, channel_user_id: str) -> Optional[User]:
        """The profile, when this person agreed to what we store (the only profiles there are; see record_consent)."""
        user = self.get(channel, channel_user_id)
        return user if user is not None and user.consent_at is not None else None

    def record_consent(self, channel: str, channel_user_id: str, language: str = "nl") -> User:
        """The person agreed to the privacy notice: the one way a profile comes to exist (also again after
        forget-me). Safe when two turns race."""
        language = language if language in LANGUAGES else "nl"
        for _ in range(2):
            try:
                with session_scope(self.engine) as session:
                    user = session.execute(_by_key(channel, channel_user_id)).scalar_one_or_none()
                    if user is None:
                        user = User(channel=channel, channel_user_id=channel_user_id, language=language)
                        session.add(user)
                    user.consent_at = user.consent_at or utcnow()
                return user
            except IntegrityError:  # created by a parallel turn in the meantime: update that one
                continue
        raise RuntimeError("could not record consent")

    def set_language(self, channel: str, channel_user_id: str, language: str) -> None:
        """Remember the language for someone with a profile; nobody gets a profile because of it."""
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        self._update(channel, channel_user_id, language=language)

    def mark_inactive(self, channel: str, channel_user_id: str) -> None:
        """The person blocked the bot: no scheduled message may go there."""
        self._update(channel, channel_user_id, active=False)

    def reactivate(self, channel: str, channel_user_id: str) -> bool:
        """Someone who blocked the bot writes again: scheduled messages may go there again (no new profile)."""
        with session_scope(self.engine) as session:
            result = session.execute(
                update(User)
                .where(User.channel == channel, User.channel_user_id == channel_user_id, User.active.is_(False))
                .values(active=True)
            )
            return result.rowcount > 0

    def delete(self, channel: str, channel_user_id: str) -> bool:
        with session_scope(self.engine) as session:
            result = session.execute(
                delete(User).where(User.channel == channel, User.channel_user_id == channel_user_id)
            )
            return result.rowcount > 0

    def _update(self, channel: str, channel_user_id: str, **values: object) -> bool:
        """Change an existing profile; never creates one (after forget-me nothing comes back by itself)."""
        with session_scope(self.engine) as session:
            result = session.execute(
                update(User).where(User.channel == channel, User.channel_user_id == channel_user_id).values(**values)
            )
            return result.rowcount > 0


def _by_key(channel: str, channel_user_id: str):  # type: ignore[no-untyped-def]
    return select(User).where(User.channel == channel, User.channel_user_id == channel_user_id)
