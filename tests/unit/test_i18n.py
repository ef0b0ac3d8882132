"""Every text exists in lv, en and ru, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from bot.i18n import LANGUAGES, Translator


@pytest.fixture(scope="module")
def texts() -> Translator:
    return Translator()


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_all_languages_have_the_same_keys(texts):
    keys = {language: set(texts.texts[language]) for language in LANGUAGES}
    assert keys["lv"] == keys["en"] == keys["ru"]


def test_placeholders_match_across_languages(texts):
    for key, lv_text in texts.texts["lv"].items():
        for language in ("en", "ru"):
            assert _fields(texts.texts[language][key]) == _fields(lv_text), (key, language)


def test_unknown_language_falls_back_to_default_and_unknown_key_fails(texts):
    assert texts("de", "rating.thanks_up") == texts("lv", "rating.thanks_up")
    with pytest.raises(KeyError):
        texts("lv", "no.such.key")


def test_command_descriptions_fit_telegram_limits(texts):
    for language in LANGUAGES:
        for key, value in texts.texts[language].items():
            if key.startswith("commands."):
                assert 1 <= len(value) <= 256
                assert len(key.split(".", 1)[1]) <= 32
