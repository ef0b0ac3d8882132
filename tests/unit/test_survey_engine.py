"""The survey engine on a real SQLite database, without Telegram: every question type, skip, back, validation,
repeats, closed surveys, concurrency, anonymity, reminders and /forget."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from bot.db.database import create_engine, create_session_factory, migrate
from bot.db.models import Question as QuestionRow
from bot.db.models import Rating, SurveyAnswer, SurveyReminder, SurveyResponse, User, utcnow
from bot.surveys.engine import DEVELOPMENT_SECRET, NotPending, SurveyEngine, respondent_secret
from bot.surveys.schema import Survey
from bot.surveys.values import InvalidAnswer, button_value, text_value, toggled
from bot.uow import uow_factory

L = {"lv": "lv", "en": "en", "ru": "ru"}
USER = 7000000001


def _survey(survey_id: str = "demo", allow_repeat: bool = False, open_: bool = True) -> Survey:
    choices = [{"id": c, "label": L} for c in ("a", "b", "c")]
    return Survey.model_validate({
        "id": survey_id, "title": L, "intro": L, "open": open_, "allow_repeat": allow_repeat,
        "questions": [
            {"id": "rate", "type": "scale", "text": L, "min": 1, "max": 5, "min_label": L, "max_label": L},
            {"id": "pick", "type": "single", "text": L, "choices": choices},
            {"id": "many", "type": "multi", "text": L, "choices": choices, "optional": True},
            {"id": "yes", "type": "yes_no", "text": L},
            {"id": "nps", "type": "scale", "text": L, "min": 0, "max": 10},
            {"id": "free", "type": "text", "text": L, "optional": True, "max_length": 20},
        ],
    })


@pytest.fixture
async def db(tmp_path) -> AsyncIterator:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}")
    await migrate(engine)
    yield uow_factory(create_session_factory(engine))
    await engine.dispose()


@pytest.fixture
def engine() -> SurveyEngine:
    surveys = {s.id: s for s in (_survey(), _survey("again", allow_repeat=True), _survey("shut", open_=False))}
    return SurveyEngine(surveys, b"secret", reminder_delay=timedelta(hours=24))


async def _start(db, engine, survey_id="demo", anonymous=False, user=USER):
    async with db() as uow:
        assert await engine.check_start(uow, survey_id, user) == "ok"
        progress = await engine.start(uow, survey_id, user, user, "en", anonymous)
        await uow.commit()
    return progress.response_id


async def _do(db, engine, response_id, method, *args, user=USER):
    async with db() as uow:
        response = await engine.owned(uow, response_id, user)
        assert response is not None
        progress = await getattr(engine, method)(uow, response, *args)
        await uow.commit()
    return progress


async def _rows(db, response_id) -> dict[str, tuple]:
    async with db() as uow:
        query = select(SurveyAnswer).where(SurveyAnswer.response_id == response_id)
        rows = (await uow.session.execute(query)).scalars()
        return {row.question_id: (row.value, row.skipped) for row in rows}


# --- pure functions ------------------------------------------------------------------------------------------


def test_values_of_every_type_and_validation():
    survey = _survey()
    rate, pick, many, yes, nps, free = survey.questions
    assert button_value(rate, "5") == 5 and button_value(nps, "0") == 0
    for bad in ("6", "0", "x"):
        with pytest.raises(InvalidAnswer, match="out_of_range"):
            button_value(rate, bad)
    assert button_value(pick, "b") == "b"
    with pytest.raises(InvalidAnswer, match="unknown_choice"):
        button_value(pick, "z")
    assert button_value(yes, "y") is True and button_value(yes, "n") is False
    with pytest.raises(InvalidAnswer, match="unknown_choice"):
        button_value(yes, "maybe")
    assert text_value(free, "  fine  ") == "fine"
    with pytest.raises(InvalidAnswer) as error:
        text_value(free, "x" * 21)
    assert error.value.reason == "too_long" and error.value.details == {"length": 21, "max_length": 20}
    with pytest.raises(InvalidAnswer, match="empty"):
        text_value(free, "   ")
    assert text_value(rate, " 4 ") == 4  # a typed number on a scale is fine
    for question in (pick, many, yes):
        with pytest.raises(InvalidAnswer, match="use_buttons"):
            text_value(question, "b")
    with pytest.raises(InvalidAnswer, match="use_buttons"):
        text_value(rate, "great")
    assert toggled(many, ["c"], "a") == ["a", "c"]  # survey order, not click order
    assert toggled(many, ["a", "c"], "a") == ["c"]
    with pytest.raises(InvalidAnswer):
        toggled(many, [], "zz")


def test_respondent_secret_is_never_derived_from_the_token():
    assert respondent_secret("configured") == b"configured"
    assert respondent_secret(None) == DEVELOPMENT_SECRET  # console and tests only: a token requires a secret


# --- a whole survey ------------------------------------------------------------------------------------------


async def test_every_type_stored_as_json_and_completed(db, engine):
    rid = await _start(db, engine)
    await _do(db, engine, rid, "answer_button", "rate", "4")
    await _do(db, engine, rid, "answer_button", "pick", "c")
    await _do(db, engine, rid, "toggle", "many", "b")
    await _do(db, engine, rid, "toggle", "many", "a")
    await _do(db, engine, rid, "finish_multi", "many")
    await _do(db, engine, rid, "answer_button", "yes", "n")
    await _do(db, engine, rid, "answer_text", "10")  # typed number for the 0-10 scale
    progress = await _do(db, engine, rid, "answer_text", "  more <tea> & 'biscuits'  "[:22])
    assert progress.completed and progress.question is None
    rows = await _rows(db, rid)
    assert {qid: json.loads(value) for qid, (value, _) in rows.items()} == {
        "rate": 4, "pick": "c", "many": ["a", "b"], "yes": False, "nps": 10, "free": "more <tea> & 'biscui",
    }
    async with db() as uow:
        response = await uow.surveys.response(rid)
        assert (response.status, response.current_question, response.user_id) == ("completed", None, USER)
        assert response.completed_at is not None and response.version > 1
        assert (await uow.session.execute(select(SurveyReminder))).first() is None  # reminder gone
        assert await engine.check_start(uow, "demo", USER) == "done"  # no repeats
    summary = progress.summary()
    assert [q.id for q, _ in summary] == ["rate", "pick", "many", "yes", "nps", "free"]


async def test_skip_only_optional_and_multi_done_without_choice(db, engine):
    rid = await _start(db, engine)
    with pytest.raises(InvalidAnswer, match="not_optional"):
        await _do(db, engine, rid, "skip", "rate")
    await _do(db, engine, rid, "answer_button", "rate", "1")
    await _do(db, engine, rid, "answer_button", "pick", "a")
    progress = await _do(db, engine, rid, "finish_multi", "many")  # optional + nothing ticked = skipped
    assert progress.question.id == "yes"
    await _do(db, engine, rid, "answer_button", "yes", "y")
    await _do(db, engine, rid, "answer_button", "nps", "7")
    progress = await _do(db, engine, rid, "skip", "free")
    assert progress.completed
    rows = await _rows(db, rid)
    assert rows["many"] == (None, True) and rows["free"] == (None, True)


async def test_required_multi_needs_a_choice(db):
    survey = Survey.model_validate({"id": "m", "title": L, "intro": L, "questions": [
        {"id": "many", "type": "multi", "text": L, "choices": [{"id": "a", "label": L}, {"id": "b", "label": L}]}]})
    engine = SurveyEngine({"m": survey}, b"k")
    rid = await _start(db, engine, "m")
    with pytest.raises(InvalidAnswer, match="choose_one"):
        await _do(db, engine, rid, "finish_multi", "many")


async def test_back_keeps_answers_and_re_answer_overwrites(db, engine):
    rid = await _start(db, engine)
    with pytest.raises(InvalidAnswer, match="first_question"):
        await _do(db, engine, rid, "back", "rate")
    await _do(db, engine, rid, "answer_button", "rate", "2")
    await _do(db, engine, rid, "answer_button", "pick", "b")
    progress = await _do(db, engine, rid, "back", "many")
    assert progress.question.id == "pick" and progress.current.value == "b"
    progress = await _do(db, engine, rid, "back", "pick")
    assert progress.question.id == "rate" and progress.current.value == 2
    progress = await _do(db, engine, rid, "answer_button", "rate", "5")
    assert progress.question.id == "pick" and progress.current.value == "b"  # later answer still there
    progress = await _do(db, engine, rid, "keep", "pick")
    assert progress.question.id == "many"
    with pytest.raises(InvalidAnswer, match="no_answer"):
        await _do(db, engine, rid, "keep", "many")
    rows = await _rows(db, rid)
    assert {k: json.loads(v) for k, (v, _) in rows.items()} == {"rate": 5, "pick": "b"}


async def test_stale_question_changes_nothing(db, engine):
    rid = await _start(db, engine)
    await _do(db, engine, rid, "answer_button", "rate", "3")
    with pytest.raises(NotPending):
        await _do(db, engine, rid, "answer_button", "rate", "5")  # the button of the earlier message
    with pytest.raises(NotPending):
        await _do(db, engine, rid, "toggle", "many", "a")  # not pending yet
    assert (await _rows(db, rid))["rate"] == ("3", False)


async def test_multi_draft_survives_a_new_session(db, engine):
    rid = await _start(db, engine)
    await _do(db, engine, rid, "answer_button", "rate", "3")
    await _do(db, engine, rid, "answer_button", "pick", "a")
    await _do(db, engine, rid, "toggle", "many", "c")
    async with db() as uow:  # a restarted process reads the draft from the database
        progress = await engine.progress(uow, await engine.owned(uow, rid, USER))
    assert progress.question.id == "many" and progress.current.value == ["c"]


async def test_cancel_deletes_answers_and_reminder(db, engine):
    rid = await _start(db, engine)
    await _do(db, engine, rid, "answer_button", "rate", "3")
    progress = await _do(db, engine, rid, "cancel")
    assert progress.status == "cancelled" and progress.question is None
    assert await _rows(db, rid) == {}
    async with db() as uow:
        assert (await uow.session.execute(select(SurveyReminder))).first() is None
        assert await engine.in_progress(uow, USER) is None
        assert await engine.check_start(uow, "demo", USER) == "ok"  # a cancelled survey may be started again
    with pytest.raises(NotPending):
        await _do(db, engine, rid, "cancel")


async def test_repeats_closed_unknown_and_one_survey_at_a_time(db, engine):
    rid = await _start(db, engine, "again")
    async with db() as uow:
        assert await engine.check_start(uow, "demo", USER) == "in_progress"
        assert await engine.check_start(uow, "shut", USER) == "in_progress"
        assert await engine.check_start(uow, "nope", USER) == "unknown"
    for qid, raw in (("rate", "1"), ("pick", "a")):
        await _do(db, engine, rid, "answer_button", qid, raw)
    await _do(db, engine, rid, "skip", "many")
    for qid, raw in (("yes", "y"), ("nps", "1")):
        await _do(db, engine, rid, "answer_button", qid, raw)
    assert (await _do(db, engine, rid, "skip", "free")).completed
    async with db() as uow:
        assert await engine.check_start(uow, "again", USER) == "ok"  # allow_repeat
        assert await engine.check_start(uow, "shut", USER) == "closed"  # YAML open: false
        await uow.surveys.set_state("shut", True, updated_by=1)
        await uow.surveys.set_state("demo", False, updated_by=1)
        await uow.commit()
    async with db() as uow:
        assert await engine.check_start(uow, "shut", USER) == "ok"  # staff's switch beats the file
        assert await engine.check_start(uow, "demo", USER) == "closed"
        assert [s.id for s in await engine.open_surveys(uow)] == ["again", "shut"]


async def test_closing_does_not_stop_a_running_response(db, engine):
    rid = await _start(db, engine)
    async with db() as uow:
        await uow.surveys.set_state("demo", False)
        await uow.commit()
    assert (await _do(db, engine, rid, "answer_button", "rate", "2")).question.id == "pick"


async def test_concurrent_update_is_refused_not_merged(db, engine):
    """Two processes load the same response and both answer: the second commit fails the version check."""
    rid = await _start(db, engine)
    first, second = db(), db()
    async with first as uow_a, second as uow_b:
        response_a = await engine.owned(uow_a, rid, USER)
        response_b = await engine.owned(uow_b, rid, USER)
        await engine.answer_button(uow_a, response_a, "rate", "1")
        await uow_a.commit()
        with pytest.raises(StaleDataError):
            await engine.answer_button(uow_b, response_b, "rate", "5")
            await uow_b.commit()
    assert (await _rows(db, rid)) == {"rate": ("1", False)}
    async with db() as uow:
        assert (await uow.surveys.response(rid)).current_question == "pick"


async def test_someone_else_cannot_touch_a_response(db, engine):
    rid = await _start(db, engine, anonymous=True)
    async with db() as uow:
        assert await engine.owned(uow, rid, USER + 1) is None
        assert await engine.owned(uow, rid, USER) is not None  # found by key even though anonymous
        assert await engine.owned(uow, rid + 100, USER) is None


async def test_anonymous_response_has_no_user_id(db, engine):
    rid = await _start(db, engine, anonymous=True)
    async with db() as uow:
        response = await uow.surveys.response(rid)
        assert response.user_id is None and response.anonymous
        assert response.respondent_key == engine.respondent_key("demo", USER) != engine.respondent_key("again", USER)
        assert str(USER) not in response.respondent_key
        assert await engine.in_progress(uow, USER) is not None
        assert await engine.in_progress(uow, USER + 1) is None


async def test_reminder_created_postponed_and_claimed_once(db, engine):
    before = utcnow()
    rid = await _start(db, engine)
    async with db() as uow:
        [reminder] = (await uow.session.execute(select(SurveyReminder))).scalars().all()
        assert reminder.response_id == rid and reminder.chat_id == USER and reminder.sent_at is None
        first_due = reminder.due_at
    assert timedelta(hours=23) < first_due.replace(tzinfo=before.tzinfo) - before < timedelta(hours=25)
    await _do(db, engine, rid, "answer_button", "rate", "3")
    async with db() as uow:
        assert (await uow.surveys.due_reminders(utcnow() + timedelta(hours=23))) == []
        [due] = await uow.surveys.due_reminders(utcnow() + timedelta(hours=25))
        assert await uow.surveys.claim_reminder(due.id)
        await uow.commit()
    async with db() as uow:
        assert not await uow.surveys.claim_reminder(due.id)  # a second process loses
        assert await uow.surveys.due_reminders(utcnow() + timedelta(days=9)) == []


async def test_forget_user_deletes_named_data_and_unlinks_anonymous(db, engine):
    # named, completed
    rid_named = await _start(db, engine, "again")
    for qid, raw in (("rate", "1"), ("pick", "a")):
        await _do(db, engine, rid_named, "answer_button", qid, raw)
    await _do(db, engine, rid_named, "skip", "many")
    for qid, raw in (("yes", "y"), ("nps", "1")):
        await _do(db, engine, rid_named, "answer_button", qid, raw)
    await _do(db, engine, rid_named, "answer_text", "ok")
    # anonymous, completed
    rid_anon = await _start(db, engine, "demo", anonymous=True)
    for qid, raw in (("rate", "1"), ("pick", "a")):
        await _do(db, engine, rid_anon, "answer_button", qid, raw)
    await _do(db, engine, rid_anon, "skip", "many")
    for qid, raw in (("yes", "y"), ("nps", "1")):
        await _do(db, engine, rid_anon, "answer_button", qid, raw)
    await _do(db, engine, rid_anon, "skip", "free")
    # anonymous, unfinished
    rid_open = await _start(db, engine, "again", anonymous=True)
    await _do(db, engine, rid_open, "answer_button", "rate", "4")
    # Q&A rows
    async with db() as uow:
        uow.session.add(User(id=USER, language="en"))
        question = QuestionRow(user_id=USER, chat_id=USER, text="q?", language="en", engine="lexical", outcome="answer")
        uow.session.add(question)
        await uow.flush()
        uow.session.add(Rating(question_id=question.id, user_id=USER, value=1))
        # someone else's rows stay
        uow.session.add(QuestionRow(user_id=42, chat_id=42, text="other", language="en", engine="lexical",
                                    outcome="answer"))
        await uow.commit()
    async with db() as uow:
        data = await uow.personal_data.collect(USER, engine.respondent_keys(USER))
        assert data.question_count == 1 and data.ratings_up == 1 and len(data.survey_responses) == 1
        assert len(data.anonymous_unfinished) == 1 and data.completion_markers == 1
        assert await engine.check_start(uow, "demo", USER) == "in_progress"
    async with db() as uow:
        counts = await uow.personal_data.forget(USER, engine.respondent_keys(USER))
        await uow.commit()
    assert counts["users"] == 1 and counts["questions"] == 1 and counts["ratings"] == 1
    assert counts["survey_responses"] == 2  # the named one and the unfinished anonymous one
    assert counts["survey_answers"] == 6 + 1 and counts["survey_reminders"] == 1
    assert counts["survey_completions"] == 1  # "demo" is answered once: its marker goes, so it may be answered again
    async with db() as uow:
        remaining = (await uow.session.execute(select(SurveyResponse))).scalars().all()
        assert [r.id for r in remaining] == [rid_anon]
        assert remaining[0].respondent_key not in engine.respondent_keys(USER)  # unlinked for good
        assert len(await uow.surveys.answers(rid_anon)) == 6  # the anonymous answers are kept
        assert await engine.check_start(uow, "demo", USER) == "ok"
        others = (await uow.session.execute(select(QuestionRow))).scalars().all()
        assert [q.user_id for q in others] == [42]
        assert (await uow.personal_data.collect(USER, engine.respondent_keys(USER))).empty


async def test_a_claim_left_by_a_dead_process_expires_and_the_reminder_is_sent(db, engine):
    """A process claimed a reminder and died before sending (or deleting) it: the claim expires, not the reminder."""
    from bot.surveys.reminders import CLAIM_EXPIRY, Delivery, Reminders

    await _start(db, engine)
    claimed_at = utcnow() + timedelta(hours=25)
    async with db() as uow:
        [due] = await uow.surveys.due_reminders(claimed_at)
        assert await uow.surveys.claim_reminder(due.id, claimed_at)
        await uow.commit()  # ... and then the process died
    sent: list[int] = []

    async def send(chat_id, progress):
        sent.append(chat_id)
        return Delivery.SENT

    reminders = Reminders(db, engine)
    assert await reminders.deliver(send, claimed_at + CLAIM_EXPIRY - timedelta(minutes=1)) == 0  # still held
    assert await reminders.deliver(send, claimed_at + CLAIM_EXPIRY + timedelta(minutes=1)) == 1
    assert sent == [USER]
    async with db() as uow:
        assert (await uow.session.execute(select(SurveyReminder))).first() is None
