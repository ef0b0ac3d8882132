"""Feedback surveys through the real PTB Application on the offline Bot API.

Every test talks to the bot the way Telegram would (commands, button presses, stickers) and checks both what
the bot sent and what ended up in the database.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from bot.app import build_application, build_services
from bot.config import PROJECT_DIR
from bot.db.models import Base, Question, SurveyAnswer, SurveyReminder, SurveyResponse, utcnow
from bot.offline import OfflineBotApi
from handlers import common, survey_views
from handlers.surveys import deliver_reminders
from tests.conftest import Harness, harness_on, kb_answer
from tests.fakes import FakeNlu

# How a participant answers the shipped survey, question by question (button data suffix, or typed text).
PLAN = [
    ("activity_area", "a:education"),
    ("understanding", "a:4"),
    ("met_groups", "a:together"),
    ("view_change", "a:5"),
    ("belonging_change", "a:unsure"),
    ("skills", ["cooperation", "critical"]),
    ("readiness", "a:2"),
    ("overall", "a:9"),
    ("improve", "text:More time for discussions <and> less paperwork & forms"),
]
EXPECTED = {
    "activity_area": "education", "understanding": 4, "met_groups": "together", "view_change": 5,
    "belonging_change": "unsure", "skills": ["cooperation", "critical"], "readiness": 2, "overall": 9,
    "improve": "More time for discussions <and> less paperwork & forms",
}


def app_on(settings):
    """One bot process: its own Services (engine, connections) and Application on the given database."""
    return harness_on(settings, use_nlu=False)


def data_of(harness) -> list[str]:
    return [b["callback_data"] for b in harness.buttons()]


def button(harness, suffix: str) -> str:
    """The callback data of the last keyboard's button ending in `suffix` (e.g. 'a:4' → 'sv:a:1:understanding:4')."""
    verb, _, value = suffix.partition(":")
    for data in data_of(harness):
        parts = data.split(":")
        if parts[1] == verb and (not value or parts[-1] == value):
            return data
    raise AssertionError(f"no button {suffix} in {data_of(harness)}")


async def answer(harness, qid: str, how, user=None, via=None) -> None:
    """Answer the pending question `qid` (on `harness`'s screen) the way PLAN says; the taps/messages go to
    `via` (another bot process on the same database) when given."""
    assert f":{qid}" in " ".join(data_of(harness)), (qid, data_of(harness))
    via = via or harness
    if isinstance(how, list):
        taps = [button(harness, f"t:{choice}") for choice in how] + [button(harness, "d")]
        for data in taps:
            await via.press(data, user)
    elif how.startswith("text:"):
        await via.say(how[5:], user)
    else:
        await via.press(button(harness, how), user)


async def start_survey(harness, survey_id="participants", mode="a", user=None) -> None:
    await harness.say(f"/start survey_{survey_id}", user)
    assert button(harness, "c").startswith(f"sv:c:{survey_id}:")
    await harness.press(f"sv:c:{survey_id}:{mode}", user)


async def stored(harness, response_id=None) -> dict:
    async with harness.services.uow() as uow:
        query = select(SurveyAnswer)
        if response_id is not None:
            query = query.where(SurveyAnswer.response_id == response_id)
        rows = (await uow.session.execute(query)).scalars().all()
    return {row.question_id: (json.loads(row.value) if row.value is not None else None) for row in rows}


async def responses(harness) -> list[SurveyResponse]:
    async with harness.services.uow() as uow:
        return list((await uow.session.execute(select(SurveyResponse).order_by(SurveyResponse.id))).scalars())


async def count(harness, model) -> int:
    async with harness.services.uow() as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


