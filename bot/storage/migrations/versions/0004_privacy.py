"""privacy: when someone last wrote (for retention) and short-lived downloads of 'my data'

Revision ID: 0004_privacy
Revises: 0003_course
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_privacy"
down_revision = "0003_course"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "downloads",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("sender_id", sa.String(200), nullable=False, index=True),
        sa.Column("filename", sa.String(120), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("downloads")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_seen_at")
