"""The consent shown for each survey is built from that survey and matches what the code does."""

from __future__ import annotations

import re

import pytest

from bot.config import PROJECT_DIR
from bot.i18n import LANGUAGES, Translator
from bot.staff.export import BASE_COLUMNS
from bot.surveys.schema import load_surveys
from handlers import survey_views

SURVEYS = load_surveys(PROJECT_DIR / "surveys")
TEXTS = Translator()


def consent(survey_id: str, language: str, hours: float = 24) -> str:
    return survey_views.consent_text(SURVEYS[survey_id], language, TEXTS, hours)


@pytest.mark.parametrize("survey_id", sorted(SURVEYS))
def test_every_shipped_survey_has_its_own_purpose(survey_id):
    survey = SURVEYS[survey_id]
    assert survey.purpose is not None
    others = [s.purpose for s in SURVEYS.values() if s.id != survey_id]
    for language in LANGUAGES:
        assert survey.purpose.get(language) not in [o.get(language) for o in others if o]
        assert survey.purpose.get(language) in consent(survey_id, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("survey_id", sorted(SURVEYS))
def test_consent_is_three_lines_then_an_expandable_quote(survey_id, language):
    text = consent(survey_id, language)
    head, quote = text.split("\n\n", 1)
    short, details = quote.split("<blockquote expandable>", 1)
    assert len(short.strip().splitlines()) == 3  # purpose, with my ID, anonymously
    assert details.endswith("</blockquote>") and len(text) < 4096
    assert f"{len(SURVEYS[survey_id].questions)}" in head  # the count comes from the file, not the intro
    assert not re.search(r"\d", SURVEYS[survey_id].intro.get(language))


@pytest.mark.parametrize("language", LANGUAGES)
def test_consent_follows_allow_repeat(language):
    once, repeat = TEXTS(language, "survey.consent.once"), TEXTS(language, "survey.consent.repeat")
    key_once, key_repeat = TEXTS(language, "survey.consent.key_once"), TEXTS(language, "survey.consent.key_repeat")
    for survey_id, survey in SURVEYS.items():
        text = consent(survey_id, language)
        if survey.allow_repeat:  # the assistant survey: "answer only once" would be false
            assert repeat in text and key_repeat in text and once not in text and key_once not in text
        else:
            assert once in text and key_once in text and repeat not in text and key_repeat not in text
    assert SURVEYS["assistant"].allow_repeat and not SURVEYS["participants"].allow_repeat


def test_english_consent_says_what_is_really_kept():
    text = consent("participants", "en", hours=36)
    assert "after 36 h" in text  # from SURVEY_REMINDER_HOURS, not a fixed number
    assert "without your Telegram ID" in text and "anonymous survey" not in text.lower()
    # what the export really contains for an anonymous response: language and start/finish times
    assert {"language", "started_at", "completed_at", "anonymous"} <= set(BASE_COLUMNS)
    assert "user_id" not in BASE_COLUMNS  # so "without your name or Telegram ID" holds for exports
    for fact in ("language", "exact times", "exported files", "small group", "chat ID", "cannot recall",
                 "/mydata", "deletes them completely", "no set deletion date"):
        assert fact in text, fact


@pytest.mark.parametrize("language", LANGUAGES)
def test_consent_buttons(language):
    keyboard = survey_views.consent_keyboard(SURVEYS["participants"], language, TEXTS)
    labels = [button.text for row in keyboard.inline_keyboard for button in row]
    assert labels == [TEXTS(language, "survey.agree"), TEXTS(language, "survey.anonymous"),
                      TEXTS(language, "survey.decline")]
    assert labels[0].startswith("✅") and "ID" in labels[0]


async def test_anonymous_text_matches_what_an_anonymous_response_stores(harness):
    """Start an anonymous response and compare the stored row with the consent's claims."""
    from sqlalchemy import select

    from bot.db.models import SurveyReminder, SurveyResponse

    user = harness.as_user(7301, language_code="en")
    await harness.say("/start survey_participants", user)
    await harness.press("sv:c:participants:n", user)
    async with harness.services.uow() as uow:
        response = (await uow.session.execute(select(SurveyResponse))).scalar_one()
        reminder = (await uow.session.execute(select(SurveyReminder))).scalar_one()
    assert response.user_id is None  # "your Telegram ID is not stored with the answers"
    assert response.respondent_key != str(7301) and str(7301) not in response.respondent_key  # "a code"
    assert response.language == "en" and response.started_at is not None  # "language and exact times are kept"
    assert reminder.chat_id == 7301  # "your chat ID … the same number as your Telegram ID" until the reminder


def test_english_consent_says_what_happens_to_the_code_at_completion():
    """bot/surveys/engine.py: an anonymous response's key is replaced at completion; answered-once surveys keep a
    separate marker (survey_completions) with no link to the response (tests/unit/test_trust_data.py checks it)."""
    once, repeat = consent("participants", "en"), consent("assistant", "en")
    for fact in ("While the survey is unfinished", "kept outside the database", "removed from your answers",
                 "separate mark", "no link to the answers", "but not which answers are theirs"):
        assert fact in once, fact
    assert "replaced with a random one" in repeat and "can tell which answers are yours" in repeat
    assert "the marks that you have answered" in once  # /forget deletes survey_completions too