# --- completing the shipped survey -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "progress_mark", "thanks", "yes_word"),
    [("lv", "1/9", "Paldies!", "Jā"), ("en", "1/9", "Thank you!", "Yes"), ("ru", "1/9", "Спасибо!", "Да")],
)
async def test_participant_completes_the_survey_by_buttons(harness, language, progress_mark, thanks, yes_word):
    user = harness.as_user(6001, language_code=language)
    await start_survey(harness, user=user)
    assert progress_mark in harness.last_text()
    sent_data: list[str] = []
    for qid, how in PLAN:
        sent_data += data_of(harness)
        await answer(harness, qid, how, user)
    summary = "\n".join(call.text for call in harness.api.sent)
    assert thanks in summary
    assert yes_word in summary and "9" in summary
    assert "More time for discussions &lt;and&gt; less paperwork &amp; forms" in summary  # escaped
    assert await stored(harness) == EXPECTED
    [response] = await responses(harness)
    assert (response.status, response.language, response.user_id, response.anonymous) == (
        "completed", language, 6001, False)
    assert await count(harness, SurveyReminder) == 0
    assert all(len(data.encode()) <= 64 for data in sent_data)
    assert await count(harness, Question) == 0  # the free-text answer never went to Q&A


async def test_question_messages_show_progress_back_cancel_and_edit_the_answered_one(harness):
    await start_survey(harness)
    first = data_of(harness)
    assert first[-1] == "sv:x:1" and not any(":b:" in d for d in first)  # no Back on question 1
    await harness.press(button(harness, "a:culture"))
    edited = harness.api.by_method("editMessageText")[0]
    assert "Kultūras vai mākslas pasākums" in edited.text and not edited.buttons
    assert "2/9" in harness.last_text() and "1 — Nemaz, 3 — Nedaudz, 5 — Ļoti daudz" in harness.last_text()
    assert {"sv:b:1:understanding", "sv:x:1"} <= set(data_of(harness))


async def test_feedback_lists_open_surveys_and_deep_link_offers_consent(harness):
    await harness.say("/feedback")
    assert data_of(harness) == ["sv:s:assistant", "sv:s:participants"]
    await harness.press("sv:s:assistant")
    consent = harness.last_text()
    assert "bez jūsu Telegram ID" in consent and "/forget" in consent and "programmas darbinieki" in consent
    assert "var atbildēt atkārtoti" in consent  # the assistant survey allows repeats
    assert data_of(harness) == ["sv:c:assistant:a", "sv:c:assistant:n", "sv:c:assistant:x"]
    await harness.press("sv:c:assistant:x")
    assert "nekas netika saglabāts" in harness.api.by_method("editMessageText")[0].text
    assert await count(harness, SurveyResponse) == 0
    await harness.say("/start survey_nosuch")
    assert "Šādas aptaujas nav" in harness.last_text()


async def test_deep_link_survey_start_in_english(harness):
    user = harness.as_user(6002, language_code="en")
    await harness.say("/start survey_participants", user)
    assert [call.method for call in harness.api.calls].count("sendMessage") == 2  # greeting, then the consent
    assert "<b>Anonymously</b>" in harness.last_text() and "<blockquote expandable>" in harness.last_text()


# --- restarts and two processes ---------------------------------------------------------------------------------


async def test_restart_continues_a_half_finished_survey(settings):
    """kill -9 in the middle: the first process is simply abandoned (no shutdown, nothing flushed)."""
    first_services = await build_services(settings, use_nlu=False)
    first_api = OfflineBotApi()
    first = build_application(settings, first_services, request=first_api, rate_limit=False)
    await first.initialize()
    h1 = Harness(first, first_api, first_services)
    await start_survey(h1)
    for qid, how in PLAN[:5]:
        await answer(h1, qid, how)
    await h1.press(button(h1, "t:creative"))  # a multi-choice draft, not yet "Done"
    # -- the process dies here: no shutdown(), no close_services(); a new one starts on the same database --
    async with app_on(settings) as h2:
        await h2.send(h2.user.sticker())  # the next message of any kind shows the pending question
        assert "6/9" in h2.last_text() and "☑️ Radoši" in " ".join(b["text"] for b in h2.buttons())
        await h2.press(button(h2, "t:creative"))  # untick the draft
        for qid, how in PLAN[5:]:
            await answer(h2, qid, how)
        assert "Paldies!" in "\n".join(call.text for call in h2.api.sent)
        assert await stored(h2) == EXPECTED
    await first_services.engine.dispose()


async def test_two_processes_answer_alternately(settings):
    async with app_on(settings) as a, app_on(settings) as b:
        await start_survey(a)
        shown, other = a, b
        for qid, how in PLAN:  # each question was sent by one process; the answer reaches the other one
            await answer(shown, qid, how, via=other)
            shown, other = other, shown
        assert "Paldies!" in "\n".join(call.text for call in shown.api.sent)
        assert await stored(a) == EXPECTED == await stored(b)
        [response] = await responses(a)
        assert response.status == "completed"


