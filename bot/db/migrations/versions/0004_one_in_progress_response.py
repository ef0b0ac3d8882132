"""at most one unfinished survey response per respondent and survey

Revision ID: 0004_one_in_progress
Revises: 0003_staff
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_one_in_progress"
down_revision = "0003_staff"
branch_labels = None
depends_on = None

WHERE = sa.text("status = 'in_progress'")


def upgrade() -> None:
    op.create_index(
        "uq_survey_responses_one_in_progress",
        "survey_responses",
        ["respondent_key"],
        unique=True,
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("uq_survey_responses_one_in_progress", table_name="survey_responses")
