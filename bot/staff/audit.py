"""The audit log: every staff action (who, what, when), written in the same unit of work as the action.

`details` names surveys, questions, handoffs and knowledge-base entries by id — never an applicant's
Telegram user id, so the log can be kept when an applicant asks to be forgotten.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditLog

# What staff can do; `action` column values.
ACTIONS: frozenset[str] = frozenset(
    {
        "stats",
        "responses",
        "export",
        "chart",
        "unanswered",
        "surveys",
        "survey_state",
        "kb_suggest",
        "kb_example",
        "handoff_reply",
        "handoffs",
        "invite",  # /invite (any form)
        "invite_start",  # the confirmation: how many recipients were queued (or why not)
        "invite_cancel",
    }
)


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def record(self, admin_id: int, action: str, **details: Any) -> AuditLog:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        row = AuditLog(
            admin_id=admin_id,
            action=action,
            details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str) if details else None,
        )
        self._session.add(row)
        return row