async def test_the_same_tap_in_two_processes_counts_once(settings):
    async with app_on(settings) as a, app_on(settings) as b:
        await start_survey(a)
        tap = button(a, "a:culture")
        await a.press(tap)
        await b.press(tap)  # delivered twice (or pressed twice): the second is recognised as stale
        notice = b.api.by_method("answerCallbackQuery")[0].params["text"]
        assert "jau ir atbildēts" in notice and "2/9" in b.last_text()
        assert await stored(a) == {"activity_area": "culture"}
        [response] = await responses(a)
        assert response.current_question == "understanding"


async def test_concurrent_taps_never_corrupt(settings):
    import asyncio

    async with app_on(settings) as a, app_on(settings) as b:
        await start_survey(a)
        ua, ub = a.user.callback("sv:a:1:activity_area:culture"), b.user.callback("sv:a:1:activity_area:other")
        await asyncio.gather(a.app.process_update(ua), b.app.process_update(ub))
        answers = await stored(a)
        assert answers in ({"activity_area": "culture"}, {"activity_area": "other"})
        [response] = await responses(a)
        assert response.current_question == "understanding" and response.version == 2


async def test_agree_tapped_in_two_processes_at_once_starts_one_response(settings):
    """Both processes pass the 'nothing in progress' check; the unique index lets only one insert win, and the
    other process shows that response's pending question instead of creating a second one."""
    import asyncio

    from bot.db.models import SurveyResponse as Response

    async with app_on(settings) as a, app_on(settings) as b:
        await a.say("/start survey_participants")
        b.user = a.as_user(a.user.user["id"])
        tap_a, tap_b = a.user.callback("sv:c:participants:a"), b.user.callback("sv:c:participants:a")
        for _ in range(3):  # the interleaving varies; the outcome must not
            await asyncio.gather(a.app.process_update(tap_a), b.app.process_update(tap_b))
        in_progress = [r for r in await responses(a) if r.status == "in_progress"]
        assert len(in_progress) == 1 and isinstance(in_progress[0], Response)
        for harness in (a, b):
            assert any("1/9" in call.text for call in harness.api.sent)


async def test_lost_race_between_two_processes_shows_the_pending_question(settings):
    """Process B commits an answer between process A loading the response and committing: A's version check
    fails, A rolls back and shows the pending question — B's answer stands, nothing is merged or duplicated."""
    async with app_on(settings) as a, app_on(settings) as b:
        await start_survey(a)
        engine = a.services.survey_engine
        original = engine.answer_button

        async def racing(uow, response, question_id, raw):
            await b.press("sv:a:1:activity_area:other")  # the other process wins the race
            return await original(uow, response, question_id, raw)

        engine.answer_button = racing
        await a.press("sv:a:1:activity_area:culture")
        assert a.api.by_method("answerCallbackQuery")[0].params["text"].startswith("Vienlaikus pienāca")
        assert "2/9" in a.last_text()
        assert await stored(a) == {"activity_area": "other"}
        [response] = await responses(a)
        assert (response.current_question, response.version) == ("understanding", 2)


REAL_KILL_CHILD = textwrap.dedent("""
    import asyncio, sys
    from bot.app import build_application, build_services
    from bot.config import Settings
    from bot.offline import OfflineBotApi
    from tests.conftest import Harness, kb_answer

    async def main():
        settings = Settings(_env_file=None, database_url=sys.argv[1], nlu_url="http://127.0.0.1:9")
        services = await build_services(settings, use_nlu=False)
        api = OfflineBotApi()
        app = build_application(settings, services, request=api, rate_limit=False)
        await app.initialize()
        h = Harness(app, api, services)
        await h.say("/start survey_participants")
        await h.press("sv:c:participants:a")
        for data in ("sv:a:1:activity_area:engagement", "sv:a:1:understanding:2", "sv:a:1:met_groups:met",
                     "sv:a:1:view_change:4", "sv:a:1:belonging_change:5", "sv:t:1:skills:critical"):
            await h.press(data)
            assert h.api.by_method("answerCallbackQuery")[0].params.get("text") is None, data
        print("READY", flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
""")


