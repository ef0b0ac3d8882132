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


def test_a_close_second_turns_an_answer_into_did_you_mean(kb):
    strict = QAService(kb, None, LexicalMatcher(kb), LanguageDetector(kb), Thresholds(0.4, 0.15, margin=0.2),
                       Thresholds(0.6, 0.25))
    close = ranking(("fact_budget", 0.5), ("fact_projects", 0.4))
    clear = ranking(("fact_budget", 0.5), ("fact_projects", 0.1))
    assert strict.decide(close, "rasa", "lv").kind == "clarify"
    assert strict.decide(clear, "rasa", "lv").kind == "answer"


def test_small_talk_is_declined_like_out_of_scope(service):
    result = service.decide(ranking(("smalltalk", 0.9)), "rasa", "en")
    assert (result.kind, result.intent) == ("out_of_scope", "smalltalk")


def test_blend_mixes_rasa_with_the_matcher_by_weight(kb):
    blended = QAService(kb, None, LexicalMatcher(kb), LanguageDetector(kb), Thresholds(0.5, 0.15),
                        Thresholds(0.6, 0.25), lexical_weight=0.5)
    mixed = blended.blend(ranking(("fact_budget", 0.6), ("fact_period", 0.4)), ranking(("fact_period", 1.0)))
    assert [(s.intent, round(s.confidence, 2)) for s in mixed] == [("fact_period", 0.7), ("fact_budget", 0.3)]
    assert blended.decide_from(None, ranking(("fact_period", 0.9)), "lv", "programmas laiks").engine == "lexical"


def test_the_matcher_only_sees_the_start_of_a_huge_text(service):
    import time

    started = time.perf_counter()
    service.lexical_rank("?" * 4096 + " budžets")
    assert time.perf_counter() - started < 0.5


def test_a_weak_answer_needs_words_in_common_with_the_entry(kb):
    matcher = LexicalMatcher(kb)
    service = QAService(kb, None, matcher, LanguageDetector(kb), Thresholds(0.3, 0.15, support_below=0.5),
                        Thresholds(0.6, 0.25))
    weak = ranking(("results_art", 0.34), ("fact_budget", 0.1))
    off_topic = "Kā nomainīt riepas mašīnai?"
    assert service.decide_from(weak, service.lexical_rank(off_topic), "lv", off_topic).kind == "out_of_scope"
    about_art = "Ko mūsdienu māksla deva kopienām?"
    assert service.decide_from(weak, service.lexical_rank(about_art), "lv", about_art).kind == "answer"
    strong = ranking(("results_art", 0.8), ("fact_budget", 0.1))
    assert service.decide_from(strong, service.lexical_rank(off_topic), "lv", off_topic).kind == "answer"


def _service_over(kb, fake: FakeNlu) -> QAService:
    return QAService(kb, fake, LexicalMatcher(kb), LanguageDetector(kb), Thresholds(0.5, 0.15), Thresholds(0.6, 0.25))


async def test_the_asking_sentence_alone_answers_when_the_whole_message_does_not(kb):
    whole = "Labdien! Esmu bibliotekāre Rēzeknē un gatavoju stendu. Kurā gadā programma sākās? Paldies!"
    fake = FakeNlu({whole: [("results_policy", 0.31), ("fact_period", 0.29)],
                    "Kurā gadā programma sākās?": [("fact_period", 0.95)]})
    result = await _service_over(kb, fake).ask(whole, "lv")
    assert (result.kind, result.intent) == ("answer", "fact_period")
    assert fake.calls == [whole, "Kurā gadā programma sākās?"]
    assert fake.again == ["Kurā gadā programma sākās?"]  # the second parse does not queue behind others' first


async def test_a_more_confident_whole_message_is_kept(kb):
    whole = "Esmu skolotāja. Kā programma strādāja ar skolām?"
    fake = FakeNlu({whole: [("area_education", 0.9)], "Kā programma strādāja ar skolām?": [("synergy_education_society", 0.95)]})
    assert (await _service_over(kb, fake).ask(whole, "lv")).intent == "area_education"
    assert fake.calls == [whole]  # a sure answer: the asking sentence is not classified at all


async def test_a_sure_overview_of_a_message_full_of_introduction_is_checked_against_its_question(kb):
    # The overview is where introductions about "this programme" land: the question alone decides what was asked.
    whole = "I'm a curator preparing a panel on Baltic civil society. How much money did this cohesion programme have?"
    question = "How much money did this cohesion programme have?"
    fake = FakeNlu({whole: [("programme_overview", 0.8)], question: [("fact_budget", 0.93)]})
    assert (await _service_over(kb, fake).ask(whole, "en")).intent == "fact_budget"
    assert fake.calls == [whole, question]
    about_it = "I'm a curator preparing a panel on Baltic civil society. What was this programme about?"
    fake = FakeNlu({about_it: [("programme_overview", 0.8)], "What was this programme about?": [("programme_overview", 0.9)]})
    assert (await _service_over(kb, fake).ask(about_it, "en")).intent == "programme_overview"


