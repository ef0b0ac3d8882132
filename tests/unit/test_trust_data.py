"""Issue 9 without Telegram: finished anonymous responses cannot be linked to a user id even with the secret;
"already answered" still works; a changed secret is noticed; RESPONDENT_KEY_SECRET is required with a token;
retention purge; SQLite secure_delete; identifying text is recognised."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select, text

from bot.config import Settings
from bot.db.database import create_engine, create_session_factory, migrate
from bot.db.models import (
    AuditLog,
    HandoffDelivery,
    HandoffRequest,
    Question,
    Rating,
    SurveyAnswer,
    SurveyCompletion,
    SurveyResponse,
    User,
)
from bot.i18n import Translator
from bot.privacy import Privacy
from bot.staff.kb_editor import identifying_details
from bot.surveys.engine import SurveyEngine
from bot.surveys.schema import Survey
from bot.uow import uow_factory

L = {"lv": "lv", "en": "en", "ru": "ru"}
SECRET = b"a secret that an attacker also holds"
USERS = list(range(7_000_000_000, 7_000_000_200))  # the `users` table of a real deployment: every candidate id
WHO = USERS[123]


def _survey(survey_id: str, allow_repeat: bool) -> Survey:
    return Survey.model_validate({
        "id": survey_id, "title": L, "intro": L, "open": True, "allow_repeat": allow_repeat,
        "questions": [
            {"id": "rate", "type": "scale", "text": L, "min": 1, "max": 5},
            {"id": "free", "type": "text", "text": L, "optional": True, "max_length": 50},
        ],
    })


def _engine(secret: bytes = SECRET) -> SurveyEngine:
    return SurveyEngine({"once": _survey("once", False), "again": _survey("again", True)}, secret)


@pytest.fixture
async def db(database_url) -> AsyncIterator:
    """A migrated database: SQLite, or PostgreSQL when TEST_DATABASE_URL is set (tests/conftest.py)."""
    engine = create_engine(database_url)
    await migrate(engine)
    yield uow_factory(create_session_factory(engine))
    await engine.dispose()


async def _answer_all(db, engine: SurveyEngine, survey_id: str, user: int, anonymous: bool = True,
                      finish: bool = True) -> int:
    async with db() as uow:
        if await uow.users.get(user) is None:
            uow.session.add(User(id=user, language="en"))
        assert await engine.check_start(uow, survey_id, user) == "ok"
        progress = await engine.start(uow, survey_id, user, user, "en", anonymous)
        await uow.commit()
    async with db() as uow:
        response = await engine.owned(uow, progress.response_id, user)
        await engine.answer_button(uow, response, "rate", "4")
        await uow.commit()
    if finish:
        async with db() as uow:
            response = await engine.owned(uow, progress.response_id, user)
            assert (await engine.answer_text(uow, response, "fine")).completed
            await uow.commit()
    return progress.response_id


def _every_keyed_hash(user_id: int, survey_ids: list[str]) -> set[str]:
    """Whatever an attacker with the secret can compute from a user id: the respondent key of every survey, and
    HMACs of the bare id and of "survey:id" in the usual encodings."""
    candidates = {str(user_id)}
    for message in [str(user_id), *(f"{survey}:{user_id}" for survey in survey_ids)]:
        digest = hmac.new(SECRET, message.encode(), hashlib.sha256)
        candidates |= {digest.hexdigest(), digest.digest().hex().upper()}
    return candidates


async def test_a_finished_anonymous_response_cannot_be_joined_to_any_user_id_even_with_the_secret(db):
    """Issue 9, item 2. Before the fix `respondent_key` stayed HMAC(secret, survey:user) and matched exactly one
    of the hashes below."""
    engine = _engine()
    for other in USERS[:5]:  # other people's finished responses around it
        await _answer_all(db, engine, "once", other)
    rid = await _answer_all(db, engine, "once", WHO)
    await _answer_all(db, engine, "again", WHO)
    async with db() as uow:
        for user in USERS:  # everyone the bot has talked to
            if await uow.users.get(user) is None:
                uow.session.add(User(id=user))
        await uow.commit()
        stored: set[str] = set()
        for model in (SurveyResponse, SurveyAnswer):
            for row in (await uow.session.execute(select(model.__table__))).all():
                stored |= {str(value) for value in row if value is not None}
        response = await uow.surveys.response(rid)
        markers = (await uow.session.execute(select(SurveyCompletion))).scalars().all()
    assert response is not None and response.status == "completed" and response.user_id is None
    for user in USERS:
        assert not stored & _every_keyed_hash(user, ["once", "again"]), user
    # the "already answered" marker holds the key and which secret made it: nothing that names the response
    assert set(SurveyCompletion.__table__.columns.keys()) == {"marker", "key_id"}
    assert engine.respondent_key("once", WHO) in {marker.marker for marker in markers}
    assert len(markers) == 6  # one per person for "once"; none for "again" (answered as often as one likes)


async def test_answered_once_still_refuses_a_second_anonymous_answer_and_forget_releases_it(db):
    engine = _engine()
    await _answer_all(db, engine, "once", WHO)
    async with db() as uow:
        assert await engine.check_start(uow, "once", WHO) == "done"
        assert await engine.check_start(uow, "once", WHO + 1) == "ok"  # someone else
        assert await engine.check_start(uow, "again", WHO) == "ok"
    privacy = Privacy(db, engine, "en")
    assert (await privacy.forget(WHO, None, confirmed=True)).deleted
    async with db() as uow:
        assert await engine.check_start(uow, "once", WHO) == "ok"


async def test_forget_deletes_an_unfinished_anonymous_response(db):
    engine = _engine()
    rid = await _answer_all(db, engine, "again", WHO, finish=False)
    privacy = Privacy(db, engine, "en")
    _, data = await privacy.my_data(WHO, None)
    assert [response.id for response, _ in data.anonymous_unfinished] == [rid]
    await privacy.forget(WHO, None, confirmed=True)
    async with db() as uow:
        assert await uow.surveys.response(rid) is None
        assert await uow.surveys.answers(rid) == {}


async def test_a_changed_secret_is_noticed_and_can_be_cleaned_up(db):
    old = _engine(b"the old secret")
    await _answer_all(db, old, "once", WHO)
    unfinished = await _answer_all(db, old, "again", WHO, finish=False)
    current = Privacy(db, _engine(b"the new secret"), "en")
    assert await current.key_report() == (1, 1)  # not silent: the bot logs this at start
    assert await Privacy(db, old, "en").key_report() == (0, 0)
    assert await current.drop_other_keys() == (1, 1)
    assert await current.key_report() == (0, 0)
    async with db() as uow:
        assert await uow.surveys.response(unfinished) is None


async def test_keys_from_before_key_ids_can_be_adopted(db):
    engine = _engine()
    await _answer_all(db, engine, "once", WHO)
    async with db() as uow:
        await uow.session.execute(text("UPDATE survey_completions SET key_id = NULL"))
        await uow.commit()
    privacy = Privacy(db, engine, "en")
    assert await privacy.key_report() == (0, 1)
    assert await privacy.adopt_keys() == (0, 1)
    assert await privacy.key_report() == (0, 0)
    async with db() as uow:
        assert await engine.check_start(uow, "once", WHO) == "done"


def test_a_bot_token_requires_a_respondent_key_secret():
    with pytest.raises(ValidationError, match="RESPONDENT_KEY_SECRET must be set"):
        Settings(_env_file=None, telegram_bot_token="1:token")
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(_env_file=None, telegram_bot_token="1:token", respondent_key_secret="short")
    Settings(_env_file=None, telegram_bot_token="1:token", respondent_key_secret="x" * 32)
    Settings(_env_file=None)  # the console chat needs none


def test_the_start_fails_with_a_clear_message_without_the_secret(monkeypatch, tmp_path, capsys):
    from bot.__main__ import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:SECRET-TOKEN-VALUE")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://user:db-password@127.0.0.1:1/db")
    monkeypatch.delenv("RESPONDENT_KEY_SECRET", raising=False)
    assert main([]) == 2
    error = capsys.readouterr().err
    assert "RESPONDENT_KEY_SECRET must be set" in error
    assert "SECRET-TOKEN" not in error and "db-password" not in error  # the message never echoes the settings


# --- item 4: retention, secure_delete, identifying text ------------------------------------------------------------


async def test_retention_purges_old_questions_handoffs_and_audit_details(db):
    now = datetime(2026, 6, 1, tzinfo=UTC)
    old, recent = now - timedelta(days=40), now - timedelta(days=5)
    async with db() as uow:
        for when in (old, recent):
            question = Question(user_id=5, chat_id=5, text=f"asked {when:%d}", language="lv", engine="rasa",
                                outcome="answer", created_at=when)
            uow.session.add(question)
            await uow.flush()
            uow.session.add(Rating(question_id=question.id, user_id=5, value=1))
            request = HandoffRequest(question_id=question.id, user_id=5, chat_id=5, text="help", language="lv",
                                     created_at=when)
            uow.session.add(request)
            await uow.flush()
            uow.session.add(HandoffDelivery(handoff_id=request.id, staff_chat_id=1001, staff_message_id=request.id))
            uow.session.add(AuditLog(admin_id=1001, action="stats", details='{"args": []}', created_at=when))
        await uow.commit()
    counts = await Privacy(db, _engine(), "en").purge(30, now)
    assert counts == {"ratings": 1, "handoff_deliveries": 1, "handoff_requests": 1, "questions": 1, "audit_details": 1}
    async with db() as uow:
        assert [q.text for q in (await uow.session.execute(select(Question))).scalars()] == [f"asked {recent:%d}"]
        assert len((await uow.session.execute(select(HandoffRequest))).scalars().all()) == 1
        audit = (await uow.session.execute(select(AuditLog).order_by(AuditLog.id))).scalars().all()
        assert [(row.action, row.details) for row in audit] == [("stats", None), ("stats", '{"args": []}')]


def test_retention_days_setting():
    assert Settings(_env_file=None).retention_days is None  # kept until /forget unless configured
    assert Settings(_env_file=None, retention_days="").retention_days is None
    assert Settings(_env_file=None, retention_days="365").retention_days == 365
    with pytest.raises(ValidationError):
        Settings(_env_file=None, retention_days="0")


async def test_sqlite_overwrites_deleted_rows(tmp_path):
    """secure_delete is on for every connection the bot opens, whatever the SQLite build's default (Debian's is
    on; others are off — the first listener below plays such a build)."""
    from sqlalchemy import event

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")

    def build_default_off(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA secure_delete=OFF")
        cursor.close()

    event.listen(engine.sync_engine, "connect", build_default_off, insert=True)
    async with engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA secure_delete"))).scalar_one() == 1
    await engine.dispose()


async def test_forget_leaves_no_copy_of_the_question_in_the_sqlite_files(tmp_path):
    """The write-ahead log is flushed into the file after /forget (where secure_delete overwrites the deleted row);
    without that the forgotten question stayed readable in the database file until an automatic checkpoint."""
    path = tmp_path / "files.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await migrate(engine)
    db = uow_factory(create_session_factory(engine))
    async with db() as uow:
        for user in (6, 5, 6):  # the forgotten question sits between someone else's on the same page
            uow.session.add(Question(user_id=user, chat_id=user, text=f"QZX{user} " + "long question " * 20,
                                     language="lv", engine="rasa", outcome="answer"))
        await uow.commit()
    async with engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # as SQLite does now and then
    assert b"QZX5" in path.read_bytes()
    await Privacy(db, _engine(), "en").forget(5, None, confirmed=True)
    files = [file for file in tmp_path.iterdir() if file.name.startswith("files.db")]
    assert not [file.name for file in files if b"QZX5" in file.read_bytes()]
    assert b"QZX6" in path.read_bytes()  # someone else's questions are still there
    await engine.dispose()


@pytest.mark.parametrize(("question", "kinds"), [
    ("kāds bija programmas budžets?", []),
    ("Какие были результаты для молодёжи?", []),
    ("mans e-pasts ir anna.berzina@example.lv", ["email"]),
    ("uzrakstiet @anna_berzina", ["handle"]),
    ("zvaniet +371 29 123 456", ["phone", "digits"]),
    ("projekts nr 17", ["digits"]),
])
def test_identifying_details(question, kinds):
    assert identifying_details(question) == kinds


def test_removed_notice_is_recognised_as_a_handoff_post():
    """Replies to an edited post get "this question was deleted" (the post still starts with the hand-off mark)."""
    texts = Translator()
    for language in ("lv", "en", "ru"):
        assert texts(language, "staff.handoff.removed").startswith("🙋")
        assert texts(language, "staff.handoff.new", id=1, lang="lv", question="q").startswith("🙋")


async def test_the_migration_unlinks_existing_finished_anonymous_responses(tmp_path):
    """0005_trustdata on a database from before it: completed responses' keys become markers, finished anonymous
    responses lose their key, hand-offs already posted count as delivered."""
    from alembic import command

    from bot.db.database import alembic_config

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")

    def upgrade(connection, target: str) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, target)

    async with engine.begin() as connection:
        await connection.run_sync(upgrade, "0004_one_in_progress")
        for number, (user, status) in enumerate([(None, "completed"), (7, "completed"), (None, "in_progress")]):
            await connection.execute(text(
                "INSERT INTO survey_responses (survey_id, user_id, respondent_key, anonymous, language, status, "
                "version, started_at, updated_at) VALUES ('once', :user, :key, :anonymous, 'lv', :status, 1, "
                "'2026-01-01', '2026-01-01')"), {"user": user, "key": f"key{number}", "anonymous": user is None,
                                                  "status": status})
        for number in (1, 2):
            await connection.execute(text(
                "INSERT INTO handoff_requests (id, user_id, chat_id, text, language, status, created_at) "
                "VALUES (:id, 5, 5, 'q', 'lv', 'open', '2026-01-01')"), {"id": number})
        await connection.execute(text("INSERT INTO handoff_deliveries (handoff_id, staff_chat_id, staff_message_id, "
                                      "created_at) VALUES (1, 1001, 9, '2026-01-01')"))
    async with engine.begin() as connection:
        await connection.run_sync(upgrade, "head")
        keys = dict((await connection.execute(text("SELECT id, respondent_key FROM survey_responses"))).all())
        markers = set((await connection.execute(text("SELECT marker FROM survey_completions"))).scalars())
        delivered = dict((await connection.execute(text("SELECT id, delivered_at FROM handoff_requests"))).all())
    await engine.dispose()
    assert markers == {"key0", "key1"}
    assert keys[1] not in {"key0", "key1", "key2"} and len(keys[1]) == 64  # finished anonymous: unlinked
    assert keys[2] == "key1" and keys[3] == "key2"  # a named one keeps it; an unfinished one needs it to resume
    assert delivered[1] is not None and delivered[2] is None  # the second is retried by the bot


def test_the_respondent_keys_command(monkeypatch, tmp_path, capsys):
    from bot.respondent_keys import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'k.db'}")
    monkeypatch.setenv("RESPONDENT_KEY_SECRET", "a-secret-for-the-command-test")
    assert main(["check"]) == 0
    assert "made by another secret: 0" in capsys.readouterr().out
    assert main(["drop"]) == 0
    assert "deleted: 0" in capsys.readouterr().out
