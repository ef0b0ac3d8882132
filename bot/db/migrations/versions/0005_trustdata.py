"""anonymous answers unlinkable (survey_completions, key ids), hand-off delivery retries, staff chat moves

Revision ID: 0005_trustdata
Revises: 0004_one_in_progress
Create Date: 2026-12-01

Data: every completed response's respondent key becomes an "already answered" marker (survey_completions), then
the keys of completed anonymous responses are replaced with random bytes, so nothing stored with a finished
anonymous response can be matched to a user id, even with the secret. Hand-off requests that already have a copy
in a staff chat count as delivered; open ones without are retried by the bot.
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005_trustdata"
down_revision = "0004_one_in_progress"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_completions",
        sa.Column("marker", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("marker", name=op.f("pk_survey_completions")),
        sqlite_with_rowid=False,
    )
    op.add_column("survey_responses", sa.Column("key_id", sa.String(length=16), nullable=True))
    op.create_table(
        "staff_chat_moves",
        sa.Column("old_chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("new_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("old_chat_id", name=op.f("pk_staff_chat_moves")),
    )
    op.add_column("handoff_requests", sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("handoff_requests", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    op.add_column("handoff_requests", sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("handoff_requests", sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_handoff_requests_next_attempt_at"), "handoff_requests", ["next_attempt_at"])

    bind = op.get_bind()
    bind.execute(sa.text(
        "INSERT INTO survey_completions (marker) SELECT DISTINCT respondent_key FROM survey_responses "
        "WHERE status = 'completed'"
    ))
    ids = [row[0] for row in bind.execute(sa.text(
        "SELECT id FROM survey_responses WHERE status = 'completed' AND user_id IS NULL"
    ))]
    for response_id in ids:
        bind.execute(sa.text("UPDATE survey_responses SET respondent_key = :key WHERE id = :id"),
                     {"key": secrets.token_hex(32), "id": response_id})
    bind.execute(sa.text(
        "UPDATE handoff_requests SET delivered_at = created_at WHERE id IN "
        "(SELECT handoff_id FROM handoff_deliveries)"
    ))


def downgrade() -> None:
    op.drop_index(op.f("ix_handoff_requests_next_attempt_at"), table_name="handoff_requests")
    with op.batch_alter_table("handoff_requests") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("next_attempt_at")
        batch.drop_column("attempts")
        batch.drop_column("delivered_at")
    op.drop_table("staff_chat_moves")
    with op.batch_alter_table("survey_responses") as batch:
        batch.drop_column("key_id")
    op.drop_table("survey_completions")
