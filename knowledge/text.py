"""Text normalisation shared by the NLU data build, the lexical matcher and language detection.

Latvian applicants very often type without diacritics ("budzets" for "budžets"), so every
comparison in this project happens on *folded* text: lower-cased, diacritics removed.
Cyrillic is left as it is (folding "й" to "и" would merge distinct Russian words).
"""

from __future__ import annotations

import re
import unicodedata

LANGUAGES: tuple[str, ...] = ("lv", "en", "ru")

_LATVIAN_DIACRITICS = set("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


# Combining marks, except right after a Cyrillic letter (й = и + breve, ё = е + diaeresis keep theirs).
_LATIN_MARKS = re.compile(r"(?<![\u0400-\u04FF])[\u0300-\u036F]+")


def fold_latin_diacritics(text: str) -> str:
    """Remove diacritics from Latin letters only ("Budžets" -> "Budzets"), keep Cyrillic intact. Called some 80
    times per question, hence the ASCII shortcut and one regular expression instead of a loop over characters."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text)))


def fold(text: str) -> str:
    """Lower-case, fold Latin diacritics and collapse white space: the key every comparison uses."""
    return _SPACES.sub(" ", fold_latin_diacritics(text).casefold()).strip()


def words(text: str) -> list[str]:
    """Folded word tokens (letters and digits), punctuation dropped."""
    return _WORD.findall(fold(text))


def has_latvian_diacritics(text: str) -> bool:
    return any(char in _LATVIAN_DIACRITICS for char in text)


def script_of(text: str) -> str | None:
    """'cyrillic', 'latin' or None, by majority of letters."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if cyrillic == latin == 0:
        return None
    return "cyrillic" if cyrillic > latin else "latin"


# A question often comes with sentences about the asker or courtesies around it ("Journalist in Liepāja here.
# How many projects …?", "Labdien! Esmu režisore. Kā programmā …? Paldies!"). Only the sentences that ask carry the
# question: a town or a role in the introduction is not the detail asked for, and a greeting or a story around the
# question pulls a classifier away from it. Sentences end at . ! ? ; — not at a colon, which mostly opens the detail
# asked ("Which area got the most: culture or education?", "How was it evaluated: surveys, interviews?") — and a dash
# between spaces separates the parts of a sentence; a dot after a digit is an ordinal, not a sentence end ("2019.
# gadā", "21. gadsimta"), unless a capital letter follows ("… joined around 2012. So which years …?"). In chat an
# emoji ends a sentence too ("klientes strīdas, vai tur bija miljoni 😅 cik naudas bija visai programmai?").
_EMOJI = "\U0001F300-\U0001FAFF\u2600-\u27BF"
_SENTENCE = re.compile(rf"(?:[^.!?;{_EMOJI}]|(?<=\d)\.(?!\s*[A-ZĀČĒĢĪĶĻŅŠŪŽА-ЯЁ]))+[.!?;{_EMOJI}\s]*")
_DASH = re.compile(r"\s[-–—]+\s")
_QUESTION_WORDS = (
    r"(cik|ka|kas|ko|kam|kads|kada|kadi|kadas|kadu|kados|kur|kurp|kad|kapec|kuri|kuras|kurs|kura|kuros|kurus|vai|"
    r"pastastiet|pastasti|"
    r"how|what|which|who|whom|whose|where|when|why|is|are|was|were|did|do|does|can|could|would|should|will|tell|"
    r"сколько|как|какой|какая|какие|каких|каким|какую|каков|кто|кому|чем|где|куда|когда|почему|зачем|что|"
    r"расскажите|можно|есть)"
)
# A question word after a preposition ("Uz kādām pakāpēm …", "In which year …", "По каким …"), with the oblique
# forms that only ask after one ("kādām" alone is also "someone's").
_PREPOSITION = r"(uz|par|no|ar|pec|pie|pa|in|on|at|for|from|of|by|with|about|в|во|на|о|об|по|с|со|из|для|от|за|к|у)"
_OBLIQUE = r"(kadam|kadiem|kadai|kuram|kuriem|kurai|кем|ком|чему|каком|какими|которых|которым)"
_INTERROGATIVE = re.compile(rf"^\W*({_QUESTION_WORDS}|{_PREPOSITION} ({_QUESTION_WORDS}|{_OBLIQUE}))\b")
# A sentence that is only a courtesy: a greeting, thanks or a sign-off of a few words.
_COURTESY = re.compile(
    r"^\W*(labdien\w*|labrit|labvakar|sveik\w*|cau|hei|paldies|liels paldies|ar cienu|hello|hi|hey|good (morning|"
    r"afternoon|evening|day)|dear \w+|thanks?|thank you|many thanks|cheers|regards|best regards|здравствуй\w*|"
    r"привет\w*|добр\w+ (день|утро|вечер)|спасибо|заранее спасибо|благодарю|с уважением)\b"
)


# A sentence that asks without a question mark: a wish to know or a request for a list or names, often beside a
# question ("Which territories were revived? I'd like the names of the towns.", "… ? Gribu nosaukumus un autorus.").
_WANT = (
    r"(i'?d like|i would like|i want|i need|i wish|(wants?|would like|needs?|asked me|asks me) to|gribu|gribetu|gribam|"
    r"gribetum|grib|velos|veletos|velas|vajag|vajadzetu|хочу|хотел\w* бы|хотим|хочет|хотят|просит|просил\w*|нужн\w*|"
    r"нужен)"
)
_INFO = r"(know|find out|learn|check|clarify|names?|lists?|zinat|uzzinat|noskaidrot|precizet|parbaudit|уточнить|проверить|nosaukum\w*|sarakst\w*|vard\w*|знать|узнать|выяснить|названи\w*|имена|список)"
# The Latvian debitive says the wish and the knowing in one word ("Man jāzina, kurus gadus …").
_MUST_KNOW = r"(jazina|jauzina|janoskaidro)"
# The wish opens the sentence (within its first four words): deep inside a long introduction ("I'm a student making a
# website for a youth NGO, and I need to list …") it belongs to the introduction, whose words are not the detail asked.
_REQUEST = re.compile(
    rf"^\W*(\w+\W+){{0,3}}({_WANT} (\w+ ){{0,3}}{_INFO}|{_MUST_KNOW})\b|\b(nosauciet|uzskaitiet|nosauc|uzskaiti|назовите|перечислите|"
    r"name them|list them|please (list|name))\b|^\W*(the )?(names|list|nosaukumi|nosaukumus|saraksts|sarakstu|названия|список)\b|"
    # a request said as one ("Lūgums iedot īsu pārskatu …", "Please give me a summary …", "Дайте обзор …")
    r"^\W*(\w+\W+){0,2}(lugums|ludzu|ludzam|please|пожалуйста|прошу)\W+(\w+\W+)?(iedot|iedodiet|sniegt|sniedziet|"
    r"pastastit|izstastit|izstastiet|paskaidrot|paskaidrojiet|give|tell|share|summari[sz]e|explain|describe|"
    r"дать|дайте|рассказать|расскажите|объяснить|объясните|опишите)\b|^\W*(iedodiet|izstastiet|paskaidrojiet|"
    r"tell me|give me|explain|summari[sz]e|describe|дайте|объясните|опишите)\b"
)


# A question that only asks to confirm what the sentence before it says ("Lasīju, ka partneru bija ap simtu. Vai tā
# tiešām ir?"), or only asks for the answer to it ("… mūsu kundzes nevar vienoties, cik ļaužu piedalījās. Vai varat
# pateikt precīzu skaitu?"): that sentence is what is asked about.
_CONFIRMATION = re.compile(
    r"^\W*(vai (ta|tas|tiesa)( tiesam| tiesi| gan)? ?(ir|bija|taisniba)?|vai tiesa|vai taisniba|is (that|it|this) "
    r"(right|true|correct|so)|am i right|right|correct|так ли это|это правда|правда ли это|верно|я прав\w*|"
    r"(vai )?(jus )?(varat|variet|varetu|vareta|vari|varetum)( man)? "
    r"(pateikt|pasacit|nosaukt|apstiprinat|pastastit|izstastit|paskaidrot)"
    r"( (precizu|pareizo|isto))?( (skaitu|ciparu|summu|atbildi))?( ludzu)?|"
    r"(can|could) you (tell|give|explain)( (it|this|that))?( to)? (me|us)? ?"
    r"(the )?((exact|right|precise|correct) )?(number|figure|answer|amount)?( please)?|"
    r"(what|which) (is|was) (the )?((exact|right|precise|correct|real|actual) )?(count|number|figure|amount)( then)?|"
    r"(kads|kada) (tad )?(ir|bija) (precizs|pareizais|istais|precizais) (skaits|cipars)|"
    r"(вы )?(можете|могли бы|не подскажете)( мне)? (сказать|назвать|подтвердить|рассказать|объяснить)?( точн\w+| правильн\w+)?"
    r"( цифр\w*| числ\w*| ответ)?( пожалуйста)?|(какая|какое|каково) (же )?(точн|правильн|реальн)\w+ (цифра|число)|"
    # "how many, really?": the figure the sentence before names
    r"cik (tad )?((to|tie|tas|vinu) )?(bija |ir )?(tad )?(patiesiba|isteniba|ista|tiesam|kopa|kopuma)?|"
    r"how (many|much) ((were|was) (there|it|they) )?(really|actually|in fact|in reality|then|in total)?|"
    r"сколько (же )?((их|его|е[её]) )?(было )?(на самом деле|в действительности|всего|тогда)?|"
    # a bare request, "explain it, briefly", "Объясните, пожалуйста, в двух словах": about the sentence before
    r"((ludzu|please|пожалуйста),? )?(paskaidrojiet|izstastiet|pastastiet|paskaidro|izstasti|pastasti|explain|"
    r"describe|summari[sz]e|tell me( more)?|объясните|расскажите|опишите|поясните)( (it|that|this|to me|to us|to))?"
    r"(,? (ludzu|please|пожалуйста))?(,? (isuma|isi|dazos vardos|divos vardos|sikak|briefly|in short|in brief|"
    r"in (a few|two) words|simply|коротко|кратко|вкратце|в двух словах|в нескольких словах|подробнее|простыми словами))?"
    r"(,? (ludzu|please|пожалуйста))?)\W*$"
)


# A wish to know (or to mention), or someone's asking, followed by the question itself, anywhere in a sentence ("Vadu
# kori Daugavpilī un gribētu zināt, cik partneru bija programmai.", "… skolotāja man pajautāja, cik projektu bija."):
# the question is what follows, the rest is the introduction.
_MENTION = r"(mention|write|say|include|pieminet|minet|ierakstit|uzrakstit|noradit|упомянуть|написать|указать)"
_ASKED = r"(asked( me| us)?|wondered|wonders|(pa)?jautaja|(pa)?jauta|vaicaja|спросил\w*|интересуется|интересовал\w*)"
_EMBEDDED = re.compile(
    rf"(\b{_WANT} (\w+ ){{0,3}}({_INFO}|{_MENTION})|\b{_MUST_KNOW}|\b{_ASKED}( \w+)?)\W+"
    rf"(?=({_PREPOSITION} )?({_QUESTION_WORDS}|{_OBLIQUE})\b)"
)
# Curiosity said outright, in a sentence that asks ("Mūsu biedrībai interesē, pēc kādiem principiem tā darbojās?", or
# one a confirmation after it carries: "… darbojās. Varat pastāstīt?"). Unlike a wish to know, it makes no sentence
# a question: "I'm curious how funders work with grantees. How did this programme work?" asks the second.
_CURIOSITY = re.compile(
    rf"\b(interese|interesetu|interesanti|curious|wondering|wonder|интересно|интересует|интересуют)\W+"
    rf"(?=({_PREPOSITION} )?({_QUESTION_WORDS}|{_OBLIQUE})\b)"
)


def _after_match(pattern: re.Pattern[str], sentence: str) -> str | None:
    """What follows `pattern`'s match in the folded sentence, in the sentence's own spelling; None without a match
    or with nothing after it."""
    tokens = sentence.split()
    folded = fold(" ".join(tokens))  # token for token as the sentence's own: folding keeps every word one word
    match = pattern.search(folded)
    rest = tokens[folded[:match.end()].count(" "):] if match else []
    return " ".join(rest) or None


def _embedded_question(sentence: str) -> str | None:
    """The question after a wish to know in the sentence, in its own spelling, or None."""
    return _after_match(_EMBEDDED, sentence)


# What the asker already knows, before what they ask ("I know there were 170 projects, but how many partners?",
# "Я знаю про 170 проектов, а партнёров сколько было?"): the question is what follows the "but".
_KNOWN = re.compile(
    r"^\W*(i (already )?know|we (already )?know|(es )?(jau )?zinu|(mes )?(jau )?zinam|я (уже )?знаю|мы (уже )?знаем)\b"
    r"[^?]*?\W(but|bet|а|но)\W+"
    # … or says it after the topic, as something told, read or understood ("Budžetu jau zinu, bet …", "Par naudu man
    # jau pateica, bet …", "ok so i know it ran …, but like …", "партнёров было 66, это понятно, а …")
    r"|^[^?]*?\b(jau (zinu|zinam|lasiju|dzirdeju|sapratu|pateica|teica|stastija)|(zinu|lasiju|sapratu) jau|"
    r"i (already )?know|i('ve| have) (already )?read|(я )?(уже )?знаю|ja (uzhe )?znaju|это понятно|это ясно)\b"
    r"[^?]*?\W(but|bet|а|но|a(?= (skolko|kak|chto|kakie|cik|kas|ko|kur|kad)\b))\W+"
)


def _after_what_is_known(sentence: str) -> str:
    """The question after what the asker says they know (or after their curiosity), in its own spelling; the
    sentence when there is none, or when what follows only asks to confirm it ("Zinu, ka bija 170, bet cik tad
    patiesībā?")."""
    question = _after_match(_KNOWN, sentence)
    if question is not None and _CONFIRMATION.search(fold(question)):
        question = None
    return question or _after_match(_CURIOSITY, sentence) or sentence


def _with_what_it_confirms(sentence: str, sentences: list[str]) -> str:
    """A confirmation question with the sentence before it, which says what is to be confirmed."""
    if not _CONFIRMATION.search(fold(sentence)) or sentence not in sentences:
        return sentence
    number = sentences.index(sentence)
    if number == 0:
        return sentence
    before = sentences[number - 1]
    return f"{_embedded_question(before) or before} {sentence}"


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE.findall(text) if part.strip()]