async def test_kill_minus_9_mid_survey_and_finish_after_restart(settings, tmp_path):
    """A real bot process is killed with SIGKILL in the middle of the survey; a new one finishes it."""
    child = subprocess.Popen([sys.executable, "-c", REAL_KILL_CHILD, settings.database_url], cwd=PROJECT_DIR,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)})
    try:
        assert child.stdout.readline().strip() == "READY"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    async with app_on(settings) as h:
        await h.say("/feedback")
        assert "nepabeigta aptauja" in h.last_text() and "6/9" in h.last_text()
        assert "☑️ Izvērtēt informāciju" in " ".join(b["text"] for b in h.buttons())  # the draft tick survived
        await h.press(button(h, "d"))
        for qid, how in PLAN[6:]:
            await answer(h, qid, how)
        assert await stored(h) == {**EXPECTED, "activity_area": "engagement", "understanding": 2, "met_groups": "met",
                                   "view_change": 4, "belonging_change": 5, "skills": ["critical"]}


# --- wrong input and stale buttons ---------------------------------------------------------------------------------


async def test_wrong_input_is_reprompted_and_loses_nothing(harness):
    fake = FakeNlu({"Kāds bija budžets?": [("fact_budget", 0.99)]})
    harness.services.qa._nlu = fake
    await start_survey(harness)
    await harness.press(button(harness, "a:culture"))
    await harness.say("Kāds bija budžets?")  # text where a button is expected
    assert "atbildiet ar pogām" in harness.last_text() and "2/9" in harness.last_text()
    assert button(harness, "a:4")  # the question comes again with its buttons
    await harness.send(harness.user.sticker())
    assert "nevis ar failiem vai uzlīmēm" in harness.last_text() and "2/9" in harness.last_text()
    await harness.say("4")  # a typed number on a scale question is an answer
    assert "3/9" in harness.last_text()
    assert fake.calls == [] and await count(harness, Question) == 0  # the NLU never saw any of it
    for qid, how in PLAN[2:8]:
        await answer(harness, qid, how)
    await harness.say("x" * 1001)
    assert "zīmju skaits: 1001, atļauts: 1000" in harness.last_text() and "9/9" in harness.last_text()
    await harness.say("   ")
    assert "9/9" in harness.last_text()
    await harness.say("Īsāk.")
    answers = await stored(harness)
    assert answers["activity_area"] == "culture" and answers["understanding"] == 4 and answers["improve"] == "Īsāk."


async def test_stale_and_forged_buttons(harness):
    await start_survey(harness)
    old = button(harness, "a:culture")
    await harness.press(old)
    await harness.press(button(harness, "a:2"))
    await harness.press(old.replace("culture", "other"))  # a button of an earlier, answered message
    assert harness.api.by_method("answerCallbackQuery")[0].params["text"].startswith("Uz šo jautājumu jau")
    assert "3/9" in harness.last_text()
    assert await stored(harness) == {"activity_area": "culture", "understanding": 2}
    stranger = harness.as_user(7777)
    for data in ("sv:a:1:met_groups:met", "sv:x:1", "sv:r:1", "sv:a:999:met_groups:met", "sv:a:1:met_groups:maybe",
                 "sv:c:nosuch:a", "sv:z:1", "sv:a:1:met_groups:" + "y" * 80):
        calls = await harness.press(data, stranger)
        assert calls[0].method == "answerCallbackQuery", data
        assert not any(call.method == "sendMessage" and "3/9" in call.text for call in calls), data
    assert await stored(harness) == {"activity_area": "culture", "understanding": 2}
    # a value never offered for the pending question: stale notice + the question again, nothing stored
    await harness.press("sv:a:1:met_groups:maybe")
    assert "3/9" in harness.last_text()
    await harness.press("sv:a:1:met_groups:met")
    assert (await stored(harness))["met_groups"] == "met"


