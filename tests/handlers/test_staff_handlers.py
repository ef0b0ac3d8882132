"""Staff review through the real PTB Application on the offline Bot API.

Role tests first: every staff command (with all kinds of arguments) and every staff button (real and forged
callback data) from a non-admin gets exactly the unknown-command / stale-button answer, makes no other Bot
API call and writes nothing. Then the staff flows, the audit log, and the handoff both ways.
"""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import itertools
import json
import re
import shutil
import time
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from bot.app import build_application
from bot.db.models import AuditLog, Base, HandoffDelivery, HandoffRequest, Question, SurveyState
from bot.offline import BOT_USER, OfflineBotApi
from bot.services import Services
from bot.staff import STAFF_COMMANDS
from bot.staff import service as staff_service
from handlers import common
from handlers.staff import files as staff_files
from knowledge.loader import DEFAULT_DATA_DIR, load_knowledge_base
from tests.conftest import kb_answer, running_harness
from tests.fakes import FakeNlu
from tests.staff_helpers import (
    RESPONSES,
    TRICKY_TEXT,
    build_shared_services,
    demo_survey,
    on_fresh_database,
    seed_questions,
    seed_survey,
)

# Exports and charts run as Application tasks; the test Application is initialized, not started.
pytestmark = pytest.mark.filterwarnings("ignore:Tasks created via `Application.create_task`")

ADMIN = 1001
APPLICANT = 5001
STRANGER = 7777
STAFF_GROUP = -1009876543210
UNKNOWN_COMMAND = "Šādas komandas nav. Pieejamās komandas — /help."
STALE = "Šī poga vairs nav derīga. Lūdzu, izmantojiet jaunāko ziņu vai nosūtiet /start."


class ScriptedBotApi(OfflineBotApi):
    """The offline Bot API, plus scripted failures: (method, chat id) → Telegram error description."""

    def __init__(self) -> None:
        super().__init__()
        self.failures: dict[tuple[str, Any], tuple[int, str]] = {}

    async def do_request(self, url, method, request_data=None, *args, **kwargs):
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        scope = params.get("scope")
        key = (api_method, (json.loads(scope) if isinstance(scope, str) else scope or {}).get("chat_id", params.get("chat_id")))
        if key in self.failures:
            code, description = self.failures[key]
            return code, json.dumps({"ok": False, "error_code": code, "description": description}).encode()
        return await super().do_request(url, method, request_data, *args, **kwargs)


@pytest.fixture(scope="module")
def base_services(tmp_path_factory) -> Services:
    return build_shared_services(tmp_path_factory)


@pytest.fixture
async def services(base_services, settings):
    """Overrides conftest's `services`: a fresh database per test, the rest shared (see build_shared_services)."""
    async with on_fresh_database(base_services, settings,
                                 qa=copy.copy(base_services.qa),  # tests swap its NLU for a fake
                                 surveys={"staff_demo": demo_survey()}) as fresh:
        yield fresh


