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
    assert user.start_payload == "survey_participants"


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
