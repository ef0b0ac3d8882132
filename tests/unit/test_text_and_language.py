from __future__ import annotations

import pytest

from knowledge.language import LanguageDetector
from knowledge.text import asking_part, fold, fold_latin_diacritics, transliterate_russian, words


def test_fold_removes_latvian_diacritics_but_keeps_cyrillic():
    assert fold("Cik LIELS bija Budžets?") == "cik liels bija budzets?"
    assert fold_latin_diacritics("Ķīšu ģērbšanās") == "Kisu gerbsanas"
    assert fold("Йод и ёж") == "йод и ёж"


def test_words_drop_punctuation():
    assert words("Kāds bija budžets?!  (2016–2021)") == ["kads", "bija", "budzets", "2016", "2021"]


@pytest.fixture(scope="module")
def detector(kb):
    return LanguageDetector(kb)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Cik liels bija programmas budžets?", "lv"),
        ("kads bija programmas budzets", "lv"),
        ("cik projektu istenoja", "lv"),
        ("What was the budget of the programme?", "en"),
        ("how many partners", "en"),
        ("Какой был бюджет программы?", "ru"),
        ("бюджет", "ru"),
    ],
)
def test_detects_language_of_questions(detector, text, language):
    assert detector.detect(text) == language


@pytest.mark.parametrize("text", ["2016?", "👍", "", "???"])
def test_no_evidence_means_no_guess(detector, text):
    assert detector.detect(text) is None


@pytest.mark.parametrize(
    ("text", "asking"),
    [
        ("Labdien! Esmu skolotāja. Cik liels bija budžets? Paldies!", "Cik liels bija budžets?"),
        ("Hi, I run a choir. what were the results", "what were the results"),  # no "?": the question word counts
        ("Labdien! Gribēju uzzināt par programmas rezultātiem. Paldies jau iepriekš!",
         "Gribēju uzzināt par programmas rezultātiem."),  # no question: only the courtesies go
        ("budžets", "budžets"),
        ("Paldies!", "Paldies!"),  # nothing but a courtesy: the whole text
        ("Cik dalībnieku bija 2019. gadā?", "Cik dalībnieku bija 2019. gadā?"),  # "2019." is not a sentence end
        ("My aunt says it began around 2012. So which years did it run?", "So which years did it run?"),  # but this is
        # a request without "?" beside a question asks too: the detail wanted is often only there
        ("Which schools took part? I'd like their names.", "Which schools took part? I'd like their names."),
        ("Kuras biedrības piedalījās? Gribētu sarakstu.", "Kuras biedrības piedalījās? Gribētu sarakstu."),
        ("Esmu skolotāja Bauskā. Какие школы участвовали? Перечислите.", "Какие школы участвовали? Перечислите."),
        ("Esmu skolotāja un gribu pieteikties. Cik projektu bija kopā?", "Cik projektu bija kopā?"),  # a wish, no ask
        # the Latvian debitive is a wish to know in one word; "kurus" asks like "kuri"
        ("Rakstu kursa darbu par NVO. Man jāzina, kurus gadus aptvēra programma.", "kurus gadus aptvēra programma."),
        ("Я учитель. Хочу знать, сколько было партнёров.", "сколько было партнёров."),
        # in chat an emoji ends a sentence
        ("esmu friziere, klientes strīdas, vai tur bija miljoni 😅 cik naudas bija visai programmai?",
         "cik naudas bija visai programmai?"),
        # a sentence opening with "names" or "list" asks for them
        ("Which places were brought back to life? Names of the towns", "Which places were brought back to life? Names of the towns"),
        # a request said as one, with or without "please"
        ("Esmu jaunatnes lietu speciāliste Līvānos. Lūgums iedot īsu pārskatu par programmu.",
         "Lūgums iedot īsu pārskatu par programmu."),
        ("Я учитель. Дайте обзор программы.", "Дайте обзор программы."),
        ("As an NGO founder, I wonder what the organisations gained.", "what the organisations gained."),  # curiosity
        ("Mācu fiziku Viļakā un gribu precizēt, kuros gados programma bija aktīva.", "kuros gados programma bija aktīva."),
        # … but a bare one is about the sentence before
        ("Хочу понять, что это была за инициатива. Объясните, пожалуйста, в двух словах. Спасибо!",
         "Хочу понять, что это была за инициатива. Объясните, пожалуйста, в двух словах."),
        # someone else's wish to know, without a question mark: the question after it
        ("Hello! I am a trainee at an EU office in Riga. My supervisor wants to know which years it covered. Thanks!",
         "which years it covered."),
        ("Sveiki! Strādāju bibliotēkā Apē. Direktore grib zināt, cik projektu bija. Paldies!",
         "cik projektu bija."),
        # after a wish to know, the question that follows it (the introduction before it is not the detail asked)
        ("Sveiki! Vadu kori Daugavpilī un gribētu zināt, cik partneru bija programmai. Paldies!",
         "cik partneru bija programmai."),
        ("Руковожу хором в Юрмале и хотела бы узнать, сколько было партнёров.", "сколько было партнёров."),
        ("Filmēju video blogu Olainē un gribu pieminēt, cik miljonu bija programmai.", "cik miljonu bija programmai."),
        # curiosity said outright, before a question word after a preposition
        ("Labvakar! Mūsu biedrībai interesē, pēc kādiem principiem programma darbojās? Paldies!",
         "pēc kādiem principiem programma darbojās?"),
        ("I run a choir in Cēsis and I'm curious how the money was spent?", "how the money was spent?"),
        ("I run a bootcamp and I'm curious how funders treat grantees. How did this programme work?",
         "How did this programme work?"),
        # someone's asking, and a request for the answer after it
        ("Esmu mediators Tukumā, un skolotāja man pajautāja, cik projektu bija. Vari pateikt?",
         "cik projektu bija. Vari pateikt?"),
        # what the asker already knows is not what they ask
        ("I know there were 170 projects, but how many partners were on board?", "how many partners were on board?"),
        ("Я знаю про 170 проектов, а партнёров сколько было?", "партнёров сколько было?"),
        ("Budžetu jau zinu, bet cik tad projektu par to naudu izdevās uztaisīt?",
         "cik tad projektu par to naudu izdevās uztaisīt?"),
        ("ok so i know it ran from 2016 to 2021 but like how many participants were there in total?",
         "like how many participants were there in total?"),
        ("ja znaju chto budzhet byl pochti tri milliona, a skolko narodu v itoge pouchastvovalo?",
         "skolko narodu v itoge pouchastvovalo?"),
        ("ну вот партнёров было шестьдесят шесть это понятно а чего в итоге-то добились?", "чего в итоге-то добились?"),
        # … unless what follows only asks to confirm it
        ("Zinu, ka projektu bija 170, bet cik tad patiesībā?", "Zinu, ka projektu bija 170, bet cik tad patiesībā?"),
        ("I know a lot about it, but how many partners?", "how many partners?"),
        # a question that only asks to confirm takes the sentence before it, which says what
        ("Labdien! Lasīju, ka partneru bija ap simtu. Vai tā tiešām ir?",
         "Lasīju, ka partneru bija ap simtu. Vai tā tiešām ir?"),
        ("I heard it only ran in 2019. Is that right?", "I heard it only ran in 2019. Is that right?"),
        ("Один из наших уверяет, что проектов было штук десять. Сколько их было на самом деле?",
         "Один из наших уверяет, что проектов было штук десять. Сколько их было на самом деле?"),
        # … or only asks for the answer to it
        ("Mūsu kundzes nevar vienoties, cik ļaužu piedalījās. Vai varat pateikt precīzu skaitu?",
         "Mūsu kundzes nevar vienoties, cik ļaužu piedalījās. Vai varat pateikt precīzu skaitu?"),
        ("We argued about how many projects there were. Can you tell me the exact number?",
         "We argued about how many projects there were. Can you tell me the exact number?"),
        ("Labvakar! Mūsu biedrībai interesē, pēc kādiem principiem programma darbojās. Varat pastāstīt? Paldies!",
         "pēc kādiem principiem programma darbojās. Varat pastāstīt?"),
        ("Нас в клубе интересует, как менялись общины. Можете рассказать?", "как менялись общины. Можете рассказать?"),
        # an aside between two dashes inside the question is part of it
        ("Uz kādām pakāpēm — no viena cilvēka līdz politikai — programma dalīja pārmaiņas?",
         "Uz kādām pakāpēm no viena cilvēka līdz politikai programma dalīja pārmaiņas?"),
        # a wish deep inside an introduction belongs to the introduction
        ("I'm a student building a website for a youth NGO, and I need to list its fields. Which were they?",
         "Which were they?"),
        # a colon after an introduction ends it; after a question it opens the detail asked
        ("Preparing a briefing for our council in Jūrmala: what changed in policy?", "what changed in policy?"),
        ("Which area got the most funding: culture or education?", "Which area got the most funding: culture or education?"),
    ],
)
def test_asking_part_keeps_the_sentences_that_ask(text, asking):
    assert asking_part(text) == asking


