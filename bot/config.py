"""Settings from the environment or `.env` (documented, with defaults, in `.env.example`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # Staff group that receives questions handed off to a person (a negative id for groups); unset → each admin.
    staff_chat_id: int | None = None
    database_url: str = f"sqlite+aiosqlite:///{PROJECT_DIR / 'data' / 'assistant.db'}"

    nlu_url: str = "http://127.0.0.1:5005"
    nlu_token: SecretStr | None = None
    nlu_timeout: float = Field(default=1.5, gt=0, le=1.5)
    # Confidence needed to answer directly; below it the bot asks "did you mean". The Rasa rule (score and margin)
    # was chosen by a sweep on the development set knowledge/eval/heldout.yaml, never on the independent test set
    # (docs/nlu-pipeline.md); the two engines' scores are on different scales.
    nlu_answer_threshold: float = Field(default=0.30, ge=0, le=1)
    lexical_answer_threshold: float = Field(default=0.60, ge=0, le=1)
    # Below this the best guess is not worth offering at all: the question is treated as not covered.
    nlu_suggest_threshold: float = Field(default=0.15, ge=0, le=1)
    lexical_suggest_threshold: float = Field(default=0.25, ge=0, le=1)
    # ...and the best entry must lead the second by this much, or the bot asks "did you mean" between them.
    nlu_answer_margin: float = Field(default=0.05, ge=0, le=1)
    lexical_answer_margin: float = Field(default=0.0, ge=0, le=1)
    # Share of the lexical matcher's similarity in the score the bot decides on while Rasa answers (0 = Rasa only).
    nlu_lexical_weight: float = Field(default=0.0, ge=0, le=1)
    # Follow-up questions ("and the partners?", "tell me more", "in Russian please") lean on the last answer
    # for this long; after that a short question is a new conversation.
    followup_minutes: float = Field(default=10.0, gt=0)

    knowledge_dir: Path = PROJECT_DIR / "knowledge" / "data"
    # Feedback surveys (surveys/*.yaml). An unfinished survey gets one reminder this long after the last answer;
    # the reminder schedule lives in the database and is checked every SURVEY_REMINDER_CHECK_SECONDS.
    surveys_dir: Path = PROJECT_DIR / "surveys"
    survey_reminder_hours: float = Field(default=24.0, gt=0)
    survey_reminder_check_seconds: float = Field(default=60.0, gt=0)
    # Key of the HMAC that replaces the Telegram user id in anonymous survey responses (it only stops a second
    # submission). Must be the same for every bot process and across restarts. When unset it is derived from
    # TELEGRAM_BOT_TOKEN (so revoking the token resets it); keep it out of the database, or anyone with a
    # database copy could recompute it for known user ids.
    respondent_key_secret: SecretStr | None = None
    # One send budget for the whole bot (bot/ratelimit.py): messages per second for the bot (Telegram allows about
    # 30), for bulk sends such as survey invitations (a little lower, leaving room for replies), and how many
    # messages one chat may get in a burst before 1 per second applies. SEND_BUDGET: "database" shares it between
    # replicas through the database; "memory" is per process; "auto" = database on PostgreSQL, memory on SQLite.
    send_rate: float = Field(default=27.0, gt=0, le=30)
    invitation_rate: float = Field(default=26.0, gt=0, le=30)
    send_chat_burst: int = Field(default=3, ge=1, le=10)
    send_budget: str = Field(default="auto", pattern="^(auto|database|memory)$")
    # Survey invitations (/invite): a recipient claimed by a bot process that does not renew its claim for this
    # long (the process died) is taken over by another process; the staff status message is edited at most this often.
    invitation_claim_seconds: float = Field(default=15.0, ge=3)
    invitation_status_seconds: float = Field(default=3.0, gt=0)
    # A bot process killed while an invitation is going out: "at_most_once" never sends that one again (it is
    # counted as "unsure"; one extra single-row write per message), "at_least_once" sends it again after the claim
    # expires (the recipient may get it twice). docs/staff-review.md#survey-invitations
    invitation_delivery: str = Field(default="at_most_once", pattern="^(at_most_once|at_least_once)$")
    default_language: str = "lv"
    log_level: str = "INFO"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        """ADMIN_IDS=123,456 (commas and/or spaces); a wrong id fails at start with a clear message."""
        if isinstance(value, str):
            parts = [part for part in value.replace(",", " ").split() if part]
            try:
                return frozenset(int(part) for part in parts)
            except ValueError as exc:
                raise ValueError(f"ADMIN_IDS must be comma-separated numeric Telegram user ids, got {value!r}") from exc
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("staff_chat_id", mode="before")
    @classmethod
    def _empty_chat_is_none(cls, value: object) -> object:
        """STAFF_CHAT_ID= (empty, as in .env.example) means "no staff group"."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("lv", "en", "ru"):
            raise ValueError("DEFAULT_LANGUAGE must be lv, en or ru")
        return value

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None