def _interrogative(part: str) -> bool:
    return bool(_INTERROGATIVE.search(fold(part)))


# A part before a dash this long is an introduction ("Bauskas kultūras centrā gatavojam stendu …, un man vajag
# pārbaudīt vienu skaitli — cik liels bija budžets?"), not a topic the question is about ("medijpratība — rezultāti?").
MIN_INTRODUCTION_WORDS = 6


# Before a dash, what someone said or the asker half-remembers is what the question checks, no introduction ("Viņš
# saka, ka programmai bija desmit miljoni — cik tur patiesībā bija naudas?").
_CLAIM = re.compile(
    r"\b(saka|teica|sacija|stasta|apgalvo|dzirdeju|lasiju|skiet|liekas|domaju|says|said|claims|heard|read|think|"
    r"thought|believe|говорит|говорят|сказал\w*|слышал\w*|читал\w*|думаю|кажется|уверяет)\b"
)


def _without_introduction_at_dashes(sentence: str) -> str:
    """The sentence from its part that asks (`_dash_span`) when what comes before it is an introduction — unless
    that part only asks to confirm it ("Dzirdēju, ka katlā bija trīs miljoni — vai tā tiešām bija?") or the part
    before it says what is to be checked (`_CLAIM`)."""
    parts = _dashed(sentence)
    start, _ = _dash_span(parts)
    lead = " ".join(parts[:start])
    if (len(words(lead)) < MIN_INTRODUCTION_WORDS or _CONFIRMATION.search(fold(" ".join(parts[start:])))
            or _CLAIM.search(fold(lead))):
        return sentence
    return " ".join(parts[start:])


