"""course groups (managed by the organiser) and enrolments

Revision ID: 0003_course
Revises: 0002_exercises
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_course"
down_revision = "0002_exercises"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("place", sa.String(200), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("region", sa.String(40), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=True),
        sa.Column("start_time", sa.String(5), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False, server_default="12"),
        sa.Column("price", sa.String(120), nullable=True),
        sa.Column("teacher", sa.String(80), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "enrolments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("course_groups.id", ondelete="SET NULL"), nullable=True),
        sa.Column("region", sa.String(40), nullable=True),
        sa.Column("first_name", sa.String(80), nullable=False),
        sa.Column("contact", sa.String(254), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="new"),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_enrolments_group_id", "enrolments", ["group_id"])


def downgrade() -> None:
    op.drop_table("enrolments")
    op.drop_table("course_groups")
