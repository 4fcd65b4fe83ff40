"""cohorts: running groups with sessions and a join code, participants, absences, wrong join codes

Revision ID: 0005_cohorts
Revises: 0004_privacy
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_cohorts"
down_revision = "0004_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("course_groups") as batch:
        batch.add_column(sa.Column("join_code", sa.String(6), nullable=True))
        batch.add_column(sa.Column("link", sa.String(300), nullable=True))
        batch.add_column(sa.Column("teacher_contact", sa.String(200), nullable=True))
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=False, server_default="Europe/Amsterdam"))
        batch.create_unique_constraint("uq_course_groups_join_code", ["join_code"])
    op.create_table(
        "course_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("course_groups.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("starts_local", sa.DateTime(timezone=False), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("group_id", "number", name="uq_course_sessions_number"),
    )
    op.create_table(
        "participants",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("course_groups.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("first_name", sa.String(80), nullable=False),
        sa.Column("share_checkins", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("nudges", sa.String(16), nullable=False, server_default="on"),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "absences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("course_sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "session_id", name="uq_absences_once"),
    )
    op.create_table(
        "join_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(200), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("join_attempts")
    op.drop_table("absences")
    op.drop_table("participants")
    op.drop_table("course_sessions")
    with op.batch_alter_table("course_groups") as batch:
        batch.drop_constraint("uq_course_groups_join_code", type_="unique")
        batch.drop_column("timezone")
        batch.drop_column("teacher_contact")
        batch.drop_column("link")
        batch.drop_column("join_code")