@pytest.fixture
async def staff(settings, services, tmp_path):
    """A harness whose services know the demo survey and whose knowledge base is a scratch copy."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DATA_DIR, knowledge)
    settings.knowledge_dir = knowledge
    async with running_harness(settings, services, ScriptedBotApi()) as harness:
        yield harness


@pytest.fixture
async def staff_group(settings, services, tmp_path):
    """The same, with a staff group (STAFF_CHAT_ID) receiving handoffs."""
    settings.staff_chat_id = STAFF_GROUP
    async with running_harness(settings, services, ScriptedBotApi()) as harness:
        yield harness


async def seed(harness, responses=RESPONSES) -> dict[str, int]:
    async with harness.services.uow() as uow:
        await seed_survey(uow, responses=responses)
        ids = await seed_questions(uow)
        await uow.commit()
    return ids


async def settle() -> None:
    """Wait for the tasks a handler started (exports and charts run as tasks of their own)."""
    current = asyncio.current_task()
    for _ in range(20):
        pending = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
        if not pending:
            return
        await asyncio.wait(pending, timeout=30)


async def row_counts(harness) -> dict[str, int]:
    async with harness.services.uow() as uow:
        return {
            table.name: (await uow.session.execute(select(func.count()).select_from(table))).scalar_one()
            for table in Base.metadata.sorted_tables
        }


async def audit(harness) -> list[tuple[int, str, dict]]:
    async with harness.services.uow() as uow:
        rows = (await uow.session.execute(select(AuditLog).order_by(AuditLog.id))).scalars().all()
    return [(row.admin_id, row.action, json.loads(row.details) if row.details else {}) for row in rows]


def kb_files(directory) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in sorted(directory.rglob("*.yaml"))}


_message_ids = itertools.count(50_000)


def reply_update(harness, chat: dict, user: dict, reply_to_id: int, text: str | None = "Atbilde", sticker: bool = False,
                 replied_text: str = "…"):
    from telegram import Update

    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": user,
        "reply_to_message": {"message_id": reply_to_id, "date": int(time.time()), "chat": chat, "from": BOT_USER,
                             "text": replied_text},
    }
    if sticker:
        message["sticker"] = {"file_id": "s", "file_unique_id": "s", "width": 512, "height": 512,
                              "is_animated": False, "is_video": False, "type": "regular"}
    else:
        message["text"] = text
    return Update.de_json({"update_id": next(_message_ids), "message": message}, harness.app.bot)


def private_chat(user_id: int) -> dict:
    return {"id": user_id, "type": "private", "first_name": "X"}


def person(user_id: int, first_name: str = "Staff", username: str | None = None) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "lv"}
    if username:
        user["username"] = username
    return user


# --- role: non-admins see nothing ---------------------------------------------------------------------------------

ARGUMENT_VARIANTS = ["", " staff_demo", " staff_demo xlsx", " staff_demo overall", " 999", " ../../etc/passwd 5",
                     " <b>x</b> &amp;", " participants csv", " " + "x" * 300]


async def test_every_staff_command_with_any_arguments_looks_unknown_to_non_admins(staff):
    await seed(staff)
    before = await row_counts(staff)
    stranger = staff.as_user(STRANGER)
    reference = await staff.say("/nosuchcommand", stranger)
    assert [(c.method, c.params["text"]) for c in reference] == [("sendMessage", UNKNOWN_COMMAND)]
    for command in STAFF_COMMANDS:
        for arguments in ARGUMENT_VARIANTS:
            calls = await staff.say(f"/{command}{arguments}", stranger)
            assert [(c.method, c.params["text"], c.params.get("reply_markup")) for c in calls] == [
                ("sendMessage", UNKNOWN_COMMAND, None)], (command, arguments)
    assert await row_counts(staff) == before  # nothing written: no audit row, no survey state, no user row


def staff_callback_samples(question_id: int) -> dict[str, list[str]]:
    """Real callback data of every staff button verb, and forged variants."""
    return {
        "responses": ["adm:r:staff_demo:10:1", "adm:r:staff_demo:10:0", "adm:r:participants:100:3"],
        "state": ["adm:s:staff_demo:0", "adm:s:staff_demo:1"],
        "suggest": [f"adm:u:{question_id}", f"adm:u:{question_id}:e"],
        "category": [f"adm:uc:{question_id}:facts"],
        "assign": [f"adm:a:{question_id}:fact_budget", f"adm:a:{question_id}:out_of_scope"],
        "invite_go": ["adm:ig:participants", "adm:ig:staff_demo"],
        "invite_no": ["adm:in:participants"],
        "invite_stop": ["adm:is:1"],
    }


FORGED = ["adm:", "adm:s:staff_demo:0\n", "adm:r:staff_demo:10", "adm:s:staff_demo:2", "adm:a:1:../../etc", "adm:a:1:fact_budget:x",
          "adm:u:-1", "adm:x:1", "adm:" + "9" * 70, "ADM:s:staff_demo:0", "adm:s:STAFF_DEMO:0"]


async def test_every_staff_button_and_forged_data_is_stale_for_non_admins(staff):
    ids = await seed(staff)
    samples = staff_callback_samples(ids["out_of_scope"])
    assert {f"adm.{verb}" for verb in samples} | {"adm.suggest_edit"} == {v for v in common.SHAPES if v.startswith("adm.")}  # every verb is covered
    before_rows = await row_counts(staff)
    before_kb = kb_files(staff.services.settings.knowledge_dir)
    stranger = staff.as_user(STRANGER)
    for data in [*itertools.chain.from_iterable(samples.values()), *FORGED]:
        calls = await staff.press(data, stranger)
        assert [(c.method, c.params.get("text")) for c in calls] == [("answerCallbackQuery", STALE)], data
    assert await row_counts(staff) == before_rows
    assert kb_files(staff.services.settings.knowledge_dir) == before_kb


async def test_forged_staff_buttons_are_stale_for_admins_too_and_not_audited(staff):
    await seed(staff)
    admin = staff.as_user(ADMIN)
    for data in [*FORGED, "adm:r:no_such_survey:10:0", "adm:s:no_such_survey:1", "adm:u:999999",
                 "adm:uc:999999:facts", "adm:a:999999:fact_budget", "adm:a:1:no_such_entry", "adm:uc:1:no_such_cat",
                 "adm:r:staff_demo:0:0", "adm:r:staff_demo:101:0", "adm:ig:no_such_survey", "adm:is:999999"]:
        calls = await staff.press(data, admin)
        assert [(c.method, c.params.get("text")) for c in calls] == [("answerCallbackQuery", STALE)], data
    assert await audit(staff) == []


async def test_staff_get_their_own_command_menu_and_a_failure_does_not_stop_start_up(settings, services, caplog):
    settings.admin_ids = frozenset({ADMIN, 1002})
    api = ScriptedBotApi()
    api.failures[("setMyCommands", 1002)] = (400, "Bad Request: chat not found")  # never opened the bot
    application = build_application(settings, services, request=api, rate_limit=False)
    async with application:
        await application.post_init(application)
    public = [c for c in api.by_method("setMyCommands") if "scope" not in c.params]
    assert {c.params.get("language_code") for c in public} == {None, "lv", "en", "ru"}
    assert all(not {"stats", "export"} & {x["command"] for x in c.params["commands"]} for c in public)
    mine = [c for c in api.by_method("setMyCommands") if c.params.get("scope", {}).get("chat_id") == ADMIN]
    assert {c.params.get("language_code") for c in mine} == {None, "lv", "en", "ru"}
    assert {c.params["scope"]["type"] for c in mine} == {"chat"}
    en = next(c for c in mine if c.params.get("language_code") == "en")
    names = [x["command"] for x in en.params["commands"]]
    assert names[-len(STAFF_COMMANDS):] == list(STAFF_COMMANDS) and names[0] == "start"
    assert "could not set the staff command menu for admin 1002" in caplog.text


# --- staff commands -------------------------------------------------------------------------------------------------


async def test_stats_shows_seeded_numbers_and_is_audited(staff):
    await seed(staff)
    admin = staff.as_user(ADMIN)
    await staff.say("/stats", admin)
    text = "\n".join(call.text for call in staff.api.sent)
    assert "Demo aptauja" in text and "Sāktas: 6 · pabeigtas: 4 (67%)" in text
    assert "Aizpildīšanas laika mediāna: 2 min 30 s" in text
    assert "vidēji 4,00, mediāna 4,5" in text
    assert "Jautājumi un atbildes" in text and "Noderīgums" in text
    assert all(len(call.text) <= 4096 for call in staff.api.sent)
    await staff.say("/stats nope", admin)
    assert "nav atrasta" in staff.last_text()
    assert [(a, action) for a, action, _ in await audit(staff)] == [(ADMIN, "stats"), (ADMIN, "stats")]


async def test_responses_are_paged_escaped_and_split_below_the_limit(staff):
    await seed(staff, responses=RESPONSES + RESPONSES)  # 8 completed
    admin = staff.as_user(ADMIN)
    await staff.say("/responses staff_demo", admin)
    first = staff.api.sent
    assert "1–5 no 8" in first[0].text
    assert [b["callback_data"] for b in staff.buttons()] == ["adm:r:staff_demo:10:1"]
    await staff.press("adm:r:staff_demo:10:1", admin)
    [edit] = staff.api.by_method("editMessageText")
    assert "6–8 no 8" in edit.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in edit.text and "<b>bold</b>" not in edit.text  # user text escaped
    assert [b["callback_data"] for b in staff.buttons()] == ["adm:r:staff_demo:10:0"]
    await staff.say("/responses staff_demo 2", admin)
    assert "1–2 no 2" in staff.last_text() and staff.buttons() == []
    await staff.say("/responses", admin)
    assert "Lietojums" in staff.last_text()
    actions = [action for _, action, _ in await audit(staff)]
    assert actions == ["responses"] * 4


async def test_long_responses_split_into_several_messages(staff):
    long_text = "Garš komentārs. " * 90  # ~1440 characters per response
    many = [("completed", "lv", False, 60, {"overall": 3, "comment": long_text}) for _ in range(5)]
    await seed(staff, responses=many)
    await staff.say("/responses staff_demo 5", staff.as_user(ADMIN))
    sent = staff.api.by_method("sendMessage")
    assert len(sent) >= 2 and all(len(call.text) <= 4096 for call in sent)


def uploaded(call) -> bytes:
    for value in call.files.values():
        if isinstance(value, tuple):
            return value[1]
    raise AssertionError(f"no file in {call.files}")


async def test_export_csv_and_xlsx_documents_with_progress(staff, monkeypatch):
    await seed(staff)
    monkeypatch.setattr(staff_files, "PROGRESS_INTERVAL", 0)
    monkeypatch.setattr("bot.staff.export.BATCH_SIZE", 2)
    monkeypatch.setattr("bot.staff.export.FETCH_SIZE", 5)
    admin = staff.as_user(ADMIN)
    await staff.say("/export staff_demo", admin)
    await settle()
    methods = [c.method for c in staff.api.calls]
    assert methods[0] == "sendMessage" and methods[-2:] == ["sendDocument", "editMessageText"]
    progress = [c.params["text"] for c in staff.api.calls[1:-2]]
    assert progress and all(c.method == "editMessageText" for c in staff.api.calls[1:-2])
    assert re.search(r": [23] no 4$", progress[0])  # progress on the status message
    document = staff.api.by_method("sendDocument")[0]
    rows = list(csv.reader(io.StringIO(uploaded(document).decode("utf-8-sig"))))
    assert len(rows) == 5 and rows[0][-5:] == ["overall", "area", "gains", "again", "comment"]
    assert "atbildes: 4" in staff.api.calls[-1].params["text"]

    await staff.say("/export staff_demo XLSX", admin)
    await settle()
    document = staff.api.by_method("sendDocument")[0]
    workbook = openpyxl.load_workbook(io.BytesIO(uploaded(document)), read_only=True)
    rows = list(workbook["responses"].iter_rows(values_only=True))
    assert len(rows) == 5 and TRICKY_TEXT in [value for row in rows for value in row]
    workbook.close()

    await staff.say("/export staff_demo pdf", admin)
    assert "Lietojums" in staff.last_text() and not staff.api.by_method("sendDocument")
    assert [action for _, action, _ in await audit(staff)] == ["export"] * 3


async def test_chart_sends_a_png_per_chartable_question(staff):
    await seed(staff)
    admin = staff.as_user(ADMIN)
    await staff.say("/chart staff_demo", admin)
    await settle()
    photos = staff.api.by_method("sendPhoto")
    assert len(photos) == 4  # scale, single, multi, yes/no; the text question has nothing to count
    for photo in photos:
        assert uploaded(photo).startswith(b"\x89PNG") and len(uploaded(photo)) > 5000
    assert "Demo aptauja" in photos[0].params["caption"]
    await staff.say("/chart staff_demo comment", admin)
    assert "teksta jautājums (atbildes: 3)" in staff.last_text()
    await staff.say("/chart staff_demo nope", admin)
    assert "nav atrasts" in staff.last_text()


async def test_unanswered_to_kb_example_round_trips_through_the_loader(staff):
    ids = await seed(staff)
    admin = staff.as_user(ADMIN)
    await staff.say("/unanswered", admin)
    text = staff.last_text()
    assert "Kad būs nākamais konkurss &lt;skolām&gt;?" in text  # escaped
    assert "what about grants for sports clubs" in text and "kādi bija rezultāti" in text
    assert "question 1 (answer)" in text  # the 👎 one
    assert "(browse)" not in text and "(greet)" not in text
    data = [b["callback_data"] for b in staff.buttons()]
    assert f"adm:u:{ids['out_of_scope']}" in data and len(data) == 4

    question_id = ids["clarify"]
    await staff.press(f"adm:u:{question_id}", admin)
    choices = [b["callback_data"] for b in staff.buttons()]
    assert f"adm:a:{question_id}:results_overview" in choices  # the stored best guess comes first
    assert f"adm:uc:{question_id}:results" in choices and choices[-1] == f"adm:a:{question_id}:out_of_scope"
    await staff.press(f"adm:uc:{question_id}:results", admin)
    entries = [b["callback_data"] for b in staff.buttons()]
    assert f"adm:a:{question_id}:results_society" in entries and entries[-1] == f"adm:u:{question_id}:e"
    await staff.press(f"adm:a:{question_id}:results_society", admin)
    assert "pievienots kā piemērs (lv)" in staff.last_text()
    kb = load_knowledge_base(staff.services.settings.knowledge_dir)
    assert kb.entry("results_society").examples.lv[-1] == "kādi bija rezultāti jauniešiem laukos"

    await staff.press(f"adm:a:{question_id}:results_overview", admin)  # the same question again
    assert "Nepievienoju" in staff.last_text() and "already an example of 'results_society'" in staff.last_text()
    log = await audit(staff)
    assert [action for _, action, _ in log] == ["unanswered", "kb_suggest", "kb_suggest", "kb_example", "kb_example"]
    assert log[3][2]["ok"] is True and log[4][2]["ok"] is False
    assert all("user" not in json.dumps(details) for _, _, details in log)  # no applicant ids in the audit log


async def test_surveys_list_and_open_close_buttons(staff):
    await seed(staff)
    admin = staff.as_user(ADMIN)
    await staff.say("/surveys", admin)
    assert "Demo aptauja" in staff.last_text() and "atvērta" in staff.last_text()
    assert "sāktas: 6 · pabeigtas: 4 · procesā: 1" in staff.last_text()
    assert [b["callback_data"] for b in staff.buttons()] == ["adm:s:staff_demo:0"]
    await staff.press("adm:s:staff_demo:0", admin)
    assert "slēgta" in staff.api.by_method("editMessageText")[0].text
    assert [b["callback_data"] for b in staff.buttons()] == ["adm:s:staff_demo:1"]
    async with staff.services.uow() as uow:
        state = await uow.session.get(SurveyState, "staff_demo")
    assert (state.is_open, state.updated_by) == (False, ADMIN)
    assert await audit(staff) == [(ADMIN, "surveys", {"args": []}), (ADMIN, "survey_state", {"open": False, "survey": "staff_demo"})]


async def test_all_staff_callback_data_fits_telegram_limit(staff):
    ids = await seed(staff, responses=RESPONSES * 30)
    admin = staff.as_user(ADMIN)
    seen = []
    for command in ("/responses staff_demo 100", "/unanswered 30", "/surveys"):
        await staff.say(command, admin)
        seen += [b["callback_data"] for call in staff.api.calls for b in call.buttons]
    await staff.press(f"adm:u:{ids['clarify']}", admin)
    seen += [b["callback_data"] for b in staff.buttons()]
    assert seen and all(len(data.encode()) <= 64 and common.parse(data, common.STAFF_PREFIX) for data in seen)
    longest = staff_callback_samples(999_999_999_999)
    longest["assign"].append("adm:a:999999999999:" + "x" * 40)
    assert all(len(d.encode()) <= 64 for d in itertools.chain.from_iterable(longest.values()))


# --- handoff ------------------------------------------------------------------------------------------------------


async def test_handoff_to_each_admin_and_reply_back_to_the_applicant(staff):
    applicant = staff.as_user(APPLICANT)
    await staff.say("Kad ir nākamā konkursa pieteikumu iesniegšanas termiņš?", applicant)
    offer = staff.buttons()[0]["callback_data"]
    calls = await staff.press(offer, applicant)
    to_staff = [c for c in calls if c.method == "sendMessage" and c.params["chat_id"] == ADMIN]
    assert len(to_staff) == 1
    text = to_staff[0].text
    assert "Jautājums darbiniekiem #1" in text  # a reference number: no name, @username or user id (issue 9, 5)
    assert "Anna" not in text and str(APPLICANT) not in text
    assert "valoda: lv" in text and "nākamā konkursa" in text
    async with staff.services.uow() as uow:
        delivery = (await uow.session.execute(select(HandoffDelivery))).scalar_one()
    assert delivery.staff_chat_id == ADMIN

    before_questions = await row_counts(staff)
    reply = reply_update(staff, private_chat(ADMIN), person(ADMIN), delivery.staff_message_id,
                         "Nākamais konkurss būs <drīz> & par to paziņosim.")
    calls = await staff.send(reply)
    to_applicant = [c for c in calls if c.params.get("chat_id") == APPLICANT]
    assert len(to_applicant) == 1
    assert to_applicant[0].text.startswith("💬 <b>Programmas darbinieku atbilde</b>")
    assert "Nākamais konkurss būs &lt;drīz&gt; &amp; par to paziņosim." in to_applicant[0].text
    confirmation = [c for c in calls if c.params.get("chat_id") == ADMIN]
    assert "Atbilde nosūtīta" in confirmation[0].text
    async with staff.services.uow() as uow:
        request = (await uow.session.execute(select(HandoffRequest))).scalar_one()
    assert request.status == "answered"
    after = await row_counts(staff)
    assert after["questions"] == before_questions["questions"]  # the reply was not taken for a question
    assert (await audit(staff))[-1][:2] == (ADMIN, "handoff_reply")


async def test_handoff_in_english_is_answered_with_an_english_prefix(staff):
    staff.services.qa._nlu = FakeNlu({"I want to talk to a person": [("human_handoff", 0.97)]})
    applicant = staff.as_user(APPLICANT, language_code="en")
    await staff.say("I want to talk to a person", applicant)
    calls = await staff.say("Can a school and a library apply together?", applicant)
    [to_staff] = [c for c in calls if c.params.get("chat_id") == ADMIN]
    assert "valoda: en" in to_staff.text
    async with staff.services.uow() as uow:
        delivery = (await uow.session.execute(select(HandoffDelivery))).scalar_one()
    calls = await staff.send(reply_update(staff, private_chat(ADMIN), person(ADMIN), delivery.staff_message_id, "Yes."))
    [answer] = [c for c in calls if c.params.get("chat_id") == APPLICANT]
    assert answer.text.startswith("💬 <b>Reply from the programme staff</b>") and answer.text.endswith("Yes.")


async def test_staff_group_receives_handoffs_and_only_staff_may_answer(staff_group):
    harness = staff_group
    harness.services.settings.staff_ids = frozenset({8889})
    harness.services.qa._nlu = FakeNlu({"gribu runāt ar cilvēku": [("human_handoff", 0.97)]})
    applicant = harness.as_user(APPLICANT)
    await harness.say("gribu runāt ar cilvēku", applicant)
    calls = await harness.say("Vai varam pieteikt projektu kopā ar skolu?", applicant)
    to_group = [c for c in calls if c.params.get("chat_id") == STAFF_GROUP]
    assert len(to_group) == 1 and not [c for c in calls if c.params.get("chat_id") == ADMIN]
    async with harness.services.uow() as uow:
        delivery = (await uow.session.execute(select(HandoffDelivery))).scalar_one()
    group = {"id": STAFF_GROUP, "type": "supergroup", "title": "Staff"}

    # a reply to some other message in the group is none of the bot's business
    assert await harness.send(reply_update(harness, group, person(8888), 12345, "offtopic")) == []
    # a sticker as a reply to the question: only text can be delivered
    calls = await harness.send(reply_update(harness, group, person(ADMIN), delivery.staff_message_id, sticker=True))
    assert [c.params["chat_id"] for c in calls] == [STAFF_GROUP] and "tikai teksta" in calls[0].text
    # a group member in neither ADMIN_IDS nor STAFF_IDS cannot write to the applicant as the bot (issue 9, 5)
    calls = await harness.send(reply_update(harness, group, person(8888, "Ilze", "ilze"), delivery.staff_message_id, "Sveiks!"))
    assert [c.params["chat_id"] for c in calls] == [STAFF_GROUP] and "tikai darbinieki" in calls[0].text
    assert await audit(harness) == []
    # a member in STAFF_IDS may
    calls = await harness.send(reply_update(harness, group, person(8889, "Ilze", "ilze_staff"), delivery.staff_message_id, "Jā, varat."))
    assert [c.params["chat_id"] for c in calls] == [APPLICANT, STAFF_GROUP]
    assert calls[0].text.endswith("Jā, varat.")
    assert (await audit(harness))[-1][:2] == (8889, "handoff_reply")


async def test_undeliverable_reply_and_unreachable_admin_are_reported_not_crashed(staff, caplog):
    staff.api.failures[("sendMessage", ADMIN)] = (403, "Forbidden: bot can't initiate conversation with a user")
    applicant = staff.as_user(APPLICANT)
    await staff.say("Kad ir nākamā konkursa pieteikumu iesniegšanas termiņš?", applicant)
    calls = await staff.press(staff.buttons()[0]["callback_data"], applicant)
    assert "saglabāts programmas darbiniekiem" in [c for c in calls if c.method == "sendMessage"][-1].text
    assert "could not post a hand-off to staff chat 1001" in caplog.text
    async with staff.services.uow() as uow:
        assert (await uow.session.execute(select(func.count()).select_from(HandoffDelivery))).scalar_one() == 0
        request = (await uow.session.execute(select(HandoffRequest))).scalar_one()
    assert request.status == "open"

    # the admin opens the bot later; a new handoff reaches them, but the applicant has blocked the bot meanwhile
    del staff.api.failures[("sendMessage", ADMIN)]
    await staff.say("Kad ir nākamā konkursa pieteikumu iesniegšanas termiņš?", applicant)  # asked again
    await staff.press(staff.buttons()[0]["callback_data"], applicant)
    async with staff.services.uow() as uow:
        delivery = (await uow.session.execute(select(HandoffDelivery))).scalar_one()
    staff.api.failures[("sendMessage", APPLICANT)] = (403, "Forbidden: bot was blocked by the user")
    calls = await staff.send(reply_update(staff, private_chat(ADMIN), person(ADMIN), delivery.staff_message_id, "Jā."))
    assert "nevarēja nosūtīt" in [c for c in calls if c.params.get("chat_id") == ADMIN][-1].text
    async with staff.services.uow() as uow:
        statuses = (await uow.session.execute(select(HandoffRequest.status))).scalars().all()
    assert statuses == ["open", "open"]
    assert (await audit(staff))[-1][2]["delivered"] is False


async def test_replies_that_are_not_staff_answers_go_to_the_normal_handlers(staff):
    # an admin replying to an ordinary bot message asks a question like anyone else
    calls = await staff.send(reply_update(staff, private_chat(ADMIN), person(ADMIN), 4242, "kāds bija programmas budžets?"))
    assert kb_answer(staff.services.kb, "fact_budget", "lv") in [c.text for c in calls if c.method == "sendMessage"][-1]
    # an applicant "replying" to the message id of a staff delivery in their own chat delivers nothing
    applicant = staff.as_user(APPLICANT)
    await staff.say("Kad ir nākamā konkursa pieteikumu iesniegšanas termiņš?", applicant)
    await staff.press(staff.buttons()[0]["callback_data"], applicant)
    async with staff.services.uow() as uow:
        delivery = (await uow.session.execute(select(HandoffDelivery))).scalar_one()
    calls = await staff.send(reply_update(staff, private_chat(APPLICANT), person(APPLICANT), delivery.staff_message_id, "sveiki"))
    assert all(c.params.get("chat_id") != ADMIN for c in calls)
    async with staff.services.uow() as uow:
        assert (await uow.session.execute(select(HandoffRequest.status))).scalar_one() == "open"
        assert (await uow.session.execute(select(func.count()).select_from(Question))).scalar_one() == 3


async def test_forget_removes_deliveries_and_a_later_staff_reply_is_not_delivered(staff):
    applicant = staff.as_user(APPLICANT)
    await staff.say("Kad ir nākamā konkursa pieteikumu iesniegšanas termiņš?", applicant)
    await staff.press(staff.buttons()[0]["callback_data"], applicant)
    async with staff.services.uow() as uow:
        delivery = (await uow.session.execute(select(HandoffDelivery))).scalar_one()
        counts = await uow.personal_data.forget(APPLICANT)
        await uow.commit()
    assert counts["handoff_deliveries"] == 1 and counts["handoff_requests"] == 1
    header = "🙋 Jautājums darbiniekiem #1 …"
    calls = await staff.send(reply_update(staff, private_chat(ADMIN), person(ADMIN), delivery.staff_message_id,
                                          "Atbilde", replied_text=header))
    assert [c.params["chat_id"] for c in calls] == [ADMIN] and "dzēsts" in calls[0].text
    assert [action for _, action, _ in await audit(staff)] == []


async def test_a_long_export_does_not_hold_up_other_users(staff, monkeypatch):
    await seed(staff)
    release = asyncio.Event()
    real_export = staff_service.export_survey

    async def slow_export(*args, **kwargs):
        await release.wait()
        return await real_export(*args, **kwargs)

    monkeypatch.setattr(staff_service, "export_survey", slow_export)
    await staff.say("/export staff_demo", staff.as_user(ADMIN))
    calls = await staff.say("kāds bija programmas budžets?", staff.as_user(APPLICANT))  # while the export runs
    assert kb_answer(staff.services.kb, "fact_budget", "lv") in calls[-1].text
    release.set()
    await settle()
    assert [c.method for c in staff.api.calls][-2:] == ["sendDocument", "editMessageText"]


# --- issue 9, item 1: user text is shortened before escaping, finished HTML never sliced ---------------------------


async def test_a_free_text_answer_of_ampersands_does_not_break_responses(staff, caplog):
    """A participant's answer of 1,000 "&" is 5,000 characters escaped: shortened before escaping, it fits."""
    specials = [("completed", "lv", False, 60, {"overall": 3, "comment": "&" * 1000}),
                ("completed", "lv", True, 60, {"overall": 4, "comment": "<" * 4000}),
                ("completed", "en", False, 60, {"overall": 5, "comment": "a&b " * 1000})]
    await seed(staff, responses=specials)
    admin = staff.as_user(ADMIN)
    await staff.say("/responses staff_demo", admin)
    sent = staff.api.by_method("sendMessage")
    assert sent and "radās kļūda" not in "".join(call.text for call in sent)
    assert all(len(call.text) <= 4096 for call in sent)
    shown = "".join(call.text for call in sent)
    assert "&amp;&amp;&amp;" in shown and "&lt;&lt;" in shown and "a&amp;b" in shown
    assert "error while handling" not in caplog.text


async def test_surveys_list_is_split_between_surveys_not_sliced(staff):
    from handlers.staff.reports import _surveys_view

    overview = [staff_service.SurveyOverview(demo_survey(), True, {"completed": 1})] * 60
    messages, keyboard = _surveys_view(staff.services.texts, "lv", overview)
    assert len(messages) > 1 and all(len(text) <= 4096 for text in messages)
    assert all(text.count("<b>") == text.count("</b>") for text in messages)


# --- issue 9, item 7: only new messages run commands; business messages are not private messages ------------------


def edited_update(harness, chat: dict, user: dict, text: str, kind: str = "edited_message"):
    from telegram import Update

    message: dict[str, Any] = {"message_id": next(_message_ids), "date": int(time.time()) - 3600, "chat": chat,
                               "from": user, "text": text, "edit_date": int(time.time())}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    if kind == "business_message":
        message["business_connection_id"] = "biz-1"
        message.pop("edit_date")
    return Update.de_json({"update_id": next(_message_ids), kind: message}, harness.app.bot)


async def test_an_old_message_edited_into_a_staff_command_runs_nothing(staff):
    await seed(staff)
    before = await row_counts(staff)
    for text in ("/export staff_demo", "/stats", "/responses staff_demo", "/start", "/forget", "kāds bija budžets?"):
        calls = await staff.send(edited_update(staff, private_chat(ADMIN), person(ADMIN), text))
        assert calls == [], text
    assert await row_counts(staff) == before  # no audit row, no export


async def test_business_messages_do_not_match_the_private_filter(staff):
    before = await row_counts(staff)
    for text in ("/start", "/stats", "kāds bija budžets?"):
        calls = await staff.send(edited_update(staff, private_chat(ADMIN), person(ADMIN), text, "business_message"))
        assert calls == [], text
    assert await row_counts(staff) == before


def test_allowed_updates_name_only_what_the_handlers_use():
    import handlers
    from bot import app

    assert handlers.ALLOWED_UPDATES == app.ALLOWED_UPDATES == ["message", "callback_query"]
