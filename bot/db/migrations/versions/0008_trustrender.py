"""the suggestions offered for a question; since when a user is waiting to type a question for staff

Revision ID: 0008_trustrender
Revises: 0004_one_in_progress
Create Date: 2026-12-01

- questions.offered: the entry ids offered as "did you mean" / related (space-separated); a pick:/none: button is
  accepted only for a question that offered suggestions, and pick: only for one of them (forged data is stale).
- users.awaiting_since: when "waiting for a question for staff" began; it expires after HANDOFF_WAIT_MINUTES.
Survey reminder claims need no column: `survey_reminders.sent_at` is the claim's time, and a claim older than
`bot.surveys.reminders.CLAIM_EXPIRY` may be claimed again (the process that held it died).
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_trustrender"
down_revision = "0007_concurrency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch_op:
        batch_op.add_column(sa.Column("offered", sa.Text(), nullable=True))
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("awaiting_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("awaiting_since")
    with op.batch_alter_table("questions") as batch_op:
        batch_op.drop_column("offered")