async def test_back_then_keep_and_alerts(harness):
    await start_survey(harness)
    await harness.press(button(harness, "a:other"))
    await harness.press(button(harness, "b"))
    assert "1/9" in harness.last_text() and "✓ Cits" in " ".join(b["text"] for b in harness.buttons())
    await harness.press(button(harness, "a:other"))
    for qid, how in PLAN[1:5]:
        await answer(harness, qid, how)
    await harness.press(button(harness, "d"))  # optional multi, nothing ticked → skipped
    await answer(harness, "readiness", "a:unsure")
    await answer(harness, "overall", "a:10")
    await harness.say("Nekas")
    await harness.say("/feedback")  # completed: the survey can't be taken again
    await harness.press("sv:s:participants")
    assert "jau ir saņemtas" in harness.last_text()
    answers = await stored(harness)
    assert answers["skills"] is None and answers["overall"] == 10


async def test_skip_on_a_required_question_is_refused_with_an_alert(harness):
    await start_survey(harness)
    await harness.press(button(harness, "a:other"))
    await harness.press("sv:k:1:understanding")  # Skip on a required question: refused
    alert = harness.api.by_method("answerCallbackQuery")[0].params
    assert alert["text"] == "Uz šo jautājumu jāatbild — lūdzu, izvēlieties kādu no pogām." and alert["show_alert"] is True


# --- anonymity, /mydata, /forget -------------------------------------------------------------------------------


ANON_USER = 987654321987


async def _tables_containing(harness, needle: str) -> set[str]:
    found = set()
    async with harness.services.uow() as uow:
        for table in Base.metadata.sorted_tables:
            rows = (await uow.session.execute(select(table))).all()
            for row in rows:
                for column, value in zip(table.columns, row, strict=True):
                    if value is not None and needle in str(value):
                        found.add(f"{table.name}.{column.name}")
    return found


async def test_anonymous_answers_store_no_user_id_anywhere(harness):
    user = harness.as_user(ANON_USER, language_code="ru")
    await harness.say("/feedback", user)
    await harness.press("sv:s:participants", user)
    await harness.press("sv:c:participants:n", user)
    assert "без вашего Telegram ID" in harness.last_text()
    for qid, how in PLAN[:4]:
        await answer(harness, qid, how, user)
    # mid-survey the only link is the reminder's chat id (deleted once the survey ends)
    assert await _tables_containing(harness, str(ANON_USER)) == {"survey_reminders.chat_id"}
    for qid, how in PLAN[4:]:
        await answer(harness, qid, how, user)
    assert "без вашего Telegram ID" in harness.last_text()
    assert await _tables_containing(harness, str(ANON_USER)) == set()
    [response] = await responses(harness)
    assert response.user_id is None and response.anonymous and response.status == "completed"
    assert await stored(harness) == EXPECTED
    await harness.say("/feedback", user)  # one completed response per survey, anonymous or not
    await harness.press("sv:s:participants", user)
    assert "уже получены" in harness.last_text()