def test_asking_part_splits_at_a_spaced_dash_only_when_asked():
    text = "медиаграмотность, критическое мышление — результаты?"
    assert asking_part(text) == "результаты?"
    assert asking_part(text, at_dashes=False) == text


def test_for_classifying_a_long_introduction_before_a_dash_is_dropped_a_topic_is_kept():
    text = ("Labdien! Bauskā gatavojam stendu par vietējiem projektiem, un man jāpārbauda viens skaitlis — cik liels "
            "bija budžets? Paldies!")
    assert asking_part(text, at_dashes=False) == "cik liels bija budžets?"
    assert asking_part("Kā, jūsuprāt, attīstīt prasmes – ko programma ieteica?", at_dashes=False) == (
        "Kā, jūsuprāt, attīstīt prasmes – ko programma ieteica?")
    # … unless what follows the dash only asks to confirm it, or for the exact figure
    text = "Kaut kur lasīju, ka partneru bija kādi simts vai vairāk — vai tā tiešām bija?"
    assert asking_part(text, at_dashes=False) == text
    text = "I believe there were some two hundred projects run by the programme — what is the exact number?"
    assert asking_part(text, at_dashes=False) == text
    text = "Kolēģis saka, ka programmai bija kādi desmit miljoni — cik tur patiesībā bija naudas?"
    assert asking_part(text, at_dashes=False) == text


@pytest.mark.parametrize(
    ("text", "asking"),
    [
        ("Journalist in Liepāja here — how many projects were there?", "how many projects were there?"),
        # a list after a dash is the detail asked: kept with the question before it
        ("Could I get how many took part in each area — culture, education, engagement?",
         "Could I get how many took part in each area culture, education, engagement?"),
        ("How exactly was the evaluation done — sample size, interviews?",
         "How exactly was the evaluation done sample size, interviews?"),
        ("Kā, jūsuprāt, attīstīt prasmes – ko programma ieteica?", "ko programma ieteica?"),
    ],
)
def test_at_dashes_the_part_that_asks_is_kept(text, asking):
    assert asking_part(text) == asking


def test_russian_in_latin_letters_in_both_common_spellings():
    assert transliterate_russian("Сколько людей участвовало?") == "skolko ljudej uchastvovalo?"
    assert transliterate_russian("Какая история?", "y") == "kakaya istoriya?"
