"""Survey invitations through the real Application on the offline Bot API: /invite with its count, confirm, don't,
status and cancel; the invitation itself (deep link, opt-out button); /stop and the buttons; 403 → blocked and
skipped; a crash between claim and send never makes a second copy. SQLite, or PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db.models import AuditLog, Invitation, InvitationRun, SurveyResponse, User, utcnow
from bot.vocabulary import InvitationStatus
from handlers import invitations as invitation_handlers
from handlers.staff.invitations import show_progress
from scripts.limited_bot_api import LimitedBotApi
from tests.conftest import Harness, running_harness

ADMIN = 1001
SURVEY = "participants"
PLAIN, OPTED_OUT, BLOCKED, ANSWERED, UNFINISHED_ANON, FAILING = 2001, 2002, 2003, 2004, 2005, 2006


@pytest.fixture
async def world(settings, services):
    api = LimitedBotApi(rate=10_000, per_chat=False, blocked={FAILING})
    async with running_harness(settings, services, api) as harness:
        async with services.uow() as uow:
            for user_id in (PLAIN, OPTED_OUT, BLOCKED, ANSWERED, UNFINISHED_ANON, FAILING, 2007, 2008):
                uow.session.add(User(id=user_id, telegram_language="en" if user_id == 2007 else "lv",
                                     invitations_off=user_id == OPTED_OUT,
                                     blocked_at=utcnow() if user_id == BLOCKED else None))
            uow.session.add(SurveyResponse(survey_id=SURVEY, user_id=ANSWERED, language="lv", status="completed",
                                           respondent_key=services.survey_engine.respondent_key(SURVEY, ANSWERED)))
            uow.session.add(SurveyResponse(survey_id=SURVEY, user_id=None, anonymous=True, language="lv",
                                           status="in_progress",
                                           respondent_key=services.survey_engine.respondent_key(SURVEY, UNFINISHED_ANON)))
            await uow.commit()
        yield harness


EXPECTED = {PLAIN, FAILING, 2007, 2008, ADMIN}  # the admin used the bot too (the /invite command touches nobody)


def admin(harness: Harness):
    return harness.as_user(ADMIN, "en")


async def deliver(harness: Harness) -> int:
    return await invitation_handlers.deliver(harness.app, show_progress)


def invitations_sent(harness: Harness) -> list:
    return [call for call in harness.api.by_method("sendMessage") if any(b.get("url") for b in call.buttons)]


async def rows(harness: Harness) -> dict[int, str]:
    async with harness.services.uow() as uow:
        return {row.user_id: row.status for row in (await uow.session.execute(select(Invitation))).scalars()}


async def test_invite_counts_confirms_sends_and_reports(world: Harness):
    async with world.services.uow() as uow:  # the admin has a user row like everyone who used the bot
        uow.session.add(User(id=ADMIN, telegram_language="en"))
        await uow.commit()
    await world.say(f"/invite {SURVEY}", admin(world))
    assert "<b>4</b>" in world.last_text() or "<b>5</b>" in world.last_text()
    buttons = world.buttons()
    assert [b["callback_data"] for b in buttons] == [f"adm:ig:{SURVEY}", f"adm:in:{SURVEY}"]
    assert "(5)" in buttons[0]["text"]  # plain, failing (not known to be blocked yet), 2007, 2008, the admin

    calls = await world.press(f"adm:ig:{SURVEY}", admin(world))
    status = [c for c in calls if c.method == "editMessageText"]
    assert status and "0 of 5" in status[-1].text and status[-1].buttons[0]["callback_data"].startswith("adm:is:")
    assert set(await rows(world)) == EXPECTED
    world.api.clear()
    assert await deliver(world) == 4

    sent = invitations_sent(world)
    assert sorted(int(c.params["chat_id"]) for c in sent) == sorted(EXPECTED - {FAILING})
    english = next(c for c in sent if int(c.params["chat_id"]) == 2007)
    assert "If you have already answered it" in english.text
    url, stop = english.buttons
    assert url["url"].endswith(f"?start=survey_{SURVEY}") and stop["callback_data"] == "inv:off"
    assert (await rows(world))[FAILING] == "blocked"
    final = world.api.by_method("editMessageText")[-1]
    assert "sent: 4 of 5" in final.text and "blocked the bot 1" in final.text and not final.buttons

    # a second /invite: everyone already invited or blocked — nobody left; nothing sent twice
    world.api.clear()
    await world.say(f"/invite {SURVEY}", admin(world))
    assert "nobody to invite" in world.last_text()
    assert await deliver(world) == 0 and invitations_sent(world) == []


async def test_blocked_user_is_marked_skipped_and_unmarked_when_writing_again(world: Harness):
    await world.say(f"/invite {SURVEY}", admin(world))
    await world.press(f"adm:ig:{SURVEY}", admin(world))
    await deliver(world)
    async with world.services.uow() as uow:
        assert (await uow.users.get(FAILING)).blocked_at is not None
        count, _ = await world.services.invitations.preview(world.services.surveys[SURVEY])
    assert count == 0
    await world.say("/start", world.as_user(FAILING))
    async with world.services.uow() as uow:
        assert (await uow.users.get(FAILING)).blocked_at is None


async def test_dont_send_status_and_cancel(world: Harness):
    await world.say(f"/invite {SURVEY}", admin(world))
    await world.press(f"adm:in:{SURVEY}", admin(world))
    assert world.last_text() == "OK, no invitations were sent."
    assert await rows(world) == {}
    await world.say("/invite status", admin(world))
    assert world.last_text() == "No invitations have been sent yet."

    await world.say(f"/invite {SURVEY}", admin(world))
    await world.press(f"adm:ig:{SURVEY}", admin(world))
    await world.say(f"/invite {SURVEY}", admin(world))
    assert "already being sent" in world.last_text()
    await world.say("/invite status", admin(world))
    assert "sent 0 of 4" in world.last_text() and world.buttons()[0]["callback_data"].startswith("adm:is:")
    run_id = int(world.buttons()[0]["callback_data"].rsplit(":", 1)[1])
    await world.press(f"adm:is:{run_id}", admin(world))
    assert "cancelled" in world.last_text() and "not sent 4" in world.last_text()
    world.api.clear()
    assert await deliver(world) == 0 and invitations_sent(world) == []
    await world.say("/invite cancel", admin(world))
    assert world.last_text() == "No invitations are being sent."


async def test_invite_is_staff_only_and_closed_or_unknown_surveys_are_refused(world: Harness):
    await world.say(f"/invite {SURVEY}", world.as_user(PLAIN))
    assert world.last_text() == world.services.texts("lv", "errors.unknown_command")
    await world.press(f"adm:ig:{SURVEY}", world.as_user(PLAIN))
    assert await rows(world) == {}
    await world.say("/invite nosuch", admin(world))
    assert "No survey “nosuch”" in world.last_text()
    await world.services.staff.set_state(ADMIN, world.services.surveys[SURVEY], False)
    await world.say(f"/invite {SURVEY}", admin(world))
    assert "is closed" in world.last_text()
    async with world.services.uow() as uow:
        actions = [row.action for row in (await uow.session.execute(select(AuditLog))).scalars()]
    assert actions.count("invite") == 2


async def test_opt_out_by_button_and_stop_and_back_in(world: Harness):
    user = world.as_user(PLAIN, "en")
    await world.press("inv:off", user)
    assert "will not send you survey invitations" in world.last_text()
    assert world.buttons()[0]["callback_data"] == "inv:on"
    async with world.services.uow() as uow:
        assert (await uow.users.get(PLAIN)).invitations_off
    await world.press("inv:on", user)
    async with world.services.uow() as uow:
        assert not (await uow.users.get(PLAIN)).invitations_off
    await world.say("/stop", world.as_user(2007, "en"))
    assert "will not send you survey invitations" in world.last_text()
    await world.say(f"/invite {SURVEY}", admin(world))
    await world.press(f"adm:ig:{SURVEY}", admin(world))
    await deliver(world)
    assert sorted(int(c.params["chat_id"]) for c in invitations_sent(world)) == [PLAIN, 2008]


async def test_expired_claim_is_taken_over_and_nobody_gets_a_second_copy(world: Harness):
    """A process claimed a batch and died before sending (its claim expired), another died after recording one
    as sent: the survivors send each remaining recipient once; a live claim of another process is left alone."""
    svc = world.services
    await world.say(f"/invite {SURVEY}", admin(world))
    await world.press(f"adm:ig:{SURVEY}", admin(world))
    now = utcnow()
    async with svc.uow() as uow:
        dead = await uow.invitations.claim("dead", now, now - timedelta(seconds=1), 2)  # already expired
        alive = await uow.invitations.claim("alive", now, now + timedelta(minutes=5), 1)
        await uow.invitations.finish(dead[0].id, "dead", InvitationStatus.SENT, now)
        await uow.commit()
    world.api.clear()
    await deliver(world)
    chats = sorted(int(c.params["chat_id"]) for c in invitations_sent(world))
    expected = sorted({PLAIN, 2007, 2008} - {dead[0].user_id, alive[0].user_id})
    assert chats == expected  # the dead process's unsent row once; its sent row and the live claim not at all
    assert (await rows(world))[alive[0].user_id] == "sending"
    async with svc.uow() as uow:  # the live claim's owner dies too: after expiry it is sent, once
        await uow.invitations.extend(["alive"], utcnow() - timedelta(seconds=1))
        await uow.commit()
    world.api.clear()
    await deliver(world)
    assert [int(c.params["chat_id"]) for c in invitations_sent(world)] == [alive[0].user_id]
    async with svc.uow() as uow:
        run = (await uow.session.execute(select(InvitationRun))).scalar_one()
        assert run.status == "done"


async def test_forget_deletes_invitations_and_mydata_counts_them(world: Harness):
    await world.say(f"/invite {SURVEY}", admin(world))
    await world.press(f"adm:ig:{SURVEY}", admin(world))
    await deliver(world)
    from bot.db.send_budget import DatabaseSendBudget

    budget = DatabaseSendBudget(world.services.engine)
    await budget.reserve(f"chat:{PLAIN}", 1.0)
    await budget.close()
    async with world.services.uow() as uow:
        assert (await uow.personal_data.collect(PLAIN)).invitations == 1
        counts = await uow.personal_data.forget(PLAIN)
        await uow.commit()
    assert counts["invitations"] == 1 and counts["send_budget"] == 1
    assert PLAIN not in await rows(world)


async def test_a_graceful_stop_finishes_what_is_in_flight_and_releases_the_rest(world: Harness):
    await world.say(f"/invite {SURVEY}", admin(world))
    await world.press(f"adm:ig:{SURVEY}", admin(world))
    world.services.invitations.tuning.in_flight = 1
    world.api.clear()
    sent = await invitation_handlers.deliver(world.app, show_progress, lambda: len(invitations_sent(world)) >= 1)
    assert sent == 1 and len(invitations_sent(world)) == 1
    statuses = sorted((await rows(world)).values())
    assert statuses == ["queued", "queued", "queued", "sent"]  # nothing left claimed: no wait for an expiry
    world.api.clear()
    assert await deliver(world) == 2  # and the blocked one


async def test_at_most_once_a_message_that_was_going_out_when_the_bot_died_is_not_sent_again(world: Harness):
    svc = world.services
    await world.say(f"/invite {SURVEY}", admin(world))
    await world.press(f"adm:ig:{SURVEY}", admin(world))
    now = utcnow()
    async with svc.uow() as uow:  # a process claimed two, started sending the first, and was killed
        dead = await uow.invitations.claim("dead", now, now - timedelta(seconds=1), 2)
        assert await uow.invitations.attempt(dead[0].id, "dead", now)
        await uow.commit()
    world.api.clear()
    await deliver(world)
    chats = sorted(int(c.params["chat_id"]) for c in invitations_sent(world))
    statuses = await rows(world)
    assert dead[0].user_id not in chats and statuses[dead[0].user_id] == "unsure"
    assert statuses[dead[1].user_id] == "blocked"  # the unattempted one was tried (403 here), not left behind
    final = world.api.by_method("editMessageText")[-1]
    assert "outcome unknown 1" in final.text


async def test_at_most_once_marks_each_invitation_right_before_it_goes_out(world: Harness):
    seen: dict[int, list] = {}
    original = invitation_handlers.send_invitation

    async def spy(bot, svc, recipient):
        async with svc.uow() as uow:
            before = (await uow.session.get(Invitation, recipient.invitation_id)).attempted_at
        outcome = await original(bot, svc, recipient)
        async with svc.uow() as uow:
            seen[recipient.invitation_id] = [before, (await uow.session.get(Invitation, recipient.invitation_id)).attempted_at]
        return outcome

    invitation_handlers.send_invitation = spy
    try:
        await world.say(f"/invite {SURVEY}", admin(world))
        await world.press(f"adm:ig:{SURVEY}", admin(world))
        await deliver(world)
    finally:
        invitation_handlers.send_invitation = original
    assert len(seen) == 4 and all(before is None and after is not None for before, after in seen.values())


async def test_the_background_worker_sends_a_confirmed_run_and_stops_gracefully(world: Harness):
    import asyncio

    from bot.app import start_background, stop_background

    await start_background(world.app)
    try:
        await world.say(f"/invite {SURVEY}", admin(world))
        await world.press(f"adm:ig:{SURVEY}", admin(world))  # wakes the worker
        for _ in range(200):  # a bound, not a timing assertion
            if sorted((await rows(world)).values()) == ["blocked", "sent", "sent", "sent"]:
                break
            await asyncio.sleep(0.05)
    finally:
        await stop_background(world.app)
    assert sorted((await rows(world)).values()) == ["blocked", "sent", "sent", "sent"]
    assert "invitations.worker" not in world.app.bot_data


async def test_the_application_uses_the_shared_budget(settings, services):
    from bot.app import build_application
    from bot.db.send_budget import DatabaseSendBudget, MemorySendBudget
    from bot.ratelimit import SharedRateLimiter

    application = build_application(settings, services, request=LimitedBotApi())
    limiter = application.bot.rate_limiter
    assert isinstance(limiter, SharedRateLimiter)
    postgres = services.engine.dialect.name == "postgresql"
    assert isinstance(limiter.budget, DatabaseSendBudget if postgres else MemorySendBudget)
    settings.send_budget = "database"
    assert isinstance(build_application(settings, services, request=LimitedBotApi()).bot.rate_limiter.budget,
                      DatabaseSendBudget)
