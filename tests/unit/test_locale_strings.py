"""Every text people read is a string in the YAML itself — not a boolean/number that YAML guessed.

`forget_no: No` was read as False and the English /forget button said "False". The Translator str()-ed it, so
only a check of the raw YAML catches it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_DIR
from bot.i18n import LANGUAGES, LOCALES_DIR, Translator
from nlu.evaluate import DECLINING_META

LOCALE_FILES = sorted(LOCALES_DIR.glob("*/*.yaml"))
SURVEY_FILES = sorted((PROJECT_DIR / "surveys").glob("*.yaml"))
SURVEY_TEXT_FIELDS = {"title", "intro", "purpose", "text", "label", "min_label", "mid_label", "max_label"}


def _leaves(tree, path=()):
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _leaves(value, (*path, str(key)))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from _leaves(value, (*path, str(index)))
    else:
        yield path, tree


@pytest.mark.parametrize("path", LOCALE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_locale_value_is_a_string(path: Path):
    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    wrong = [(".".join(key), value) for key, value in _leaves(tree) if not isinstance(value, str)]
    assert not wrong, f"{path}: quote these values: {wrong}"


@pytest.mark.parametrize("path", SURVEY_FILES, ids=lambda p: p.name)
def test_every_survey_text_is_a_string(path: Path):
    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    wrong = []
    for key, value in _leaves(tree):
        if any(part in SURVEY_TEXT_FIELDS for part in key) and key[-1] in LANGUAGES and not isinstance(value, str):
            wrong.append((".".join(key), value))
        if key[-1] == "id" and not isinstance(value, str):
            wrong.append((".".join(key), value))
    assert not wrong, f"{path}: quote these values: {wrong}"


def test_forget_buttons_are_words():
    texts = Translator()
    assert texts("en", "privacy.forget_no") not in ("False", "True")
    for language in LANGUAGES:
        assert texts(language, "privacy.forget_no").strip()


def test_english_uses_one_quote_style_and_british_spelling():
    english = Translator().texts["en"]
    for key, value in english.items():
        assert "«" not in value and "»" not in value, key
        assert '"' not in value.replace('="', ""), key  # straight quotes are for HTML attributes only
        for american in ("organiz", "behavior", "program ", "center", "color"):
            assert american not in value.lower(), (key, american)
    assert "society-cohesion" not in english["start.greeting"]
    assert "social cohesion programme" in english["start.greeting"]


def test_latvian_and_russian_have_no_known_calques_or_gendered_address():
    lv = "\n".join(Translator().texts["lv"].values())
    ru = "\n".join(Translator().texts["ru"].values())
    for phrase in ("negribu minēt", "esat atbildējis", "Ja pārdomājat", "nevis failus", "aktivitāt", "Neesmu drošs"):
        assert phrase not in lv, phrase
    for phrase in ("уже данные ответы", "одно из этого", "использовал его начало", "сохранён для сотрудников",
                   "Согласен(на)", "Не уверен"):
        assert phrase not in ru, phrase


def test_conventions_in_every_language():
    texts = Translator()
    prompts = {texts(language, "language.prompt") for language in LANGUAGES}
    assert len(prompts) == 1  # the /language prompt is readable in all three languages at once
    for language in LANGUAGES:
        assert "/start" in texts(language, "errors.stale_button")  # says what to do next
        for command in ("/feedback", "/mydata", "/forget"):
            assert command in texts(language, "help.text"), (language, command)
        for command in ("/mydata", "/forget"):
            assert command in texts(language, "start.greeting"), (language, command)
        assert "{count}" not in texts.texts[language]["privacy.forgotten"]  # no database-row counts
    # one verb for cancel per language: the button and the /cancel notice use the same stem
    for language, stem in (("lv", "atce"), ("en", "cancel"), ("ru", "отмен")):
        assert stem in texts(language, "survey.cancel").lower()
        assert stem in texts(language, "survey.cancelled").lower()
        assert stem in texts(language, "survey.consent.cancel").lower()


def test_thumbs_down_reply_promises_nothing():
    assert "improve this answer" not in Translator()("en", "rating.thanks_down")
    assert "helps" in Translator()("en", "rating.thanks_down")


@pytest.mark.parametrize("meta", sorted(DECLINING_META))
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_meta_reply_counted_as_a_decline_says_what_the_bot_answers(language, meta):
    # `make eval` counts this reply to an out-of-scope question ("are you a bot?") as declined: true only while it
    # says, like the off-topic reply, that the bot answers nothing but questions about the programme.
    texts = Translator()
    scope = texts(language, "out_of_scope.smalltalk").split(". ")[0]
    assert scope in texts(language, f"meta.{meta}")
