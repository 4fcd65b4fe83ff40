"""Tables. Every table with personal data links to `users`, so export and deletion find it all."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import Boolean, Column, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import declarative_base

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


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

    def to_export(self) -> dict:
        """What we hold about this person, in plain values (for 'show my data')."""
        consent: Optional[str] = self.consent_at.isoformat() if self.consent_at else None
        return {
            "channel": self.channel,
            "channel_user_id": self.channel_user_id,
            "language": self.language,
            "consent_at": consent,
            "active": self.active,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }
