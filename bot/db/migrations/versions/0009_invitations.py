"""survey invitations (runs, one row per recipient), opt-out and blocked marks on users, the shared send budget

Revision ID: 0009_invitations
Revises: 0004_one_in_progress
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_invitations"
down_revision = "0008_trustrender"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("invitations_off", sa.Boolean(), nullable=False, server_default=sa.text("false")))
        batch.add_column(sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "invitation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("admin_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("status_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("status_message_id", sa.BigInteger(), nullable=True),
        sa.Column("status_edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_runs")),
    )
    op.create_index(op.f("ix_invitation_runs_survey_id"), "invitation_runs", ["survey_id"])
    op.create_index(op.f("ix_invitation_runs_status"), "invitation_runs", ["status"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["invitation_runs.id"], name=op.f("fk_invitations_run_id_invitation_runs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("run_id", "user_id", name=op.f("uq_invitations_run_id")),
    )
    op.create_index(op.f("ix_invitations_user_id"), "invitations", ["user_id"])
    op.create_index("ix_invitations_status_id", "invitations", ["status", "id"])
    op.create_table(
        "send_budget",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("tat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_send_budget")),
    )
    if op.get_bind().dialect.name == "postgresql":  # worthless after a server crash: no WAL, no fsync for it
        op.execute("ALTER TABLE send_budget SET UNLOGGED")


def downgrade() -> None:
    op.drop_table("send_budget")
    op.drop_index("ix_invitations_status_id", table_name="invitations")
    op.drop_index(op.f("ix_invitations_user_id"), table_name="invitations")
    op.drop_table("invitations")
    op.drop_index(op.f("ix_invitation_runs_status"), table_name="invitation_runs")
    op.drop_index(op.f("ix_invitation_runs_survey_id"), table_name="invitation_runs")
    op.drop_table("invitation_runs")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("blocked_at")
        batch.drop_column("invitations_off")
