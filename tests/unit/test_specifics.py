"""Details the presentation does not give (knowledge/specifics.py, knowledge/data/specifics.yaml): a question that
asks one of them is declined with the entry as context, not answered as if the total were the answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, Translator
from bot.nlu_client import IntentScore
from bot.qa import QAService, Thresholds
from knowledge.language import LanguageDetector
from knowledge.loader import DEFAULT_DATA_DIR, KnowledgeBaseError, load_knowledge_base
from knowledge.matcher import LexicalMatcher

FIGURES = ("breakdown", "two_figures", "by_year", "by_region", "by_area", "area_money", "per_item", "names")  # what the fact entries lack
ALL = (*FIGURES, "money", "count")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Cik projektu tika īstenoti Latgalē?", "by_region"),
        ("cik projektu bija daugavpili", "by_region"),
        ("Сколько проектов было в Латгалии?", "by_region"),
        ("Сколько проектов было в Риге, а сколько в регионах?", "two_figures"),  # two figures where there is one
        ("How many participants were there in Riga?", "by_region"),
        ("Cik projektu tika atbalstīti 2018. gadā?", "by_year"),
        ("Как распределялся бюджет по годам?", "breakdown"),
        ("How was the budget split between the three areas?", "breakdown"),
        ("Kā tika sadalīts budžets?", "breakdown"),
        ("How were the funds distributed?", "breakdown"),
        ("Сколько денег пошло только на образование?", "by_area"),
        ("cik naudas aizgaja izglitibas aktivitatem", "area_money"),
        ("Какая сумма пошла на культурное направление?", "area_money"),
        ("How much did each project receive on average?", "per_item"),
        ("Cik naudas saņēma katrs partneris?", "per_item"),
        ("Какие именно организации были партнёрами? Нужны названия.", "names"),
        ("nosauciet partneru organizacijas", "names"),
        ("Kura teātra trupa iestudēja to izrādi?", "names"),
    ],
)
def test_questions_asking_for_a_detail_are_recognised(kb, text, kind):
    assert kb.specifics.asked(text, ALL) == kind


@pytest.mark.parametrize(
    "text",
    [
        "Cik projektu tika īstenoti?",
        "total budget 2016-2021?",  # a range names the programme period, not one year
        "Kāds bija budžets 2016.–2021. gadā?",
        "Я руковожу кружком в Даугавпилсе, интересно, сколько всего проектов поддержала программа?",  # "всего"
        "Esmu no Liepājas — cik projektu programma atbalstīja kopā?",
        "Pastāstiet, lūdzu, īsumā par šo programmu!",  # "lūdzu" is not the town Ludza
        "and who were the partners?",
        # distributing the whole sum over all the years is the total, not a split
        "Cik naudas programma varēja sadalīt visos tajos gados?",
        "How much money was distributed over all those years?",
    ],
)
def test_questions_about_the_total_are_not_taken_for_a_detail(kb, text):
    assert kb.specifics.asked(text, FIGURES) is None


def test_only_the_kinds_an_entry_cannot_tell_count(kb):
    assert kb.specifics.asked("Cik projektu bija Latgalē?", ["names"]) is None
    assert kb.specifics.asked("Cik projektu bija Latgalē?", ["names", "by_region"]) == "by_region"


@pytest.fixture(scope="module")
def service(kb) -> QAService:
    return QAService(kb, None, LexicalMatcher(kb), LanguageDetector(kb), Thresholds(0.5, 0.15), Thresholds(0.6, 0.25))


def test_a_detail_the_entry_cannot_give_is_declined_with_the_entry_as_context(service):
    ranking = [IntentScore("fact_projects", 0.91), IntentScore("fact_period", 0.03)]
    result = service.decide_from(ranking, [], "lv", "Cik projektu tika īstenoti Latgalē?")
    assert (result.kind, result.outcome, result.entry.id, result.missing) == (
        "out_of_scope", "out_of_scope", "fact_projects", "by_region")
    plain = service.decide_from(ranking, [], "lv", "Cik projektu tika īstenoti kopā?")
    assert (plain.kind, plain.entry.id, plain.missing) == ("answer", "fact_projects", None)


def test_a_detail_the_entry_can_give_is_answered(service):
    # approach_networking cannot tell figures, years or names, nor what no entry tells; a town alone is no limit
    ranking = [IntentScore("approach_networking", 0.9)]
    result = service.decide_from(ranking, [], "lv", "Kā programma veidoja tīklus Latgalē?")
    assert result.kind == "answer"
    declined = service.decide_from(ranking, [], "lv", "Kā programma veidoja tīklus 2018. gadā?")
    assert (declined.kind, declined.missing) == ("out_of_scope", "by_year")


def test_every_kind_has_its_sentence_in_every_language(kb):
    texts = Translator(default="lv")
    for language in LANGUAGES:
        for kind in kb.specifics.kinds:
            sentence = texts(language, f"out_of_scope.specific.{kind}")
            assert sentence and "out_of_scope" not in sentence
            assert sentence in texts(language, "out_of_scope.specific.intro", detail=sentence)


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    return target


def test_an_unknown_kind_on_an_entry_is_refused_with_file_and_entry(tmp_path):
    data = _copy(tmp_path)
    facts = data / "entries" / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace("cannot_tell: [breakdown, two_figures, by_year, by_region, "
                                                               "by_area, area_money, per_item]", "cannot_tell: [by_galaxy]"),
                     encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"facts\.yaml: entry 'fact_budget': field cannot_tell: .*by_galaxy"):
        load_knowledge_base(data)


def test_a_broken_pattern_is_refused_with_the_file(tmp_path):
    data = _copy(tmp_path)
    (data / "specifics.yaml").write_text("total: ['(unclosed']\nkinds:\n  names:\n    patterns: ['x']\n",
                                         encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"specifics\.yaml: .*not a valid regular expression"):
        load_knowledge_base(data)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Kas vadīja šo programmu?", "who"),
        ("Who funded the programme?", "who"),
        ("Кто руководил программой?", "who"),
        ("How much were the programme staff paid?", "pay"),
        ("Vai mūsu biedrība var pieteikties?", "apply"),
        ("vai mana biedrība ar trim biedriem var kļūt par partneri?", "apply"),
        ("Could our tiny chess club become a partner?", "apply"),
        ("Would my idea of choir evenings for lonely neighbours in our block get funding?", "apply"),
        ("I have a plan for a garden. Would it get money from you?", "apply"),
        ("Mana ideja ir darbnīca jauniešiem — vai tā atbilst programmai?", "apply"),
        ("Vai to izrādi šobrīd vēl rāda Rīgā?", "apply"),
        ("Cik daudz nopelnīja darbinieki?", "pay"),
        ("Cik tieši bija to pieredzes apmaiņas vizīšu?", "visits"),
        ("Kas tajā izrādē spēlēja?", "who"),
        ("Может ли наш хор стать партнёром программы?", "apply"),
        ("When is the next call for proposals?", "apply"),
        ("Когда следующий конкурс?", "apply"),
        ("Is it possible to book the performance for our pupils?", "apply"),
        ("Kur notika pieredzes apmaiņas vizītes?", "places"),
        ("Which countries did the study trips go to?", "places"),
        ("В какие страны были визиты?", "places"),
        ("Kā jums šķiet, vai programma bija veiksmīga?", "opinion"),
        ("Do you think the money was well spent?", "opinion"),
        ("Как вы думаете, что будет через десять лет?", "opinion"),
        ("Kā šī programma izskatās salīdzinājumā ar Erasmus+?", "compare"),
        ("How does it compare with other EU programmes?", "compare"),
        ("Чем она отличается от других программ?", "compare"),
        ("Kāds ir programmas tālrunis?", "contacts"),
        ("What is your e-mail address?", "contacts"),
        ("С кем можно связаться по поводу программы?", "contacts"),
        ("Kādi tieši indikatori jānorāda manam projektam?", "indicators"),
        ("Which indicators should we use in our application?", "indicators"),
        ("Какие конкретно показатели нужны для нашей заявки?", "indicators"),
        ("Is it more effective than the Erasmus+ programme?", "compare"),
        ("Vai tā bija veiksmīgāka nekā citas programmas?", "compare"),
        ("Чем эта программа лучше других?", "compare"),
        ("Who performed in the play?", "who"),
        ("Kas spēlēja izrādē?", "who"),
        ("Кто выступал в спектакле?", "who"),
        ("Where exactly are the revived sites?", "places"),
        ("Kur tieši atrodas tie objekti?", "places"),
        ("Где находятся эти объекты?", "places"),
        ("Cik liels līdzfinansējums jānodrošina?", "apply"),
        ("Is co-financing required?", "apply"),
        ("Vai mēs varētu būt atbilstoši pieteicēji?", "apply"),
        ("Mūsu biedrība ir jauna — vai mēs atbilstam nosacījumiem?", "apply"),
        ("Could our newly registered club still get money from this?", "apply"),
        ("Kurā gadā bija visvairāk projektu?", "peak_year"),
        ("Which year had the most participants?", "peak_year"),
        ("В каком году было больше всего участников?", "peak_year"),
        ("What concrete targets did the projects have to hit?", "indicators"),
        ("What share of the people were young?", "subgroup"),
        ("Kura bija veiksmīgāka — šī vai Igaunijas programma?", "compare"),
        ("Who wrote the play?", "who"),
        ("Could organisations from Estonia take part now?", "apply"),
        ("сколько среди участников было пенсионеров", "subgroup"),
        ("Were any of the partners based outside Latvia?", "subgroup"),
        ("Эта программа лучше или хуже, чем программы ЕС?", "compare"),
        ("В Эстонии была похожая программа — у кого результаты лучше?", "compare"),
        ("Vai mana ideja par šūšanas darbnīcu būtu atbalstāma?", "apply"),
        ("Vai mēs kvalificējamies finansējumam, un kāda summa mums pienāktos?", "apply"),
        ("Kā tieši tika mērīts dalībnieku skaits?", "method"),
        ("Vai izrādi var redzēt kādā teātrī šorudien?", "apply"),
        ("Kas bija programmas galvenais finansētājs?", "who"),
        ("What share of applications were successful?", "subgroup"),
        ("Сколько заявок одобрили?", "subgroup"),
        ("Who was the main donor?", "who"),
        ("Kas no ministrijas bija atbildīgs par programmu?", "who"),
        ("Was it better or worse than other programmes?", "compare"),
        ("Vai tā bija labāka vai sliktāka nekā citas programmas?", "compare"),
        ("Куда именно ездили участники?", "places"),
        ("Kur tieši brauca pieredzes apmaiņā?", "places"),
        ("Where can I download the full study?", "documents"),
        ("Vai ir kāda saite uz pilno pētījumu?", "documents"),
        ("Можно скачать презентацию в PDF?", "documents"),
        ("Vai tuvākajos gados sabiedrība kļūs vienotāka?", "opinion"),
        ("Will people trust each other more in the coming years?", "opinion"),
        ("Cik respondentu aptaujāja izvērtējumā?", "method"),
        ("Who carried out the evaluation?", "method"),
        ("Сколько интервью провели оценщики?", "method"),
        ("Cik pelnīja programmas darbinieki?", "pay"),
        ("What were the staff salaries?", "pay"),
        ("Какие были административные расходы?", "pay"),
        ("Vai Lietuvā bija līdzīga programma?", "compare"),
        ("Was it larger than the one in Finland?", "compare"),
        ("Would the programme fund a youth theatre camp?", "apply"),
        ("Vai mūsu koris saņemtu atbalstu?", "apply"),
        ("kto finansiroval programmu", "who"),
        ("Which area got the most money: culture or education?", "area_money"),  # no entry gives money by area
        ("Can we still watch the play somewhere?", "apply"),
        ("Could I see the show this month?", "apply"),
        ("Was it bigger than the Nordic programmes?", "compare"),
        ("Эта программа была больше, чем фонд интеграции?", "compare"),
        ("How was it evaluated: questionnaires, interviews?", "method"),  # the detail after the colon counts
    ],
)
def test_details_no_entry_gives_are_recognised_for_every_entry(kb, text, kind):
    assert kb.specifics.missing_for(text, []) == kind
    assert kb.specifics.missing_for(text, kb.entry("results_overview").cannot_tell) == kind


@pytest.mark.parametrize(
    "text",
    ["How many of them were pensioners?", "Cik dalībnieku bija krievvalodīgie?", "Сколько участников были школьниками?",
     # institutions of one kind: the presentation counts partners and participants, not schools or libraries
     "Cik skolu kopumā iesaistījās?", "How many libraries were involved overall?", "Сколько школ участвовало?"],
)
@pytest.mark.parametrize("entry", ["fact_participants", "fact_partners"])
def test_how_many_of_a_group_is_declined_even_by_the_entry_with_the_total(kb, text, entry):
    # The presentation has totals only: the number of participants is no answer to how many were pensioners.
    assert kb.specifics.missing_for(text, kb.entry(entry).cannot_tell) == "subgroup"


@pytest.mark.parametrize(
    ("entry_id", "text", "kind"),
    [
        ("results_community", "Which villages exactly were revived? Name a few.", "names"),
        ("results_community", "Kuros ciemos tieši tas notika?", "names"),
        ("rec_arts_culture", "Какие конкретно театры участвовали?", "names"),
        ("results_art", "Vai varat nosaukt pilsētas, kur tas notika?", "names"),
        ("results_policy", "Cik naudas aizgāja politikas ieteikumiem?", "amount"),
        ("results_person", "How much money went into the personal growth part?", "amount"),
        ("approach_monitoring", "Сколько денег потратили на мониторинг?", "amount"),
        ("synergy_education_society", "Сколько учителей прошло обучение?", "count"),
        ("synergy_education_society", "Cik skolotāju to apguva?", "count"),
        # money by area: the area entries describe an area's work, the budget entry gives the total only
        ("area_culture_arts", "Kāds bija budžets tieši izglītības jomai?", "area_money"),
        ("areas_overview", "How were the 2.8 million shared between culture, education and engagement?", "area_money"),
        ("area_education", "Сколько денег ушло на образование и культуру?", "area_money"),
        ("fact_budget", "Cik naudas saņēma kultūras projekti?", "area_money"),
        # two figures where a fact entry has one
        ("fact_projects", "Cik projektu bija Latgalē un cik Kurzemē?", "two_figures"),
        ("fact_partners", "How many were municipalities and how many NGOs?", "two_figures"),
        # fact_projects says "170 projects and several experience-exchange visits": no number of visits
        ("fact_projects", "How many study visits abroad did they organise?", "visits"),
        ("fact_projects", "Cik pieredzes apmaiņas braucienu notika?", "visits"),
        ("fact_projects", "Сколько было визитов по обмену опытом?", "visits"),
        # found in the ninth session's rounds
        ("fact_budget", "Mums ir ideja par festivālu Siguldā - cik naudas varam dabūt?", "apply"),
        ("fact_budget", "cik lielu summu mēs varētu saņemt?", "apply"),
        ("area_culture_arts", "Уважаемые коллеги! Подскажите, имеем ли мы право на финансирование по этой программе?",
         "apply"),
        ("fact_budget", "Cik naudas atsevišķi kultūrai un izglītībai?", "breakdown"),
        ("synergy_art_society_education", "Where were the exchange visits?", "places"),
        ("fact_projects", "Сколько денег потратили на визиты по обмену опытом?", "amount"),  # the visits, not their cost
        ("fact_partners", "Сколько денег потратили на визиты по обмену опытом?", "amount"),
        ("fact_participants", "Сколько денег потратили на визиты по обмену опытом?", "amount"),
        ("fact_budget", "Vai jūs atbalstītu mūsu biedrības ideju?", "apply"),
        ("closing_quote", "No kura Raiņa darba ir ņemts noslēguma citāts?", "quote_source"),
        ("closing_quote", "Kurā gadā Rainis uzrakstīja šo citātu?", "quote_source"),
        ("closing_quote", "Из какого произведения эта цитата?", "quote_source"),
        ("synergy_art_society_education", "Кто автор пьесы LV VS RU?", "who"),
        ("recommendations_overview", "Who were the experts that wrote the recommendations?", "who"),
        ("fact_projects", "Man ir veikals Zilupē. Vai kāds no tiem projektiem notika arī pie mums Zilupē?", "by_region"),
        ("fact_participants", "Сколько участников было из Лудзы?", "by_region"),
        ("synergy_art_society_education", "Is LV VS RU still on stage somewhere? I want tickets for next weekend.", "apply"),
        ("fact_budget", "Is the programme still lending money to small businesses? I need a loan for my café.", "apply"),
        # found in the tenth session's rounds: smaller towns and Riga's districts; what staff earned; applying now
        ("fact_projects", "Vai Vecumniekos arī bija kāds projekts no šīs programmas?", "by_region"),
        ("fact_projects", "Сколько проектов было в Пурвциемсе?", "by_region"),
        ("fact_partners", "Сколько зарабатывали сотрудники программы?", "pay"),
        ("approach_dialogue_support", "Мы подали заявку, когда будет ответ?", "apply"),
        ("approach_dialogue_support", "Mēs iesniedzām pieteikumu, kad būs atbilde?", "apply"),
        ("results_overview", "kas programmai nesanāca? kādas bija lielākās neveiksmes?", "failures"),
        ("programme_overview", "what didn't work, any projects that flopped?", "failures"),
        ("results_overview", "что у программы не получилось?", "failures"),
        ("results_overview", "what was the single most important result?", "ranking"),
        ("areas_overview", "kuram virzienam programma pievērsa visvairāk uzmanības?", "ranking"),
        ("results_overview", "какой самый важный результат?", "ranking"),
        ("synergy_art_society_education", "kurās skolās tieši rādīja izrādi?", "places"),  # it names the scheme only
        ("synergy_art_society_education", "which school saw the show?", "places"),
        ("approach_ngo_newcomers", "kuras nvo bija tie jaunpienācēji? nosauc dažas", "names"),
        ("programme_overview", "Kuros novados programma bija visaktīvākā?", "ranking"),
        ("programme_overview", "Pārbaudiet, vai mana ideja par kopienas dārzu atbilst programmas mērķiem.", "apply"),
        ("programme_overview", "A puppet theatre for kindergartens: would it get funded?", "apply"),
        ("programme_overview", "Nosūtiet man prezentāciju, lūdzu.", "documents"),
        ("programme_overview", "Lūdzu, lai kāds no komandas man šodien atzvana.", "contacts"),
        ("fact_budget", "No kādiem līdzekļiem programmu finansēja?", "who"),  # where the money came from
        ("programme_overview", "Kas vadīja programmu — kāds ir koordinatora vārds un uzvārds?", "who"),
        ("approach_monitoring", "Who was on the evaluation team?", "method"),
        ("areas_overview", "В каком направлении было больше всего участников?", "ranking"),
        ("results_society", "Можете подсказать конкретные организации в Латгалии и как с ними связаться?", "names"),
        ("approach_ngo_newcomers", "Vai man ir vērts mest darbu un dibināt savu NVO?", "advice"),
        ("recommendations_overview", "Ko jūs man ieteiktu — braukt vai palikt?", "advice"),
        ("rec_21st_skills", "Как думаете, стоит мне пойти работать в общественную организацию?", "advice"),
        ("fact_projects", "How many of the 170 projects were in the culture area?", "by_area"),
        ("fact_participants", "Pēc kādas metodoloģijas saskaitīja tos dalībniekus?", "method"),
        ("closing_quote", "Kas ir tas cilvēks, kurš šo prezentāciju taisīja?", "who"),
        ("results_overview", "Vai tavuprāt programma bija veiksmīga?", "opinion"),
        ("results_overview", "В Эстонии была похожая программа. Где результаты были лучше?", "compare"),
        ("recommendations_overview", "Мне стоит уйти с работы и заняться НКО? Посоветуйте.", "advice"),
    ],
)
def test_entries_without_names_or_sums_decline_them(kb, entry_id, text, kind):
    # "Which villages exactly", "how much money went to X": the entry describes X, it names no places and has
    # no sum of its own — the programme's total budget is no answer either.
    assert kb.specifics.missing_for(text, kb.entry(entry_id).cannot_tell) == kind


@pytest.mark.parametrize(
    ("entry_id", "text"),
    [
        ("areas_overview", "Kuras tieši jomas programma atbalstīja?"),  # the entry names the areas
        ("areas_overview", "Which specific areas did it cover?"),
        ("results_overview", "Какие именно результаты были достигнуты?"),
        ("fact_period", "In which year did the programme start?"),  # a year it gives, not the busiest one
        ("fact_period", "Kurā gadā programma sākās?"),
        ("results_overview", "What did the money achieve?"),  # money mentioned, no sum asked
        ("programme_overview", "what exactly was this cohesion programme"),
        ("change_levels", "Nosauciet pārmaiņu līmeņus"),
        ("programme_overview", "The big picture, please: how much money and how many projects?"),  # both given
        ("areas_overview", "Kā programmas darbība bija sadalīta pa virzieniem?"),  # divided into areas, no sum
        ("area_culture_arts", "Ko programma darīja tieši kultūras jomā?"),
        ("fact_projects", "How many projects and exchange visits were there?"),  # the projects' number it gives
        ("fact_projects", "Сколько проектов и визитов было?"),
        ("fact_projects", "Было ли больше, чем 100 проектов?"),  # more than a number: no comparison of programmes
        ("results_society", "Vai programma radīja jaunas saites starp cilvēkiem?"),  # ties between people, not links
        ("approach_networking", "Did the programme link organisations with each other?"),
        ("approach_monitoring", "Как проводился мониторинг результатов?"),  # how: the iterative approach it names
        ("approach_overview", "Ar kādām metodēm programmas vadītāji organizēja darbu?"),  # leaders as the subject
        ("results_person", "Kā programma mainīja atsevišķu cilvēku?"),  # "atsevišķs" = individual, not a split
        ("area_engagement", "Vai sabiedrības iesaiste bija atsevišķa joma?"),
        # "2012." before a capital ends the introduction, and the town in it is not the detail asked
        ("fact_period", "My aunt in Cēsis says she joined it around 2012. So in which years did the programme run?"),
        # a later year that is no question about the programme now
        ("fact_period", "Would I be right to say it was not running any more in 2023?"),
        ("fact_budget", "For a report I am writing in 2025 I need the total budget."),
        # what the funder did is no question who the funder was
        ("approach_dialogue_support", "Did the funder support the grantees along the way or just hand out money?"),
        # found in the ninth session's rounds
        ("fact_projects", "Cik atsevišķi projekti dabūja dzīvi caur šo programmu?"),  # individual projects, no split
        ("synergy_art_society_education", "Where was the LV VS RU performance included?"),  # its answer says where
        ("rec_communities", "Ko ieteikts darīt, lai atbalstītu kopienu līderus un sadarbotos ar pašvaldības iestādēm?"),
        ("rec_communities", "Ko programma iesaka, lai kopienu līderi saņemtu atbalstu?"),  # "lai …": a purpose
        ("closing_quote", "Kādi vārdi ir prezentācijas beigās?"),
        ("fact_participants", "Сколько всего было участников?"),
        # those who applied then are the applicants the programme talked with, not someone applying now
        ("approach_dialogue_support", "Общались ли организаторы с теми, кто подавал заявки?"),
        ("approach_dialogue_support", "Vai programmas vadība runāja ar tiem, kas iesniedza pieteikumus?"),
        ("approach_dialogue_support", "Did they talk to the people who applied for funding?"),
        ("results_overview", "What were the most important results?"),  # the results it lists, no one ranked first
        ("results_overview", "Kādi bija galvenie rezultāti?"),
        ("synergy_art_society_education", "Which school programme included the show?"),
        ("results_21st_skills", "Vai programma mazināja kritiskās domāšanas trūkumu?"),  # a lack it fought, no failure
        ("change_levels", "On how many tiers did the programme look at change?"),  # the levels it lists, counted
        ("closing_quote", "Who wrote the closing words?"),  # the answer names the poet
        ("closing_quote", "Kas uzrakstīja noslēguma citātu?"),
        ("rec_communities", "Ko jūs ieteiktu kopienu līderiem?"),  # the programme's advice, not a personal decision
        ("results_organisations", "As someone who founded an NGO, what did the organisations gain?"),  # a relative "who"
        ("fact_budget", "Cik liela bija tā naudas kaudze, ko programma sadalīja?"),  # the pot it shared out: a total
        ("programme_overview", "мне сын скинул ссылку про программу, объясните что это было"),  # a link he got
    ],
)
def test_what_an_entry_does_name_is_not_declined(kb, entry_id, text):
    assert kb.specifics.missing_for(text, kb.entry(entry_id).cannot_tell) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Journalist in Liepāja here. How many projects did the programme have?", None),  # the town introduces
        ("Esmu režisore Valmierā. Kā programmā izmantoja teātri?", None),
        ("I work in a municipality — how many participants were there?", None),
        ("Esmu no Jelgavas – cik projektu tika īstenoti mūsu pilsētā?", "by_region"),  # the town is asked about
        ("Cik dalībnieku programmai bija 2019. gadā?", "by_year"),  # "2019." is an ordinal, not a sentence end
        ("Strādāju novada domē un gribu zināt, cik projektu bija kopā", None),  # the asker's workplace
        ("Cik projektu bija katrā novadā?", "by_region"),
        ("cik projektu notika Ludzas novada?", "by_region"),
        ("Kuram novadam bija visvairāk projektu?", "by_region"),
        ("Preparing a briefing for our council in Jūrmala: how many projects were there?", None),  # an introduction
        ("Which villages were revived? I'd like the names of a few.", "names"),  # the request is in the 2nd sentence
        ("Cik dalībnieku bija pašā pirmajā gadā?", "by_year"),
        ("How many projects in its final year?", "by_year"),
        ("Cik dalībnieku bija kultūras projektos?", "by_area"),  # one area's share of a programme-wide figure
        ("Сколько участников было в образовательных проектах?", "by_area"),
        ("Cik dalībnieku bija kultūras projektos kopā ar visiem citiem?", None),  # the total: 326 475
    ],
)
def test_only_the_sentences_that_ask_count(kb, text, kind):
    assert kb.specifics.missing_for(text, FIGURES) == kind


@pytest.mark.parametrize(
    "text",
    [
        "Vai es varu uzzināt, kāds bija budžets?",  # a polite "may I ask", not "may we apply"
        "Могу ли я узнать бюджет программы?",
        "Could I ask what the results were?",
        "Kāds ir noslēguma citāts un kas ir tā autors?",
        "Who took part in the programme?",
        "How did the programme address disinformation?",
        "How many participants were there?",
        "Сколько человек участвовало?",
        "Kā programma runāja ar pieteicējiem?",  # applicants as the programme's partners in talks, not applying
        "Are competitions better than cooperation for children?",  # a recommendation, not a comparison of programmes
        "Esmu aktieris. Mani interesē, kā programmā izmantoja teātri.",  # the asker's role, not who performed
        "Where did the programme work: only in Latvia?",
        "kur ir tie sinerģiju piemēri?",  # "where are those examples" asks for the examples, not a place
        "Kuros gados tieši darbojās programma?",  # the years are given: not "which exactly" of something unnamed
        "Where are the examples of synergies?",
    ],
)
def test_polite_and_ordinary_questions_are_not_taken_for_details_no_entry_gives(kb, text):
    assert kb.specifics.missing_for(text, []) is None


def test_no_training_example_is_declined_by_its_own_entry(kb):
    """A pattern too broad would decline the very questions an entry is trained to answer."""
    declined = [
        (entry.id, text, missing)
        for entry in kb.entries.values()
        for _, text in kb.examples(entry.id)
        if (missing := kb.specifics.missing_for(text, entry.cannot_tell)) is not None
    ]
    assert declined == []


def test_an_unknown_kind_under_nowhere_is_refused(tmp_path):
    data = _copy(tmp_path)
    path = data / "specifics.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("nowhere: [who,", "nowhere: [by_galaxy, who,"),
                    encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"specifics\.yaml: .*nowhere: unknown kind 'by_galaxy'"):
        load_knowledge_base(data)


def test_a_best_guess_of_out_of_scope_is_declined_not_turned_into_did_you_mean(service):
    ranking = [IntentScore("out_of_scope", 0.27), IntentScore("results_art", 0.2), IntentScore("fact_budget", 0.18)]
    result = service.decide_from(ranking, [], "lv", "Iesaki labu kafejnīcu")
    assert (result.kind, result.intent, result.suggestions) == ("out_of_scope", "out_of_scope", ())
    ranking = [IntentScore("results_art", 0.27), IntentScore("out_of_scope", 0.2)]
    assert service.decide_from(ranking, [], "lv", "māksla?").kind == "clarify"


def test_did_you_mean_is_not_offered_when_no_suggestion_could_give_the_detail(service):
    unsure = [IntentScore("fact_projects", 0.3), IntentScore("fact_participants", 0.28)]
    result = service.decide_from(unsure, [], "lv", "Cik projektu un dalībnieku bija Latgalē?")
    assert (result.kind, result.entry.id, result.missing, result.suggestions) == (
        "out_of_scope", "fact_projects", "by_region", ())
    assert service.decide_from(unsure, [], "lv", "Cik projektu un dalībnieku bija?").kind == "clarify"


@pytest.mark.parametrize("text", ["Cik projektu netika īstenoti līdz galam?", "How many projects were cancelled?",
                                  "Сколько проектов не удалось завершить?"])
def test_projects_that_failed_are_a_part_the_entry_with_the_total_cannot_tell(kb, text):
    assert kb.specifics.missing_for(text, kb.entry("fact_projects").cannot_tell) == "subgroup"


@pytest.mark.parametrize("text", ["Kas ar to notika pēc 2022. gada?", "What did the organisers do after 2021?",
                                  "Что было после 2021 года?", "Vai pēc programmas beigām kaut kas turpinājās?"])
def test_what_came_after_the_programme_is_declined_by_every_entry(kb, text):
    assert kb.specifics.missing_for(text, []) == "apply"
    for entry in kb.entries.values():
        assert kb.specifics.missing_for(text, entry.cannot_tell) is not None, entry.id


@pytest.mark.parametrize(
    "text",
    [
        "kas šī programma bija: cik ilgi, cik naudas, cik cilvēku?",
        "How much money and how many projects were there?",
        "Сколько было денег и сколько партнёров?",
        "Расскажите коротко про программу: когда была, сколько денег, какой размах.",
        "Īsumā — cik ilgi tas notika, par kādu naudu, cik cilvēku?",  # a phrase between the two questions
        "Give me a quick rundown of the whole thing: years, money, scale.",  # a list of them
        "budžets, gadi un projekti?",
    ],
)
def test_several_figures_the_overview_gives_together_are_answered_by_it(service, text):
    for ranking in ([IntentScore("fact_participants", 0.9)],  # a fact entry would decline two figures
                    [IntentScore("fact_budget", 0.3), IntentScore("fact_participants", 0.28)]):  # or "did you mean"
        result = service.decide_from(ranking, [], "lv", text)
        assert (result.kind, result.intent, result.entry.id, result.missing) == (
            "answer", "programme_overview", "programme_overview", None)


def test_several_figures_of_one_topic_or_where_neither_entry_can_tell_are_still_declined(service):
    split = service.decide_from([IntentScore("fact_partners", 0.9)], [], "lv", "Cik bija pašvaldību un cik NVO partneru?")
    assert (split.kind, split.entry.id, split.missing) == ("out_of_scope", "fact_partners", "two_figures")
    restated = "Cik plašu auditoriju programma sasniedza, respektīvi, cik bija dalībnieku?"  # one figure, said twice
    assert service.decide_from([IntentScore("fact_participants", 0.9)], [], "lv", restated).kind == "answer"
    region = service.decide_from([IntentScore("fact_projects", 0.9)], [], "lv", "Cik naudas un cik projektu bija Latgalē?")
    assert (region.kind, region.entry.id, region.missing) == ("out_of_scope", "programme_overview", "by_region")
    declined = service.decide_from([IntentScore("out_of_scope", 0.9)], [], "en", "How much money and how many projects?")
    assert (declined.kind, declined.intent) == ("out_of_scope", "out_of_scope")


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("entry: programme_overview", "entry: programme_summary", "unknown entry id 'programme_summary'"),
        ("  kind: two_figures", "  kind: three_figures", "several_figures: unknown kind 'three_figures'"),
        ("  kind: two_figures", "  kind: breakdown", "entry 'programme_overview' cannot tell 'breakdown'"),
        ("also_gives: [amount]", "also_gives: [treasure]", "several_figures: unknown kind 'treasure'"),
        ("also_gives: [amount]", "also_gives: [by_year]", "entry 'programme_overview' cannot tell 'by_year'"),
    ],
)
def test_a_broken_several_figures_section_is_refused_with_the_file(tmp_path, old, new, error):
    data = _copy(tmp_path)
    path = data / "specifics.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=rf"specifics\.yaml: .*{error}"):
        load_knowledge_base(data)


@pytest.mark.parametrize("text", ["Cik eiro iztērēja uz vienu dalībnieku?", "How much was spent per participant?",
                                  "Сколько денег приходилось на одного участника?",
                                  "Cik liela bija lielākā viena projekta summa?"])
@pytest.mark.parametrize("entry", ["fact_participants", "fact_budget"])
def test_money_per_participant_is_declined_by_the_totals(kb, text, entry):
    assert kb.specifics.missing_for(text, kb.entry(entry).cannot_tell) == "per_item"


@pytest.mark.parametrize("text", ["Vai programma turpinās arī 2025. gadā?", "ko programma dara tagad, 2024 gada?",
                                  "Will it run again in 2026?", "Программа работает и в 2025 году?"])
def test_the_programme_now_or_later_is_not_answered_with_its_period(kb, text):
    assert kb.specifics.missing_for(text, kb.entry("fact_period").cannot_tell) == "apply"