async def test_mydata_and_forget_remove_every_row_naming_the_user(harness):
    uid = 555444333222
    user = harness.as_user(uid, language_code="en")
    await harness.say("/start", user)
    await harness.say("What was the budget of the programme?", user)
    await harness.press(harness.buttons()[0]["callback_data"], user)  # 👍
    assert "sv:s:assistant" in data_of(harness)  # feedback button once rated
    harness.services.qa._nlu = FakeNlu({"I want a human": [("human_handoff", 0.99)]})
    await harness.say("I want a human", user)
    await harness.say("Please call me about partners", user)
    await start_survey(harness, user=user)
    for qid, how in PLAN:
        await answer(harness, qid, how, user)
    await harness.press("sv:s:assistant", user)
    await harness.press("sv:c:assistant:n", user)  # anonymous, completed
    await harness.press(button(harness, "a:y"), user)
    await harness.press(button(harness, "a:5"), user)
    await harness.press(button(harness, "a:unsure"), user)
    await harness.press(button(harness, "k"), user)
    await harness.press("sv:s:assistant", user)  # repeats allowed: a second, unfinished anonymous one
    await harness.press("sv:c:assistant:n", user)
    await harness.press(button(harness, "a:n"), user)

    await harness.say("/mydata", user)
    mydata = "\n".join(call.text for call in harness.api.sent)
    assert "What was the budget of the programme?" in mydata and "👍 1" in mydata
    assert "Questions passed to staff: 1" in mydata and "saved with your Telegram ID: 1" in mydata
    assert "Feedback on a programme event" in mydata and "An education event" in mydata
    assert "Finished anonymous survey answers carry nothing that leads to you" in mydata
    # what is held under the user's code rather than their id is shown too (issue 9, 4)
    assert "Unfinished or cancelled anonymous survey responses, found by your code: 1" in mydata
    assert "Surveys marked as answered by you (a code, not linked to your answers): 1" in mydata
    assert "Copies of your questions in staff chats: 1" in mydata and "reminders scheduled to your chat: 1" in mydata

    await harness.say("/forget", user)
    assert "Finished anonymous survey answers are kept" in harness.last_text()
    assert data_of(harness) == ["sv:f:y", "sv:f:n"]
    await harness.press("sv:f:n", user)
    assert await _tables_containing(harness, str(uid))
    await harness.press("sv:f:y", user)
    staff_post, confirmation = harness.api.by_method("editMessageText")
    assert staff_post.params["chat_id"] == 1001 and staff_post.text == "🙋 [dzēsts pēc jautātāja lūguma]"
    assert "your data has been deleted" in confirmation.text
    assert await _tables_containing(harness, str(uid)) == set()
    remaining = await responses(harness)
    assert [(r.survey_id, r.anonymous, r.status) for r in remaining] == [("assistant", True, "completed")]
    engine = harness.services.survey_engine
    assert remaining[0].respondent_key not in engine.respondent_keys(uid)
    await harness.say("/mydata", user)
    assert harness.last_text() == "The bot stores nothing about you."


# --- closed, repeats, cancel ------------------------------------------------------------------------------------


async def test_closed_survey_refuses_new_starts_but_lets_running_ones_finish(harness):
    await start_survey(harness)
    await harness.press(button(harness, "a:culture"))
    async with harness.services.uow() as uow:
        await uow.surveys.set_state("participants", False, updated_by=1001)
        await uow.commit()
    await harness.press(button(harness, "a:3"))
    assert "3/9" in harness.last_text()
    other = harness.as_user(6100)
    await harness.say("/start survey_participants", other)
    assert "ir slēgta" in harness.last_text()
    await harness.say("/feedback", other)  # only one open survey left: offered directly
    assert data_of(harness) == ["sv:c:assistant:a", "sv:c:assistant:n", "sv:c:assistant:x"]
    await harness.press("sv:c:participants:a", other)  # an old consent button of the closed survey
    assert "ir slēgta" in harness.api.by_method("editMessageText")[0].text
    async with harness.services.uow() as uow:
        await uow.surveys.set_state("assistant", False)
        await uow.commit()
    await harness.say("/feedback", other)
    assert "nav atvērtu aptauju" in harness.last_text()


async def test_assistant_survey_allows_repeats(harness):
    for _ in range(2):
        await harness.press("sv:s:assistant")
        await harness.press("sv:c:assistant:a")
        await harness.press(button(harness, "a:y"))
        await harness.press(button(harness, "a:4"))
        await harness.press(button(harness, "a:3"))
        await harness.say("Ātrāk, lūdzu")
        assert "Paldies! Aptauja «Atsauksme par asistentu» ir pabeigta." in harness.api.sent[-1].text
    assert [r.status for r in await responses(harness)] == ["completed", "completed"]


async def test_cancel_button_and_command(harness):
    await harness.say("/cancel")
    assert harness.last_text() == "Nav nekā, ko atcelt."
    await start_survey(harness)
    await harness.press(button(harness, "a:culture"))
    await harness.say("/cancel")
    assert "atbildes ir dzēstas" in harness.last_text()
    assert await stored(harness) == {} and await count(harness, SurveyReminder) == 0
    await harness.say("kāds bija programmas budžets")  # no survey pending: back to Q&A
    assert kb_answer(harness.services.kb, "fact_budget", "lv") in harness.last_text()
    await start_survey(harness)
    await harness.press("sv:x:2")
    assert "atbildes ir dzēstas" in harness.last_text()
    assert [r.status for r in await responses(harness)] == ["cancelled", "cancelled"]
    await harness.press("sv:a:2:activity_area:culture")  # a button of the cancelled survey
    assert harness.api.by_method("answerCallbackQuery")[0].params["text"] == "Šī aptauja tika atcelta. Lai sāktu no jauna, nosūtiet /feedback."