def _dashed(sentence: str) -> list[str]:
    return [part.strip() for part in _DASH.split(sentence) if part.strip()]


def _dash_span(parts: list[str]) -> tuple[int, int]:
    """Where the parts of an asking sentence around spaced dashes ask (first and last index): from the first with
    "?" that starts with a question word, else the first that starts with a question word, else the first with "?"
    ("Journalist in Liepāja here — how many?" → "how many?"), through the last with "?" — a list after a dash is the
    detail asked ("How was it evaluated — sample size, interviews?", "how many in each area — culture, education?")."""
    asks = [i for i, part in enumerate(parts) if "?" in part and _interrogative(part)] or [
        i for i, part in enumerate(parts) if _interrogative(part)] or [
        i for i, part in enumerate(parts) if "?" in part] or [0]
    start = asks[0]
    return start, max([i for i, part in enumerate(parts) if "?" in part and i >= start], default=start)


def _dash_parts(sentence: str) -> list[str]:
    """The parts of an asking sentence around spaced dashes that ask (`_dash_span`)."""
    parts = _dashed(sentence)
    start, end = _dash_span(parts)
    return parts[start:end + 1]


_COLON = re.compile(r":\s+")


def _after_introduction(sentence: str) -> str:
    """A sentence from its first part that asks, at colons: a colon after an introduction ends it ("Preparing a
    briefing for our municipality in Jūrmala: what changed?" → "what changed?"); after a question it opens the detail
    asked and stays ("Which area got the most funding: culture or education?")."""
    parts = _COLON.split(sentence)
    for number, part in enumerate(parts):
        if "?" in part or _interrogative(part):
            return ": ".join(parts[number:])
    return sentence


