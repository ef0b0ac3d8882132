"""QAService: from an intent ranking to what the bot does — with no Telegram."""

from __future__ import annotations

import pytest

from bot.nlu_client import IntentScore
from bot.qa import QAService, Thresholds
from knowledge.language import LanguageDetector
from knowledge.matcher import LexicalMatcher
from tests.fakes import FakeNlu


@pytest.fixture(scope="module")
def service(kb) -> QAService:
    return QAService(kb, None, LexicalMatcher(kb), LanguageDetector(kb), Thresholds(0.5, 0.15), Thresholds(0.6, 0.25))


def ranking(*pairs):
    return [IntentScore(intent, confidence) for intent, confidence in pairs]


def test_confident_entry_is_answered(service):
    result = service.decide(ranking(("fact_budget", 0.9), ("fact_period", 0.05)), "rasa", "en")
    assert (result.kind, result.entry.id, result.language) == ("answer", "fact_budget", "en")


def test_confident_meta_intent_gets_its_reply(service):
    result = service.decide(ranking(("greet", 0.8)), "rasa", "lv")
    assert (result.kind, result.intent, result.outcome) == ("meta", "greet", "greet")


def test_out_of_scope_is_declined_even_if_an_entry_follows(service):
    result = service.decide(ranking(("out_of_scope", 0.7), ("fact_budget", 0.2)), "rasa", "lv")
    assert result.kind == "out_of_scope" and result.entry is None


def test_unsure_gives_up_to_three_entry_suggestions_without_meta(service):
    result = service.decide(
        ranking(("results_overview", 0.4), ("greet", 0.3), ("results_art", 0.2), ("results_society", 0.18),
                ("results_policy", 0.16)), "rasa", "lv")
    assert result.kind == "clarify"
    assert [e.id for e in result.suggestions] == ["results_overview", "results_art", "results_society"]


def test_nothing_worth_suggesting_is_declined(service):
    assert service.decide(ranking(("fact_budget", 0.1)), "rasa", "lv").kind == "out_of_scope"
    assert service.decide([], "lexical", "lv").kind == "out_of_scope"


def test_unknown_intents_from_the_model_are_ignored(service):
    result = service.decide(ranking(("nlu_fallback", 0.99), ("fact_budget", 0.3)), "rasa", "lv")
    assert result.kind == "clarify" and result.suggestions[0].id == "fact_budget"


def test_thresholds_are_per_engine(service):
    assert service.decide(ranking(("fact_budget", 0.55)), "rasa", "lv").kind == "answer"
    assert service.decide(ranking(("fact_budget", 0.55)), "lexical", "lv").kind == "clarify"


async def test_rasa_is_used_when_it_answers_and_the_matcher_when_not(kb):
    fake = FakeNlu({"budžets": [("fact_budget", 0.97)]})
    service = QAService(kb, fake, LexicalMatcher(kb), LanguageDetector(kb), Thresholds(0.5, 0.15), Thresholds(0.6, 0.25))
    assert (await service.ask("budžets", "en")).engine == "rasa"
    fake.down = True
    result = await service.ask("budžets", "en")
    assert (result.engine, result.kind, result.entry.id, result.language) == ("lexical", "answer", "fact_budget", "lv")
