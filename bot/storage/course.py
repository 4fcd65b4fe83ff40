"""Course groups and enrolments: the only place that reads or writes those tables."""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.storage.db import session_scope
from bot.storage.models import CourseGroup, Enrolment, User, utcnow

GROUP_STATUSES = ("open", "full", "closed")
ENROLMENT_STATUSES = ("new", "contacted", "placed", "cancelled")
TEXT_LIMITS = {"title": 120, "place": 200, "region": 40, "price": 120, "teacher": 80}  # the columns' lengths
GROUP_FIELDS = ("title", "place", "online", "region", "start_date", "weekday", "start_time", "capacity", "price", "teacher", "status")


@dataclass(frozen=True)
class Group:
    id: int
    title: str
    place: Optional[str]
    online: bool
    region: Optional[str]
    start_date: date
    weekday: Optional[int]
    start_time: Optional[str]
    capacity: int
    price: Optional[str]
    teacher: Optional[str]
    status: str
    taken: int = 0  # enrolments that are not cancelled

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def bookable(self) -> bool:
        return self.status == "open" and self.free > 0


@dataclass(frozen=True)
class EnrolmentView:
    id: int
    user_id: int
    group_id: Optional[int]
    region: Optional[str]
    first_name: str
    contact: str
    note: Optional[str]
    status: str
    channel: str
    created_at: Any
    updated_at: Any

    def as_row(self) -> Dict[str, Any]:
        row = {field.name: getattr(self, field.name) for field in fields(self)}
        for key in ("created_at", "updated_at"):
            row[key] = row[key].isoformat() if row[key] is not None else None
        return row


class GroupFull(Exception):
    """The chosen group has no free place left (or is not open)."""


class CourseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- groups ----

    def add_group(self, **values: Any) -> int:
        _check_group(values)
        with session_scope(self.engine) as session:
            group = CourseGroup(**values)
            session.add(group)
            session.flush()
            return int(group.id)

    def edit_group(self, group_id: int, **values: Any) -> bool:
        _check_group(values)
        with session_scope(self.engine) as session:
            group = session.get(CourseGroup, group_id)
            if group is None:
                return False
            for name, value in values.items():
                setattr(group, name, value)
            return True

    def groups(self, only_open: bool = False) -> List[Group]:
        taken = (
            select(Enrolment.group_id, func.count().label("taken"))
            .where(Enrolment.status != "cancelled", Enrolment.group_id.is_not(None))
            .group_by(Enrolment.group_id)
            .subquery()
        )
        query = select(CourseGroup, func.coalesce(taken.c.taken, 0)).outerjoin(taken, taken.c.group_id == CourseGroup.id)
        if only_open:
            query = query.where(CourseGroup.status == "open")
        query = query.order_by(CourseGroup.start_date, CourseGroup.id)
        with session_scope(self.engine) as session:
            return [_group(row, int(count)) for row, count in session.execute(query)]

    def group(self, group_id: int) -> Optional[Group]:
        return next((group for group in self.groups() if group.id == group_id), None)

    # ---- enrolments ----

    def enrol(self, user_id: int, first_name: str, contact: str, channel: str, group_id: Optional[int] = None,
              region: Optional[str] = None, note: Optional[str] = None) -> int:
        """Enrol, or update this person's enrolment (never a second one). A full group raises GroupFull."""
        with session_scope(self.engine) as session:
            existing = session.execute(select(Enrolment).where(Enrolment.user_id == user_id)).scalar_one_or_none()
            if group_id is not None:
                group = session.get(CourseGroup, group_id, with_for_update=True)
                taken = session.execute(
                    select(func.count()).where(Enrolment.group_id == group_id, Enrolment.status != "cancelled",
                                               Enrolment.user_id != user_id)
                ).scalar_one()
                if group is None or group.status != "open" or taken >= group.capacity:
                    raise GroupFull(group_id)
            values = dict(first_name=first_name, contact=contact, channel=channel, group_id=group_id, region=region,
                          note=note or None, status="new", updated_at=utcnow())
            if existing is None:
                existing = Enrolment(user_id=user_id, **values)
                session.add(existing)
            else:
                for name, value in values.items():
                    setattr(existing, name, value)
            session.flush()
            return int(existing.id)

    def enrolment_of(self, user_id: int) -> Optional[EnrolmentView]:
        with session_scope(self.engine) as session:
            row = session.execute(select(Enrolment).where(Enrolment.user_id == user_id)).scalar_one_or_none()
            return _enrolment(row) if row is not None else None

    def cancel(self, user_id: int) -> bool:
        with session_scope(self.engine) as session:
            row = session.execute(select(Enrolment).where(Enrolment.user_id == user_id)).scalar_one_or_none()
            if row is None or row.status == "cancelled":
                return False
            row.status, row.updated_at = "cancelled", utcnow()
            return True

    def enrolments(self) -> List[EnrolmentView]:
        with session_scope(self.engine) as session:
            rows = session.execute(select(Enrolment).order_by(Enrolment.created_at, Enrolment.id)).scalars()
            return [_enrolment(row) for row in rows]

    def enrolment(self, enrolment_id: int) -> Optional[EnrolmentView]:
        with session_scope(self.engine) as session:
            row = session.get(Enrolment, enrolment_id)
            return _enrolment(row) if row is not None else None

    def set_status(self, enrolment_id: int, status: str) -> bool:
        if status not in ENROLMENT_STATUSES:
            raise ValueError(f"status must be one of {', '.join(ENROLMENT_STATUSES)}")
        with session_scope(self.engine) as session:
            row = session.get(Enrolment, enrolment_id)
            if row is None:
                return False
            row.status, row.updated_at = status, utcnow()
            return True

    def waiting_in(self, region: Optional[str]) -> List[EnrolmentView]:
        """People on the waiting list for a region (all regions when None)."""
        query = select(Enrolment).where(Enrolment.group_id.is_(None), Enrolment.status == "new")
        if region is not None:
            query = query.where(Enrolment.region == region)
        with session_scope(self.engine) as session:
            return [_enrolment(row) for row in session.execute(query).scalars()]

    def channel_user(self, user_id: int) -> Optional[tuple]:
        with session_scope(self.engine) as session:
            user = session.get(User, user_id)
            return (user.channel, user.channel_user_id) if user is not None else None


def _check_group(values: Dict[str, Any]) -> None:
    unknown = set(values) - set(GROUP_FIELDS)
    if unknown:
        raise ValueError(f"unknown group fields: {', '.join(sorted(unknown))}")
    if "status" in values and values["status"] not in GROUP_STATUSES:
        raise ValueError(f"status must be one of {', '.join(GROUP_STATUSES)}")
    if "capacity" in values and not 1 <= int(values["capacity"]) <= 50:
        raise ValueError("capacity must be 1-50")
    if values.get("weekday") is not None and not 0 <= int(values["weekday"]) <= 6:
        raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
    if "title" in values and not str(values["title"] or "").strip():
        raise ValueError("a group needs a title")
    if values.get("start_time") is not None and not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", str(values["start_time"])):
        raise ValueError("start time must be HH:MM, e.g. 19:30")
    for name, limit in TEXT_LIMITS.items():  # PostgreSQL refuses longer text; SQLite would store it
        if values.get(name) is not None and len(str(values[name])) > limit:
            raise ValueError(f"{name} may be at most {limit} characters")


def _group(row: CourseGroup, taken: int) -> Group:
    return Group(row.id, row.title, row.place, bool(row.online), row.region, row.start_date, row.weekday,
                 row.start_time, int(row.capacity), row.price, row.teacher, row.status, taken)


def _enrolment(row: Enrolment) -> EnrolmentView:
    return EnrolmentView(row.id, row.user_id, row.group_id, row.region, row.first_name, row.contact, row.note,
                         row.status, row.channel, row.created_at, row.updated_at)