async def test_a_one_sentence_question_is_classified_once(kb):
    fake = FakeNlu({"Cik liels bija budžets?": [("fact_budget", 0.9)]})
    await _service_over(kb, fake).ask("Cik liels bija budžets?", "lv")
    assert fake.calls == ["Cik liels bija budžets?"]


async def test_scores_of_different_engines_are_not_compared(kb):
    # The NLU answers the whole message but not its question: the matcher's score is on another scale.
    whole = "Labdien! Kāds bija programmas budžets?"
    fake = FakeNlu({whole: [("out_of_scope", 0.9)]})
    assert (await _service_over(kb, fake).ask(whole, "lv")).kind == "out_of_scope"


async def test_the_detail_asked_is_read_from_the_question_whichever_part_was_classified(kb):
    whole = "Labdien, rakstu par Latgali. Cik projektu tika īstenoti Latgalē?"
    fake = FakeNlu({whole: [("fact_projects", 0.3)], "Cik projektu tika īstenoti Latgalē?": [("fact_projects", 0.95)]})
    result = await _service_over(kb, fake).ask(whole, "lv")
    assert (result.kind, result.entry.id, result.missing) == ("out_of_scope", "fact_projects", "by_region")


@pytest.mark.parametrize("text", ['Translate "social cohesion" into Italian, please.',
                                  'iztulko uz vāciski "paldies par palīdzību"', "Переведи слово «сплочённость»"])
async def test_a_request_to_translate_is_off_topic(kb, text):
    # The model may see programme words (or thanks) in what is to be translated: the bot is still no translator.
    fake = FakeNlu({text: [("programme_overview", 0.9)]})
    result = await _service_over(kb, fake).ask(text, "en")
    assert (result.kind, result.intent) == ("out_of_scope", "smalltalk")


async def test_a_long_introduction_does_not_decide_even_a_sure_answer(kb):
    # Most of the message is about the asker: the question alone is classified too, and wins when surer.
    whole = ("Back home in Slovenia I sit on a town council, and I keep hearing that NGO projects never reach the "
             "people who write the rules. Did the programme change how public policy gets planned?")
    question = "Did the programme change how public policy gets planned?"
    fake = FakeNlu({whole: [("approach_dialogue_support", 0.8)], question: [("results_policy", 0.95)]})
    assert (await _service_over(kb, fake).ask(whole, "en")).intent == "results_policy"
    assert fake.calls == [whole, question]


async def test_a_question_about_applying_now_is_no_request_for_a_person(kb):
    # An asker's introduction can make the model hear "a person, please": applying now is declined instead (the
    # decline offers staff as well), while a plain request for a person still gets the hand-off.
    applying = "Esmu sēņotāju kluba dibinātājs. Vai mūsu klubs varētu saņemt finansējumu sēņu pastaigām?"
    fake = FakeNlu({applying: [("human_handoff", 0.85)]})
    result = await _service_over(kb, fake).ask(applying, "lv")
    assert (result.kind, result.intent, result.missing) == ("out_of_scope", "human_handoff", "apply")
    person = "Vai varu runāt ar kādu no programmas komandas?"
    fake = FakeNlu({person: [("human_handoff", 0.85)]})
    assert (await _service_over(kb, fake).ask(person, "lv")).kind == "meta"


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("Piezvaniet man, lūdzu, rīt pēc pusdienām, gribu parunāt par sadarbību.", "contacts"),
        ("Please send me the presentation, I need the slides.", "documents"),
    ],
)
async def test_a_request_the_bot_cannot_carry_out_is_declined_with_the_offer_of_staff(kb, text, missing):
    # "Call me back", "send me the file": the hand-off's reply ("write your question, I will pass it on") would make
    # the asker type it again; the decline passes this very message on with one tap.
    fake = FakeNlu({text: [("human_handoff", 0.85)]})
    result = await _service_over(kb, fake).ask(text, "lv")
    assert (result.kind, result.missing) == ("out_of_scope", missing)


async def test_a_question_what_a_figure_is_is_answered_by_the_entry_stating_it(kb):
    # "What are the 66?" shares no words with the partners' examples; the model may call it out of scope
    text = "What are the 66 on the first slide?"
    fake = FakeNlu({text: [("out_of_scope", 0.7)]})
    result = await _service_over(kb, fake).ask(text, "en")
    assert (result.kind, result.intent, result.entry.id) == ("answer", "fact_partners", "fact_partners")
    # a question about a part of the figure stays declined by the entry's limits
    part = "And of the 170, what were the ones in Riga?"
    fake = FakeNlu({part: [("out_of_scope", 0.7)]})
    result = await _service_over(kb, fake).ask(part, "en")
    assert (result.kind, result.missing) == ("out_of_scope", "by_region")
