"""Issue 9 through the real Application on the offline Bot API with scripted failures (tests.fakes.FailingBotApi):
hand-offs that could not be posted are retried (back-off, claims), a staff group turned supergroup is followed,
/handoffs and /stats show open ones; /forget edits the staff posts; the knowledge-base editor refuses identifying
text; the error log names the update, not its content."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bot.app import build_application
from bot.db.models import HandoffDelivery, HandoffRequest, Question, StaffChatMove, utcnow
from bot.handoff import Handoffs
from bot.services import Services
from handlers.common import staff_poster
from handlers.errors import on_error
from knowledge.loader import DEFAULT_DATA_DIR
from tests.conftest import Harness
from tests.fakes import FailingBotApi
from tests.staff_helpers import build_shared_services, on_fresh_database

ADMIN = 1001
APPLICANT = 5001
STAFF_GROUP = -100111
SUPERGROUP = -100222
QUESTION = "Kad ir nākamā konkursa pieteikumu iesniegšanas termiņš?"


@pytest.fixture(scope="module")
def base_services(tmp_path_factory) -> Services:
    return build_shared_services(tmp_path_factory)


@pytest.fixture
async def services(base_services, settings):
    async with on_fresh_database(base_services, settings) as fresh:
        yield fresh


async def _harness(settings, services):
    api = FailingBotApi()
    application = build_application(settings, services, request=api, rate_limit=False)
    await application.initialize()
    return Harness(application, api, services)


@pytest.fixture
async def bot(settings, services):
    harness = await _harness(settings, services)
    yield harness
    await harness.app.shutdown()


@pytest.fixture
async def group_bot(settings, services):
    settings.staff_chat_id = STAFF_GROUP
    harness = await _harness(settings, services)
    yield harness
    await harness.app.shutdown()


async def ask_for_a_person(harness: Harness) -> list:
    applicant = harness.as_user(APPLICANT)
    await harness.say(QUESTION, applicant)
    return await harness.press(harness.buttons()[0]["callback_data"], applicant)  # 🙋 pass it to staff


async def requests(harness: Harness) -> list[HandoffRequest]:
    async with harness.services.uow() as uow:
        return list((await uow.session.execute(select(HandoffRequest).order_by(HandoffRequest.id))).scalars())


async def deliveries(harness: Harness) -> list[tuple[int, int]]:
    async with harness.services.uow() as uow:
        rows = (await uow.session.execute(select(HandoffDelivery).order_by(HandoffDelivery.id))).scalars()
        return [(row.staff_chat_id, row.staff_message_id) for row in rows]


def posts_to(harness: Harness, chat: int) -> list:
    return [call for call in harness.api.calls if call.method == "sendMessage" and call.params.get("chat_id") == chat]


# --- item 3: hand-offs that could not be posted ---------------------------------------------------------------------


async def test_an_undelivered_handoff_is_retried_with_back_off_until_it_lands(bot):
    """Before the fix one failed send left only a log line: nothing retried it, /handoffs did not exist."""
    bot.api.fail("sendMessage", ADMIN)  # the admin never opened the bot
    calls = await ask_for_a_person(bot)
    assert "saglabāts programmas darbiniekiem" in calls[-1].text  # the applicant is told it is recorded
    [request] = await requests(bot)
    assert request.delivered_at is None and request.attempts == 1 and request.next_attempt_at is not None
    first_retry = request.next_attempt_at

    bot.api.heal("sendMessage", ADMIN)
    await bot.say("/handoffs", bot.as_user(ADMIN))
    assert "#1" in bot.last_text() and "vēl nav nodots (mēģinājumi: 1" in bot.last_text()
    await bot.say("/stats", bot.as_user(ADMIN))
    assert "Jautājumi darbiniekiem: atvērti 1, vēl nav nonākuši pie darbiniekiem 1" in bot.last_text()

    handoffs, post = bot.services.handoffs, staff_poster(bot.app.bot)
    bot.api.clear()
    assert await handoffs.retry_undelivered(post, utcnow()) == 0  # the back-off is not over
    assert posts_to(bot, ADMIN) == []
    bot.api.fail("sendMessage", ADMIN)
    later = first_retry.replace(tzinfo=utcnow().tzinfo) + timedelta(seconds=1)
    assert await handoffs.retry_undelivered(post, later) == 0  # still failing: the next wait is longer
    [request] = await requests(bot)
    assert request.attempts == 2
    assert request.next_attempt_at.replace(tzinfo=later.tzinfo) - later == timedelta(minutes=2)
    bot.api.heal("sendMessage", ADMIN)
    assert await handoffs.retry_undelivered(post, later + timedelta(minutes=3)) == 1
    assert await handoffs.retry_undelivered(post, later + timedelta(hours=3)) == 0  # delivered once, never again
    assert len(posts_to(bot, ADMIN)) == 1 and len(await deliveries(bot)) == 1
    [request] = await requests(bot)
    assert request.delivered_at is not None
    await bot.say("/stats", bot.as_user(ADMIN))
    assert "atvērti 1, vēl nav nonākuši pie darbiniekiem 0" in bot.last_text()


async def test_two_processes_never_post_the_same_handoff_twice_and_a_dead_claim_expires(bot):
    bot.api.fail("sendMessage", ADMIN)
    await ask_for_a_person(bot)
    bot.api.heal("sendMessage", ADMIN)
    bot.api.clear()
    settings, texts = bot.services.settings, bot.services.texts
    process_a, process_b = (Handoffs(bot.services.uow, settings, texts) for _ in range(2))
    post = staff_poster(bot.app.bot)
    now = utcnow() + timedelta(minutes=5)
    results = await asyncio.gather(process_a.retry_undelivered(post, now), process_b.retry_undelivered(post, now))
    assert sorted(results) == [0, 1] and len(posts_to(bot, ADMIN)) == 1

    # a process claims a request and dies before sending: the claim runs out, then another one posts it
    bot.api.fail("sendMessage", ADMIN)
    await ask_for_a_person(bot)
    bot.api.heal("sendMessage", ADMIN)
    second = (await requests(bot))[-1].id
    async with bot.services.uow() as uow:
        assert await uow.handoffs.claim(second, now, now + timedelta(minutes=5))
        await uow.commit()
    bot.api.clear()
    assert await process_a.retry_undelivered(post, now + timedelta(minutes=1)) == 0
    assert await process_a.retry_undelivered(post, now + timedelta(minutes=6)) == 1
    assert len(posts_to(bot, ADMIN)) == 1


async def test_a_staff_group_turned_supergroup_is_followed_on_send(group_bot):
    """ChatMigrated on sending: the post goes to the new chat, which is stored and used from then on."""
    bot = group_bot
    bot.api.migrate(STAFF_GROUP, SUPERGROUP)
    await ask_for_a_person(bot)
    assert [chat for chat, _ in await deliveries(bot)] == [SUPERGROUP]
    async with bot.services.uow() as uow:
        move = await uow.session.get(StaffChatMove, STAFF_GROUP)
    assert move is not None and move.new_chat_id == SUPERGROUP
    bot.api.clear()
    await ask_for_a_person(bot)  # the next one goes straight to the supergroup
    assert posts_to(bot, STAFF_GROUP) == [] and len(posts_to(bot, SUPERGROUP)) == 1
    [_, (chat, message_id)] = await deliveries(bot)
    reply = staff_reply(bot, {"id": SUPERGROUP, "type": "supergroup", "title": "Staff"}, ADMIN, message_id, "Drīz.")
    calls = await bot.send(reply)
    assert [call.params["chat_id"] for call in calls] == [APPLICANT, SUPERGROUP]


async def test_the_migration_message_moves_open_handoffs_to_the_supergroup(group_bot):
    bot = group_bot
    await ask_for_a_person(bot)
    assert [chat for chat, _ in await deliveries(bot)] == [STAFF_GROUP]
    await bot.send(service_message(bot, {"id": STAFF_GROUP, "type": "group", "title": "Staff"},
                                   migrate_to_chat_id=SUPERGROUP))
    [request] = await requests(bot)
    assert request.delivered_at is None  # its copy sits in a chat nobody can reply in any more
    bot.api.clear()
    assert await bot.services.handoffs.retry_undelivered(staff_poster(bot.app.bot)) == 1
    assert len(posts_to(bot, SUPERGROUP)) == 1
    # a migration message of some other group changes nothing
    await bot.send(service_message(bot, {"id": -100333, "type": "group", "title": "Other"}, migrate_to_chat_id=-100444))
    assert await bot.services.handoffs.staff_chats() == frozenset({STAFF_GROUP, SUPERGROUP})


# --- item 4: /forget edits the staff posts; the knowledge base gets no identifying text; logs ------------------------


async def test_forget_replaces_the_staff_posts_with_a_removal_notice(group_bot):
    """Before the fix the posts (name, @username, id, question) stayed in the staff chat after /forget."""
    bot = group_bot
    await ask_for_a_person(bot)
    [(chat, message_id)] = await deliveries(bot)
    applicant = bot.as_user(APPLICANT)
    await bot.say("/forget", applicant)
    calls = await bot.press("sv:f:y", applicant)
    edits = [call for call in calls if call.method == "editMessageText" and call.params.get("chat_id") == chat]
    assert [(edit.params["message_id"], edit.text) for edit in edits] == [
        (message_id, "🙋 [dzēsts pēc jautātāja lūguma]")]
    assert QUESTION not in edits[0].text
    assert await requests(bot) == []


async def test_identifying_text_is_not_copied_into_the_knowledge_base(bot, tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DATA_DIR, knowledge)
    bot.services.settings.knowledge_dir = knowledge
    before = {path: path.read_bytes() for path in knowledge.rglob("*.yaml")}
    async with bot.services.uow() as uow:
        question = Question(user_id=APPLICANT, chat_id=APPLICANT, text="Zvaniet man: +371 29 123 456 vai anna@example.lv",
                            language="lv", engine="rasa", outcome="out_of_scope")
        uow.session.add(question)
        await uow.commit()
    await bot.press(f"adm:a:{question.id}:fact_budget", bot.as_user(ADMIN))
    shown = bot.last_text()
    assert "Nepievienoju" in shown and "e-pasta adrese" in shown and "tālruņa numurs" in shown and "cipari" in shown
    assert {path: path.read_bytes() for path in knowledge.rglob("*.yaml")} == before


async def test_the_error_log_names_the_update_and_user_not_the_content(bot, caplog):
    update = bot.as_user(APPLICANT).message("Mans vārds ir Anna Bērziņa, tālrunis 29123456")
    context = SimpleNamespace(error=RuntimeError("boom"), bot=bot.app.bot, application=bot.app)
    caplog.set_level(logging.ERROR)
    await on_error(update, context)
    record = caplog.records[0]
    assert f"update {update.update_id}" in record.getMessage() and f"user {APPLICANT}" in record.getMessage()
    assert "Anna" not in caplog.text and "29123456" not in caplog.text and "Bērziņa" not in caplog.text


async def test_mydata_shows_a_staff_members_audit_rows(bot):
    admin = bot.as_user(ADMIN)
    await bot.say("/stats", admin)
    await bot.say("/handoffs", admin)
    await bot.say("/mydata", admin)
    shown = "\n".join(call.text for call in bot.api.sent)
    assert "Jūsu kā darbinieka darbības audita žurnālā: 2" in shown


# --- helpers -------------------------------------------------------------------------------------------------------

_ids = iter(range(90_000, 10**9))


def staff_reply(harness: Harness, chat: dict, user_id: int, reply_to: int, text: str):
    from telegram import Update

    user = {"id": user_id, "is_bot": False, "first_name": "Staff", "language_code": "lv"}
    message = {"message_id": next(_ids), "date": int(time.time()), "chat": chat, "from": user, "text": text,
               "reply_to_message": {"message_id": reply_to, "date": int(time.time()), "chat": chat,
                                    "from": {"id": harness.app.bot.id, "is_bot": True, "first_name": "Bot"},
                                    "text": "🙋 …"}}
    return Update.de_json({"update_id": next(_ids), "message": message}, harness.app.bot)


def service_message(harness: Harness, chat: dict, **fields):
    from telegram import Update

    message = {"message_id": next(_ids), "date": int(time.time()), "chat": chat,
               "from": {"id": 4242, "is_bot": False, "first_name": "Owner"}, **fields}
    return Update.de_json({"update_id": next(_ids), "message": message}, harness.app.bot)