async def test_cancel_also_clears_waiting_for_a_staff_question(harness):
    harness.services.qa._nlu = FakeNlu({"gribu runāt ar cilvēku": [("human_handoff", 0.97)]})
    await harness.say("gribu runāt ar cilvēku")
    await harness.say("/cancel")
    assert harness.last_text() == "Labi, atcelts."
    async with harness.services.uow() as uow:
        assert (await uow.users.get(5001)).awaiting is None


# --- reminders ------------------------------------------------------------------------------------------------------


async def test_reminder_sent_once_even_with_two_processes_and_after_restart(settings):
    async with app_on(settings) as a:
        await start_survey(a)
        await a.press(button(a, "a:culture"))
        assert await deliver_reminders(a.app.bot, a.services) == 0  # not due yet
    later = utcnow() + timedelta(hours=25)
    async with app_on(settings) as a, app_on(settings) as b:  # both restarted: the schedule is in the database
        a.api.clear()
        b.api.clear()
        sent = [await deliver_reminders(a.app.bot, a.services, later),
                await deliver_reminders(b.app.bot, b.services, later)]
        assert sorted(sent) == [0, 1]
        [reminder] = a.api.by_method("sendMessage") + b.api.by_method("sendMessage")
        assert "nepabeidzāt (jautājums 2 no 9)" in reminder.text
        assert [btn["callback_data"] for btn in reminder.buttons] == ["sv:r:1", "sv:x:1"]
        assert await deliver_reminders(a.app.bot, a.services, later + timedelta(days=3)) == 0  # only one, ever
        assert await count(a, SurveyReminder) == 0
        await a.press("sv:r:1")
        assert "2/9" in a.last_text()


async def test_no_reminder_after_completion_and_reminder_for_anonymous_deleted(harness):
    await start_survey(harness, "assistant", mode="n")
    later = utcnow() + timedelta(hours=25)
    assert await deliver_reminders(harness.app.bot, harness.services, later) == 1
    async with harness.services.uow() as uow:
        assert (await uow.session.execute(text("select count(*) from survey_reminders"))).scalar_one() == 0
    await harness.say("/start survey_participants")
    assert "nepabeigta aptauja" in harness.last_text()  # one survey at a time: the unfinished one comes first


async def test_reminder_job_is_scheduled_on_the_job_queue(settings, services):
    application = build_application(settings, services, request=OfflineBotApi(), rate_limit=False)
    assert [job.name for job in application.job_queue.jobs()] == ["survey-reminders", "handoff-retries", "teaching"]
    settings.retention_days = 365  # RETENTION_DAYS set: the purge runs too
    application = build_application(settings, services, request=OfflineBotApi(), rate_limit=False)
    assert [job.name for job in application.job_queue.jobs()] == [
        "survey-reminders", "handoff-retries", "retention", "teaching"]


# --- callback data ---------------------------------------------------------------------------------------------------


def test_callback_data_fits_telegram_limit_for_the_longest_ids():
    from bot.surveys.engine import Progress
    from bot.surveys.schema import Survey

    L = {"lv": "a", "en": "a", "ru": "a"}
    long_q, long_c = "q" * 24, "c" * 16
    survey = Survey.model_validate({"id": "s" * 40, "title": L, "intro": L, "questions": [
        {"id": "a" * 24, "type": "yes_no", "text": L},
        {"id": long_q, "type": "multi", "text": L, "optional": True,
         "choices": [{"id": long_c, "label": L}, {"id": "c" * 15, "label": L}]}]})
    from bot.i18n import Translator

    texts = Translator()
    progress = Progress(survey, 2**31 - 1, "in_progress", "lv", False, survey.questions[1], {})
    data = [b.callback_data for row in survey_views.question_keyboard(progress, texts).inline_keyboard for b in row]
    data += [b.callback_data for row in survey_views.consent_keyboard(survey, "lv", texts).inline_keyboard for b in row]
    assert max(len(d.encode()) for d in data) <= 64
    assert all(common.parse(d, common.SURVEY_PREFIX) is not None for d in data)