def asking_part(text: str, at_dashes: bool = True) -> str:
    """The sentences of a message that ask something — those ending in "?" or asking for information in other words
    (`_REQUEST`; after a wish to know, only the question that follows it), else those starting with a question word,
    else all but the courtesies (greetings, thanks), each without an introduction before a colon — in the message's
    own spelling; the whole text when that leaves nothing.
    `at_dashes=True` also keeps, within those, only the parts around spaced dashes that ask (for finding the detail
    asked: "Journalist in Liepāja here — how many?"); `at_dashes=False` keeps "topic — question?" together (for
    classifying the topic with the question) and drops only a long introduction before a dash."""
    sentences = _sentences(text)
    embedded = {sentence: question for sentence in sentences if (question := _embedded_question(sentence))}
    asking = [embedded.get(sentence, sentence) for sentence in sentences
              if "?" in sentence or sentence in embedded or _REQUEST.search(fold(sentence))] or [
        sentence for sentence in sentences if _interrogative(sentence)
    ] or [
        sentence for sentence in sentences
        if not (_COURTESY.search(fold(sentence)) and len(words(sentence)) <= 4)
    ]
    asking = [_with_what_it_confirms(sentence, sentences) for sentence in asking]
    # a sentence that the confirmation after it now carries is not asked twice
    asking = [part for k, part in enumerate(asking) if not (k + 1 < len(asking) and asking[k + 1].startswith(f"{part} "))]
    asking = [_after_introduction(_after_what_is_known(sentence)) for sentence in asking]
    if at_dashes:
        asking = [part for sentence in asking for part in _dash_parts(sentence)]
    else:
        asking = [_without_introduction_at_dashes(sentence) for sentence in asking]
    return " ".join(asking) if asking else text


# Russian typed in Latin letters ("skolko deneg bylo na programmu?"), the way people write on a keyboard without
# Cyrillic. Two common spellings of the soft vowels: "ja/ju/j" and "ya/yu/y".
_TRANSLIT_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "h", "ц": "c", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e",
}
_TRANSLIT_STYLES = {
    "j": _TRANSLIT_COMMON | {"й": "j", "ю": "ju", "я": "ja"},
    "y": _TRANSLIT_COMMON | {"й": "y", "ю": "yu", "я": "ya", "х": "kh", "ц": "ts"},
}


def transliterate_russian(text: str, style: str = "j") -> str:
    """Cyrillic letters spelled in Latin ones, lower case ("Сколько людей?" → "skolko ljudej?")."""
    table = _TRANSLIT_STYLES[style]
    return "".join(table.get(char, char) for char in text.lower())


# Russian texts the classifiers also learn in Latin letters (the first few examples of an intent): enough for the
# character n-grams to meet "skolko ljudej", few enough not to slow training down.
LATIN_LETTER_COPIES = 8


def latin_letter_copy(text: str, number: int) -> str:
    """The `number`-th Latin-letter copy of a Russian text: the two common spellings by turns."""
    return transliterate_russian(text, "jy"[number % 2])
