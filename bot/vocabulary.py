"""The project's named vocabulary: every status, outcome and engine name stored in the database or compared in
code, defined once. The values are the strings stored in the database (StrEnum members compare equal to them),
so changing a value here needs a migration.
"""

from __future__ import annotations

from enum import StrEnum


class ResponseStatus(StrEnum):
    """`survey_responses.status`."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class QuestionOutcome(StrEnum):
    """`questions.outcome`: what became of an applicant's question (a meta reply stores the meta intent's name
    instead, e.g. "greet"; see `bot.qa.QAResult.outcome`)."""

    ANSWER = "answer"  # answered directly
    CLARIFY = "clarify"  # "did you mean" shown
    OUT_OF_SCOPE = "out_of_scope"  # not covered, a person offered
    CHOSEN = "chosen"  # the user picked one of the "did you mean" entries
    NONE_FIT = "none_fit"  # none of the suggestions fit
    BROWSE = "browse"  # an entry opened from /topics
    HANDOFF = "handoff"  # a question typed for staff after asking for a person
    RELATED = "related"  # "tell me more" after an answer: the related entries were offered


# Which outcomes count as answered, which "fell back" (staff's /unanswered, /stats), which name a topic.
ANSWERED: tuple[QuestionOutcome, ...] = (QuestionOutcome.ANSWER, QuestionOutcome.CHOSEN)
FALLBACK: tuple[QuestionOutcome, ...] = (
    QuestionOutcome.CLARIFY,
    QuestionOutcome.OUT_OF_SCOPE,
    QuestionOutcome.NONE_FIT,
)
TOPIC_OUTCOMES: tuple[QuestionOutcome, ...] = (*ANSWERED, QuestionOutcome.BROWSE)


class Engine(StrEnum):
    """`questions.engine`: what classified a question."""

    RASA = "rasa"
    LEXICAL = "lexical"  # the in-process matcher (degraded mode)
    BROWSE = "browse"  # not classified: opened from /topics
    NONE = "none"  # not classified: a question typed for staff
    CONTEXT = "context"  # a follow-up resolved from the previous answer ("in Russian please", "tell me more")


class HandoffStatus(StrEnum):
    """`handoff_requests.status`."""

    OPEN = "open"
    ANSWERED = "answered"


class RunStatus(StrEnum):
    """`invitation_runs.status`."""

    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


class InvitationStatus(StrEnum):
    """`invitations.status`: one recipient of a survey invitation run."""

    QUEUED = "queued"
    SENDING = "sending"  # claimed by a bot process (until `claimed_until`)
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the user blocked the bot
    FAILED = "failed"  # chat gone, or still failing after several attempts
    UNSURE = "unsure"  # at most once: the bot stopped while this one was going out; not sent again


class Awaiting(StrEnum):
    """`users.awaiting`: what the user's next text message is, when it is not a question."""

    HANDOFF = "handoff"  # a question for staff


def survey_is_open(file_default: bool, staff_switch: bool | None) -> bool:
    """The one rule for "is this survey open": staff's switch (/surveys) wins over the survey file's default."""
    return file_default if staff_switch is None else staff_switch
