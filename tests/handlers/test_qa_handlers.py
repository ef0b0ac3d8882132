"""Q&A through the real PTB Application on the offline Bot API: we assert on the Bot API calls made."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import HandoffRequest, Question, Rating, User
from knowledge.text import has_latvian_diacritics, script_of
from tests.conftest import kb_answer
from tests.fakes import FakeNlu


async def count(harness, model) -> int:
    async with harness.services.uow() as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_start_greets_with_menu_and_keeps_deep_link_payload(harness):
    await harness.say("/start survey_participants")
    greeting = harness.api.sent[0]  # a survey link then offers the survey (tests/handlers/test_survey_handlers.py)
    assert "asistents" in greeting.text
    assert {b["callback_data"] for b in greeting.buttons} == {"menu:topics", "menu:help", "menu:lang"}
    async with harness.services.uow() as uow:
        user = await uow.users.get(5001)
    # a survey link is not kept next to the user id: with the time it would point at an anonymous response
    assert user.start_payload is None
    await harness.say("/start from_website")
    async with harness.services.uow() as uow:
        assert (await uow.users.get(5001)).start_payload == "from_website"


async def test_command_menu_registered_in_three_languages(settings, services):
    from bot.app import build_application
    from bot.offline import OfflineBotApi

    api = OfflineBotApi()
    application = build_application(settings, services, request=api, rate_limit=False)
    async with application:
        await application.post_init(application)
    calls = api.by_method("setMyCommands")
    languages = {call.params.get("language_code") for call in calls}
    assert languages == {None, "lv", "en", "ru"}
    en = next(call for call in calls if call.params.get("language_code") == "en")
    assert [c["command"] for c in en.params["commands"]] == [
        "start", "help", "language", "topics", "feedback", "mydata", "forget", "cancel", "stop"]


async def test_latvian_question_without_diacritics_gets_budget_answer_with_source(harness):
    await harness.say("kads bija programmas budzets?")
    text = harness.last_text()
    assert kb_answer(harness.services.kb, "fact_budget", "lv") in text
    assert "Programmas darbības mērogs" in text  # the source section
    data = [b["callback_data"] for b in harness.buttons()]
    assert data[0].startswith("rate:") and data[1].startswith("rate:")
    async with harness.services.uow() as uow:
        question = (await uow.session.execute(select(Question))).scalar_one()
    assert (question.language, question.entry_id, question.outcome, question.engine) == (
        "lv", "fact_budget", "answer", "lexical")


async def test_russian_and_english_questions_are_answered_in_their_language(harness):
    await harness.say("Какой был бюджет программы?")
    assert kb_answer(harness.services.kb, "fact_budget", "ru") in harness.last_text()
    await harness.say("What was the budget of the programme?")
    assert kb_answer(harness.services.kb, "fact_budget", "en") in harness.last_text()


async def test_rating_is_stored_and_can_be_changed(harness):
    await harness.say("cik partneru bija programmai")
    rate_up = harness.buttons()[0]["callback_data"]
    await harness.press(rate_up)
    assert harness.api.by_method("answerCallbackQuery")[0].params["text"] == "Paldies par vērtējumu!"
    assert harness.api.by_method("editMessageReplyMarkup")
    await harness.press(rate_up.replace(":u", ":d"))
    async with harness.services.uow() as uow:
        ratings = (await uow.session.execute(select(Rating))).scalars().all()
    assert [(r.value, r.entry_id) for r in ratings] == [(-1, "fact_partners")]


async def test_forged_or_foreign_buttons_change_nothing(harness):
    await harness.say("cik partneru bija programmai")
    rate_up = harness.buttons()[0]["callback_data"]
    stranger = harness.as_user(7777)
    for data in (rate_up, "rate:999999:u", "rate:1:x", "pick:1:fact_budget", "ho:1", "top:e:nope", "top:c:nope",
                 "lang:de", "x" * 200, "", "survey:drop table"):
        calls = await harness.press(data, stranger)
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
        assert calls[0].params["text"] == "Šī poga vairs nav derīga. Lūdzu, izmantojiet jaunāko ziņu vai nosūtiet /start."
    assert await count(harness, Rating) == 0
    assert await count(harness, HandoffRequest) == 0


async def test_out_of_scope_question_is_declined_and_can_go_to_staff(harness):
    await harness.say("Kad ir nākamā konkursa pieteikumu iesniegšanas termiņš?")
    text = harness.last_text()
    assert "informācijas nav" in text
    [offer] = harness.buttons()
    assert offer["callback_data"].startswith("ho:")
    await harness.press(offer["callback_data"])
    assert "saglabāts programmas darbiniekiem" in harness.last_text()
    await harness.press(offer["callback_data"])
    assert harness.api.by_method("answerCallbackQuery")[0].params["text"].startswith("Šis jautājums jau")
    assert await count(harness, HandoffRequest) == 1


async def test_asking_for_a_person_records_the_next_message_for_staff(harness):
    harness.services.qa._nlu = FakeNlu({"gribu runāt ar cilvēku": [("human_handoff", 0.97)]})
    await harness.say("gribu runāt ar cilvēku")
    assert "uzrakstiet savu jautājumu" in harness.last_text()
    await harness.say("Vai varam pieteikt projektu kopā ar skolu?")
    assert "saglabāts" in harness.last_text()
    async with harness.services.uow() as uow:
        request = (await uow.session.execute(select(HandoffRequest))).scalar_one()
        user = await uow.users.get(5001)
    assert request.text == "Vai varam pieteikt projektu kopā ar skolu?"
    assert user.awaiting is None


async def test_low_confidence_offers_did_you_mean_and_answers_the_choice(harness):
    harness.services.qa._nlu = FakeNlu(
        {"rezultati?": [("results_overview", 0.28), ("results_society", 0.26), ("results_art", 0.2), ("greet", 0.05)]}
    )
    await harness.say("rezultati?")
    buttons = harness.buttons()
    assert [b["callback_data"].split(":")[-1] for b in buttons] == [
        "results_overview", "results_society", "results_art", buttons[-1]["callback_data"].split(":")[-1]]
    assert buttons[-1]["callback_data"].startswith("none:")
    await harness.press(buttons[1]["callback_data"])
    assert "Rezultāti" in harness.last_text() or "sabiedr" in harness.last_text()
    async with harness.services.uow() as uow:
        question = (await uow.session.execute(select(Question))).scalar_one()
    assert (question.outcome, question.entry_id) == ("chosen", "results_society")


async def test_none_of_these_is_declined_honestly(harness):
    harness.services.qa._nlu = FakeNlu({"rezultati?": [("results_overview", 0.28), ("results_society", 0.26)]})
    await harness.say("rezultati?")
    await harness.press(harness.buttons()[-1]["callback_data"])
    assert "informācijas nav" in harness.last_text()


async def test_language_choice_changes_answers(harness):
    await harness.say("/language")
    assert {b["callback_data"] for b in harness.buttons()} == {"lang:lv", "lang:en", "lang:ru"}
    await harness.press("lang:en")
    assert harness.api.by_method("editMessageText")[0].params["text"].startswith("OK, I will answer in English")
    await harness.say("/help")
    assert "What I can do" in harness.last_text()
    await harness.say("2016?")  # no language evidence in the text: the chosen language is used
    reply = harness.last_text()
    assert script_of(reply) == "latin" and not has_latvian_diacritics(reply), reply
    async with harness.services.uow() as uow:
        assert (await uow.users.get(5001)).language == "en"


async def test_topics_browse_to_an_answer(harness):
    await harness.say("/topics")
    assert "top:c:facts" in {b["callback_data"] for b in harness.buttons()}
    await harness.press("top:c:facts")
    entries = [b["callback_data"] for b in harness.buttons()]
    assert "top:e:fact_budget" in entries and entries[-1] == "top"
    await harness.press("top:e:fact_budget")
    assert kb_answer(harness.services.kb, "fact_budget", "lv") in harness.last_text()


async def test_sticker_unknown_command_and_huge_text_get_clear_replies(harness):
    await harness.send(harness.user.sticker())
    assert "tikai teksta ziņas" in harness.last_text()
    await harness.say("/nosuchcommand")
    assert "Šādas komandas nav" in harness.last_text()
    await harness.say("budžets " * 600)
    assert all(len(call.text) <= 4096 for call in harness.api.sent)
    assert "ļoti gara" in harness.api.sent[0].text


async def test_nlu_down_still_answers_and_recovers(harness):
    fake = FakeNlu(down=True)
    harness.services.qa._nlu = fake
    await harness.say("kāds bija programmas budžets")
    assert "2,8" in harness.last_text()
    fake.down = False
    fake.answers["cik partneru"] = [("fact_partners", 0.99)]
    await harness.say("cik partneru")
    assert "66" in harness.last_text()
    async with harness.services.uow() as uow:
        engines = (await uow.session.execute(select(Question.engine).order_by(Question.id))).scalars().all()
    assert engines == ["lexical", "rasa"]


async def test_error_handler_logs_and_apologises_without_crashing(harness, caplog):
    async def broken(*_args, **_kwargs):
        raise RuntimeError("database exploded")

    harness.services.qa.ask = broken  # a failure deep inside handling an update
    await harness.say("kāds bija budžets")
    assert "radās kļūda" in harness.last_text()
    assert "database exploded" in caplog.text
    assert await count(harness, Question) == 0  # the unit of work rolled back: no half-written update


async def test_user_row_created_once(harness):
    await harness.say("/start")
    await harness.say("paldies")
    assert await count(harness, User) == 1


async def test_a_detail_the_presentation_lacks_is_declined_with_the_total_and_a_person_offered(harness):
    """"How many projects in Latgale?": the knowledge base has only the total — say so, show it, offer staff;
    never present the total as the answer (no rating buttons), and staff see the question as unanswered."""
    text = "Cik projektu tika īstenoti Latgalē?"
    harness.services.qa._nlu = FakeNlu({text: [("fact_projects", 0.91), ("fact_period", 0.04)]})
    await harness.say(text)
    texts, kb = harness.services.texts, harness.services.kb
    reply = harness.last_text()
    assert reply.startswith(texts("lv", "out_of_scope.specific.intro",
                                  detail=texts("lv", "out_of_scope.specific.by_region")))
    assert kb_answer(kb, "fact_projects", "lv") in reply
    data = [b["callback_data"] for b in harness.buttons()]
    assert len(data) == 1 and data[0].startswith("ho:")
    async with harness.services.uow() as uow:
        question = (await uow.session.execute(select(Question))).scalar_one()
    assert (question.outcome, question.intent, question.entry_id) == ("out_of_scope", "fact_projects", "fact_projects")
    await harness.press(data[0])
    assert await count(harness, HandoffRequest) == 1


# --- issue 9, item 6: a second tap is not an error; the error handler never fails ---------------------------------

GENERIC_ERROR = "radās kļūda"


async def test_second_taps_on_rating_language_and_topic_buttons_are_quiet(harness, caplog):
    """Telegram refuses an edit that changes nothing ("message is not modified"); the offline API does too.
    A second tap must not reach the error handler (which would answer the button a second time)."""
    await harness.say("cik partneru bija programmai")
    rate_up = harness.buttons()[0]["callback_data"]
    for data in (rate_up, rate_up, "lang:en", "lang:en", "top", "top", "top:c:facts", "top:c:facts"):
        calls = await harness.press(data)
        assert [c.method for c in calls if c.method == "answerCallbackQuery"] == ["answerCallbackQuery"], data
        assert not any(GENERIC_ERROR in c.text or "error occurred" in c.text for c in calls), data
    refused = [c for c in harness.api.calls if c.method.startswith("edit")]
    assert refused  # the last press's edit was refused as "not modified" — quietly
    assert "error while handling" not in caplog.text


def error_context(harness, error: Exception):
    from telegram.ext import CallbackContext

    context = CallbackContext(harness.app)
    context.error = error
    return context


async def test_error_handler_survives_none_garbage_and_empty_updates(harness, caplog):
    from telegram import Update

    from handlers.errors import on_error

    harness.api.clear()
    for update in (None, "garbage", object(), Update(update_id=7)):
        await on_error(update, error_context(harness, RuntimeError("boom")))
    assert harness.api.calls == []
    assert caplog.text.count("error while handling update") == 4
    assert "the error handler failed" not in caplog.text


async def test_error_handler_apologises_even_when_the_button_was_already_answered(harness, caplog):
    from handlers.errors import on_error

    update = harness.user.callback("lang:en")
    await update.callback_query.answer()  # the handler answered before failing
    harness.api.clear()
    await on_error(update, error_context(harness, RuntimeError("boom")))
    methods = [c.method for c in harness.api.calls]
    assert methods == ["answerCallbackQuery", "sendMessage"]  # the second answer is refused, the apology sent
    assert GENERIC_ERROR in harness.last_text()
    assert "the error handler failed" not in caplog.text


async def test_error_handler_does_not_fail_when_the_apology_cannot_be_sent(harness, caplog):
    from handlers.errors import on_error

    harness.api._refusal = lambda method, params: "Forbidden: bot was blocked by the user"
    await on_error(harness.user.message("x"), error_context(harness, RuntimeError("boom")))
    assert "could not tell the user about the error" in caplog.text
    assert "the error handler failed" not in caplog.text


async def test_a_failing_button_handler_after_its_answer_ends_in_one_apology(harness, caplog):
    async def broken(*_args, **_kwargs):
        raise RuntimeError("database exploded")

    harness.services.accounts.set_language = broken
    calls = await harness.press("lang:en")
    assert [c.method for c in calls].count("sendMessage") == 1 and GENERIC_ERROR in harness.last_text()
    assert "database exploded" in caplog.text and "the error handler failed" not in caplog.text


# --- issue 9, item 8: forged pick/none, the staff-question wait expires, blank texts --------------------------------


async def test_forged_pick_and_none_cannot_rewrite_a_question_outcome(harness):
    harness.services.qa._nlu = FakeNlu({"rezultati?": [("results_overview", 0.28), ("results_society", 0.26)]})
    await harness.say("cik partneru bija programmai")  # answered directly: nothing was offered
    await harness.say("rezultati?")  # "did you mean": results_overview, results_society
    async with harness.services.uow() as uow:
        answered, clarified = (await uow.session.execute(select(Question).order_by(Question.id))).scalars().all()
    assert clarified.offered == "results_overview results_society"
    for data in (f"pick:{answered.id}:fact_budget", f"none:{answered.id}", f"pick:{clarified.id}:fact_budget",
                 f"pick:{clarified.id}:results_art"):
        calls = await harness.press(data)
        assert [(c.method, c.params.get("text", "")[:17]) for c in calls] == [("answerCallbackQuery", "Šī poga vairs nav")], data
    async with harness.services.uow() as uow:
        rows = (await uow.session.execute(select(Question).order_by(Question.id))).scalars().all()
    assert [(q.outcome, q.entry_id) for q in rows] == [("answer", "fact_partners"), ("clarify", None)]
    await harness.press(f"pick:{clarified.id}:results_society")  # what was offered still works
    async with harness.services.uow() as uow:
        picked = await uow.questions.get(clarified.id)
    assert (picked.outcome, picked.entry_id) == ("chosen", "results_society")


async def test_waiting_for_a_question_for_staff_expires(harness):
    from datetime import UTC, datetime, timedelta

    harness.services.qa._nlu = FakeNlu({"gribu runāt ar cilvēku": [("human_handoff", 0.97)]})
    await harness.say("gribu runāt ar cilvēku")
    async with harness.services.uow() as uow:
        user = await uow.users.get(5001)
        assert user.awaiting == "handoff" and user.awaiting_since is not None
        user.awaiting_since = datetime.now(UTC) - timedelta(minutes=31)  # HANDOFF_WAIT_MINUTES is 30
        await uow.commit()
    await harness.say("kāds bija programmas budžets")
    assert kb_answer(harness.services.kb, "fact_budget", "lv") in harness.last_text()  # an ordinary question
    assert await count(harness, HandoffRequest) == 0
    async with harness.services.uow() as uow:
        assert (await uow.users.get(5001)).awaiting is None


async def test_blank_text_is_not_a_question_and_nothing_is_stored(harness):
    for text in (" ", "   \n\t  ", "\u200b\u200f\u2060", "\u3000\u00a0"):
        calls = await harness.say(text)
        assert [c.method for c in calls] == ["sendMessage"], repr(text)
        assert "nav neviena vārda" in harness.last_text()
    assert await count(harness, Question) == 0 and await count(harness, User) == 0
    harness.services.qa._nlu = FakeNlu({"gribu runāt ar cilvēku": [("human_handoff", 0.97)]})
    await harness.say("gribu runāt ar cilvēku")
    await harness.say(" \n ")  # not a question for staff either
    assert "nav neviena vārda" in harness.last_text() and await count(harness, HandoffRequest) == 0


# --- found by the fuzz suite (tests/fuzz) -------------------------------------------------------------------------


async def test_a_button_press_without_a_private_message_is_stale(harness):
    """An inline message's button (no chat) or a button in a group: the bot never makes those, so forged — stale,
    and no handler runs (they used to fail on the missing chat, or answer into the group)."""
    import itertools

    from telegram import Update

    ids = itertools.count(70)

    def press(data: str, where: dict) -> Update:
        query = {"id": str(next(ids)), "from": {"id": 5001, "is_bot": False, "first_name": "A"}, "chat_instance": "x",
                 "data": data, **where}
        return Update.de_json({"update_id": next(ids), "callback_query": query}, harness.app.bot)

    group_message = {"message": {"message_id": 5, "date": 1, "chat": {"id": -400, "type": "group", "title": "g"},
                                 "text": "…"}}
    for data in ("sv:b:0:found", "top:e:fact_budget", "sv:s:assistant", "lang:en", "adm:s:assistant:0"):
        for where in ({"inline_message_id": "inline-1"}, group_message):
            calls = await harness.send(press(data, where))
            assert [(c.method, c.params.get("text", "")[:17]) for c in calls] == [
                ("answerCallbackQuery", "Šī poga vairs nav")], (data, where)
    assert await count(harness, Question) == 0


async def test_control_characters_are_not_stored_postgresql_refuses_nul(harness):
    """Found by the fuzz suite on PostgreSQL: a question with a NUL character ended in the generic error."""
    await harness.say("kāds bija\x00 programmas\x07 budžets\x1b?\n")
    assert kb_answer(harness.services.kb, "fact_budget", "lv") in harness.last_text()
    async with harness.services.uow() as uow:
        stored = (await uow.session.execute(select(Question.text))).scalar_one()
    assert stored == "kāds bija programmas budžets?"
