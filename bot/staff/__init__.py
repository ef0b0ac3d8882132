"""Staff review, with no Telegram in sight: statistics, exports, charts, knowledge-base edits, the audit log.

Staff are the Telegram user ids in ADMIN_IDS; the role check itself happens in `handlers/staff/access.py` (every
command and every button), this package only computes and writes what staff asked for.
"""

from __future__ import annotations

# The staff command menu (after the public commands), in this order; descriptions: bot/locales/*/staff.yaml.
STAFF_COMMANDS: tuple[str, ...] = (
    "stats", "responses", "export", "chart", "unanswered", "surveys", "handoffs", "invite",
)
