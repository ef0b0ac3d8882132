"""Settings from the environment or `.env` (documented, with defaults, in `.env.example`)."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    # hide_input_in_errors: a settings error never echoes the values (the token, secrets, the database password)
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      hide_input_in_errors=True)

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # Staff who may answer hand-offs by replying in the staff group without the admin commands (ADMIN_IDS may too).
    staff_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # Staff group that receives questions handed off to a person (a negative id for groups); unset → each admin.
    staff_chat_id: int | None = None
    database_url: str = f"sqlite+aiosqlite:///{PROJECT_DIR / 'data' / 'assistant.db'}"

    nlu_url: str = "http://127.0.0.1:5005"
    nlu_token: SecretStr | None = None
    nlu_timeout: float = Field(default=1.5, gt=0, le=1.5)
    # Parses sent to Rasa at a time per bot process; more questions wait their turn in the bot (bot/nlu_client.py),
    # at most NLU_MAX_WAIT seconds, then get the lexical matcher's answer. Rasa parses one request after another:
    # a few in flight keep it busy; fifty would only queue inside it, past the timeout.
    nlu_max_in_flight: int = Field(default=8, ge=1, le=256)
    nlu_max_wait: float = Field(default=3.0, gt=0, le=30)
    # Confidence needed to answer directly; below it the bot asks "did you mean". The Rasa rule (score, margin and
    # lexical weight) was chosen by a sweep on the evaluation sets already read (independent.yaml, fresh.yaml) and
    # then measured once on the blind set (docs/nlu-pipeline.md); the two engines' scores are on different scales.
    nlu_answer_threshold: float = Field(default=0.30, ge=0, le=1)
    lexical_answer_threshold: float = Field(default=0.60, ge=0, le=1)
    # Below this the best guess is not worth offering at all: the question is treated as not covered.
    nlu_suggest_threshold: float = Field(default=0.15, ge=0, le=1)
    lexical_suggest_threshold: float = Field(default=0.25, ge=0, le=1)
    # ...and the best entry must lead the second by this much, or the bot asks "did you mean" between them.
    nlu_answer_margin: float = Field(default=0.02, ge=0, le=1)
    lexical_answer_margin: float = Field(default=0.0, ge=0, le=1)
    # A Rasa answer less confident than this also needs the lexical matcher to find some words of the question in
    # the entry's examples (similarity ≥ 0.1), or the question is treated as not covered: a model forced to pick
    # among 36 entries gives an off-topic question ("how do I reset my password?") one of them at 0.3–0.4.
    nlu_support_below: float = Field(default=0.5, ge=0, le=1)
    # Share of the lexical matcher's similarity in the score the bot decides on while Rasa answers (0 = Rasa only).
    nlu_lexical_weight: float = Field(default=0.35, ge=0, le=1)
    # Follow-up questions ("and the partners?", "tell me more", "in Russian please") lean on the last answer
    # for this long; after that a short question is a new conversation.
    followup_minutes: float = Field(default=10.0, gt=0)
    # After "I want to talk to a person" the user's next text is their question for staff — for this long; after
    # that a text is an ordinary question again.
    handoff_wait_minutes: float = Field(default=30.0, gt=0)

    knowledge_dir: Path = PROJECT_DIR / "knowledge" / "data"
    # How often the bot looks for knowledge-base changes (reloads them in place) and asks the NLU gateway whether the
    # model retrained after staff's teaching has taken over (then the admin gets a message).
    nlu_watch_seconds: float = Field(default=10.0, gt=0)
    # Read by the NLU gateway (nlu/serving, started by scripts/nlu-server.sh), not by the bot: seconds without further
    # knowledge-base changes before it retrains the model in the background (0: never retrain by itself).
    nlu_train_debounce: float = Field(default=30.0, ge=0)
    # Feedback surveys (surveys/*.yaml). An unfinished survey gets one reminder this long after the last answer;
    # the reminder schedule lives in the database and is checked every SURVEY_REMINDER_CHECK_SECONDS.
    surveys_dir: Path = PROJECT_DIR / "surveys"
    survey_reminder_hours: float = Field(default=24.0, gt=0)
    survey_reminder_check_seconds: float = Field(default=60.0, gt=0)
    # Key of the HMAC that stands in for the Telegram user id of an unfinished anonymous survey response and in the
    # "already answered" markers (docs/surveys.md, "Respondent key"). Required with a bot token; the same for
    # every bot process and across restarts; never in the database. Changing it: scripts/respondent-keys.sh.
    respondent_key_secret: SecretStr | None = None
    # Questions, hand-off requests and the details of staff audit rows older than this many days are deleted
    # (checked every RETENTION_CHECK_SECONDS). Empty: kept until /forget.
    retention_days: float | None = Field(default=None, gt=0)
    retention_check_seconds: float = Field(default=6 * 3600, gt=0)
    # Undelivered hand-offs are retried after a minute, then 2, 4… up to an hour between tries; checked this often.
    handoff_retry_check_seconds: float = Field(default=60.0, gt=0)
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

    # Concurrency: updates of different chats run concurrently (at most this many in flight per process);
    # updates of one chat run in order.
    max_concurrent_updates: int = Field(default=64, ge=1, le=1024)
    # Per-user flood limit (counted in the database): FLOOD_BURST questions within FLOOD_BURST /
    # FLOOD_QUESTIONS_PER_SECOND seconds; at most MAX_OPEN_HANDOFFS open requests to staff.
    flood_questions_per_second: float = Field(default=1.0, gt=0)
    flood_burst: int = Field(default=5, ge=1)
    max_open_handoffs: int = Field(default=3, ge=1)
    # Database connections per process (PostgreSQL): pool + overflow.
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=20, ge=0)
    # Webhook mode: set WEBHOOK_URL (public https URL Telegram posts to) to serve an ASGI app instead of polling;
    # WEBHOOK_SECRET is checked against X-Telegram-Bot-Api-Secret-Token. /healthz, /readyz, /metrics are served
    # on the same host and port.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen_host: str = "0.0.0.0"
    webhook_listen_port: int = Field(default=8080, ge=1, le=65535)
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    # Names this process among replicas (claims of stored updates); stable across restarts of the same
    # replica (the container hostname by default).
    replica_id: str = Field(default_factory=socket.gethostname)
    # PTB's in-process limiter of outgoing calls; off only for benchmarks against a Bot API stand-in.
    telegram_rate_limiter: bool = True

    @field_validator("replica_id", mode="before")
    @classmethod
    def _empty_replica_is_hostname(cls, value: object) -> object:
        return socket.gethostname() if isinstance(value, str) and not value.strip() else value

    @field_validator("admin_ids", "staff_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object, info: ValidationInfo) -> object:
        """ADMIN_IDS=123,456 (commas and/or spaces); a wrong id fails at start with a clear message."""
        if isinstance(value, str):
            parts = [part for part in value.replace(",", " ").split() if part]
            try:
                return frozenset(int(part) for part in parts)
            except ValueError as exc:
                name = (info.field_name or "ADMIN_IDS").upper()
                raise ValueError(f"{name} must be comma-separated numeric Telegram user ids, got {value!r}") from exc
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _empty_url_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Settings:
        if self.webhook_url and not urlsplit(self.webhook_url).hostname:
            raise ValueError(f"WEBHOOK_URL '{self.webhook_url}' has no host name (set BOT_DOMAIN for the webhook profile)")
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_URL is set but WEBHOOK_SECRET is not: set a random secret (1-256 of A-Z a-z 0-9 _ -)")
        if self.webhook_secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", self.webhook_secret.get_secret_value()):
            raise ValueError("WEBHOOK_SECRET may only contain A-Z a-z 0-9 _ - (1-256 characters), as Telegram requires")
        return self

    @field_validator("staff_chat_id", mode="before")
    @classmethod
    def _empty_chat_is_none(cls, value: object) -> object:
        """STAFF_CHAT_ID= (empty, as in .env.example) means "no staff group"."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("retention_days", "respondent_key_secret", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _respondent_key_with_token(self) -> Settings:
        """A bot that talks to real people needs its own respondent key: fail the start, saying what to do."""
        if self.telegram_bot_token is not None and self.telegram_bot_token.get_secret_value().strip():
            secret = self.respondent_key_secret.get_secret_value() if self.respondent_key_secret else ""
            if len(secret) < 16:
                raise ValueError(
                    "RESPONDENT_KEY_SECRET must be set (at least 16 characters) when TELEGRAM_BOT_TOKEN is set: it "
                    "keys the codes of anonymous survey answers. Generate one with "
                    "python -c \"import secrets; print(secrets.token_hex(32))\", put it in .env, keep it out of the "
                    "database and never change it casually (docs/surveys.md, \"Respondent key\")."
                )
        return self

    @property
    def staff_repliers(self) -> frozenset[int]:
        """Who may answer a hand-off in the staff group: ADMIN_IDS and STAFF_IDS."""
        return self.admin_ids | self.staff_ids

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("lv", "en", "ru"):
            raise ValueError("DEFAULT_LANGUAGE must be lv, en or ru")
        return value

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None
