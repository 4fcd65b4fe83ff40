"""daily exercises: exercise log, subscriptions, weekly check-ins, the outbox, web inbox, long button payloads

Revision ID: 0002_exercises
Revises: 0001_users
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_exercises"
down_revision = "0001_users"
branch_labels = None
depends_on = None


def _user_id(primary_key: bool = False) -> sa.Column:
    return sa.Column(
        "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
        primary_key=primary_key,
    )


def _created(name: str = "created_at") -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    op.create_table(
        "exercise_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user_id(),
        sa.Column("exercise_key", sa.String(64), nullable=False),
        _created("given_at"),
        sa.Column("scheduled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_exercise_log_user_id", "exercise_log", ["user_id"])
    op.create_table(
        "subscriptions",
        _user_id(primary_key=True),
        sa.Column("local_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="Europe/Amsterdam"),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        _created(),
        _created("updated_at"),
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user_id(),
        sa.Column("iso_week", sa.String(8), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        _created("answered_at"),
        sa.UniqueConstraint("user_id", "iso_week", name="uq_checkins_user_week"),
    )
    op.create_index("ix_checkins_user_id", "checkins", ["user_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user_id(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("slot", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.UniqueConstraint("user_id", "kind", "local_date", "slot", name="uq_outbox_once"),
    )
    op.create_index("ix_outbox_user_id", "outbox", ["user_id"])
    op.create_index("ix_outbox_due", "outbox", ["state", "due_at"])
    op.create_table(
        "web_inbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user_id(),
        sa.Column("messages", sa.JSON(), nullable=False),
        _created(),
    )
    op.create_index("ix_web_inbox_user_id", "web_inbox", ["user_id"])
    op.create_table(
        "button_payloads",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("payload", sa.Text(), nullable=False),
        _created(),
    )


def downgrade() -> None:
    for table in ("button_payloads", "web_inbox", "outbox", "checkins", "subscriptions", "exercise_log"):
        op.drop_table(table)
