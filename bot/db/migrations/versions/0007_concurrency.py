"""update inbox: durable intake and idempotent processing of Telegram updates

Revision ID: 0007_concurrency
Revises: 0004_one_in_progress
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_concurrency"
down_revision = "0005_trustdata"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "update_inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_update_inbox")),
    )
    op.create_index(op.f("ix_update_inbox_user_id"), "update_inbox", ["user_id"], unique=False)
    op.create_index(op.f("ix_update_inbox_processed_at"), "update_inbox", ["processed_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_update_inbox_processed_at"), table_name="update_inbox")
    op.drop_index(op.f("ix_update_inbox_user_id"), table_name="update_inbox")
    op.drop_table("update_inbox")
