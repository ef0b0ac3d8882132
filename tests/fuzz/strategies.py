"""Hypothesis strategies for Telegram updates as the Bot API delivers them (JSON dicts, turned into PTB Updates
by the tests): texts of every shape, media, edits, groups and channels, commands for other bots, and callback
data — random bytes, every known prefix with garbage, and well-formed data naming real and made-up rows."""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

from hypothesis import strategies as st

from bot.app import COMMANDS
from bot.config import PROJECT_DIR
from bot.offline import BOT_USER
from bot.staff import STAFF_COMMANDS
from bot.surveys.schema import load_surveys
from handlers.common import _KINDS, SHAPES
from knowledge.loader import load_knowledge_base

from .rig import ADMIN, STAFF_GROUP

KB = load_knowledge_base()
SURVEYS = load_surveys(PROJECT_DIR / "surveys")
USERS = [5001, 5002, 5003, 5004]
_ids = itertools.count(1)
_message_ids = itertools.count(1)

# --- texts -----------------------------------------------------------------------------------------------------------

SPECIALS = "<>&\"';/#\\`*_[]()~|{}"
CONTROL = "".join(map(chr, [*range(0, 32), *range(127, 160)])) + "\u2028\u2029\ufeff\u200b\u200c\u200d\u2060\u00ad"
RTL = "\u202e\u202b\u202a\u200f\u200e\u05d0\u05d1\u05d2\u05e9\u05dc\u05d5\u05dd\u0627\u0644\u0639\u0631\u0628\u064a"
COMBINING = "\u0300\u0301\u0302\u0308\u0327\u0336\u20dd\u0489\u0e49\u0951"
EMOJI = ["👍", "🙋", "🏳️‍🌈", "👨‍👩‍👧‍👦", "🇱🇻", "❤️", "🔥", "😀", "🤷🏽‍♀️", "🧑🏿‍🚀", "1️⃣"]
WHITESPACE = " \t\n\r\u00a0\u2003\u3000\u200b\u2028"
PHRASES = [
    "kads bija programmas budzets?", "Какой был бюджет программы?", "What was the budget?", "cik partneru?",
    "gribu runāt ar cilvēku", "I want to talk to a person", "хочу поговорить с человеком", "rezultati?",
    "pastāsti vairāk", "tell me more", "in Russian please", "по-английски", "paldies", "sveiki", "1", "3", "5", "10",
    "0", "-1", "jā", "nē", "yes", "no", "<b>bold</b> & co", "=SUM(A1)", "@someone +371 20000000 a@b.lv",
]

any_text = st.text(max_size=80)
specials_text = st.text(alphabet=SPECIALS + "ab ", min_size=1, max_size=4096)
control_text = st.text(alphabet=CONTROL + "a", min_size=1, max_size=300)
rtl_text = st.text(alphabet=RTL + COMBINING + " a1", min_size=1, max_size=600)
emoji_text = st.lists(st.sampled_from(EMOJI), min_size=1, max_size=300).map("".join)
blank_text = st.text(alphabet=WHITESPACE, min_size=1, max_size=40)
huge_text = st.builds(lambda character, count: character * count, st.sampled_from("&<>\"é𝔘 \n"),
                      st.integers(1000, 4096))
phrase = st.sampled_from(PHRASES)


# Strategies are built once, here: building them inside a draw costs more than the update it makes.
_command_name = st.one_of(st.sampled_from([*COMMANDS, *STAFF_COMMANDS]), st.from_regex(r"[a-z_]{1,32}", fullmatch=True))
_addressee = st.sampled_from(["", "", "@OtherBot", f"@{BOT_USER['username']}", "@"])
_command_args = st.one_of(st.just(""), st.sampled_from([" staff_demo", " participants", " assistant 5", " assistant 999999",
                                                        " survey_assistant", " survey_participants", " survey_nope"]),
                          st.text(max_size=100).map(lambda text: " " + text))


@st.composite
def command_text(draw: st.DrawFn) -> str:
    return f"/{draw(_command_name)}{draw(_addressee)}{draw(_command_args)}"


texts = st.one_of(any_text, specials_text, control_text, rtl_text, emoji_text, blank_text, huge_text, phrase,
                  command_text())

# --- messages --------------------------------------------------------------------------------------------------------


def person(user_id: int, language: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "<Anna & Co>", "username": f"user_{user_id}"}
    if language is not None:
        user["language_code"] = language
    return user


languages = st.sampled_from([None, "lv", "en", "ru", "de", "", "pt-br", "zh-hans"])


def chat_for(kind: str, user_id: int) -> dict[str, Any]:
    if kind == "private":
        return {"id": user_id, "type": "private", "first_name": "Anna"}
    if kind == "group":
        return {"id": -4000000 - user_id, "type": "group", "title": "A group"}
    if kind == "staff":
        return {"id": STAFF_GROUP, "type": "supergroup", "title": "Staff"}
    if kind == "channel":
        return {"id": -1002000000000, "type": "channel", "title": "A channel"}
    return {"id": -1003000000000 - user_id, "type": "supergroup", "title": "A supergroup"}


STICKER = {"file_id": "s", "file_unique_id": "s", "width": 512, "height": 512, "is_animated": False,
           "is_video": False, "type": "regular"}


_content_kind = st.sampled_from(["text"] * 6 + ["sticker", "photo", "voice", "document", "location", "contact", "dice",
                                               "members", "reply"])
_reply_id = st.integers(1, 1100)
_replied_text = st.sampled_from(["🙋 #1", "…", "🙋"])
_caption = st.one_of(any_text, specials_text.map(lambda text: text[:1024]))
_latitude, _longitude, _dice = st.floats(-90, 90), st.floats(-180, 180), st.integers(1, 6)
_user = st.sampled_from(USERS)


@st.composite
def content(draw: st.DrawFn) -> dict[str, Any]:
    """What a message carries: mostly text, else media and the other kinds a chat can send."""
    kind = draw(_content_kind)
    if kind in ("text", "reply"):
        text = draw(texts)
        body: dict[str, Any] = {"text": text}
        command = re.match(r"/\S*", text)
        if command:  # Telegram marks a leading command (in UTF-16 code units)
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command.group(0).encode("utf-16-le")) // 2}]
        if kind == "reply":
            body["reply_to_message"] = {"message_id": draw(_reply_id), "date": int(time.time()),
                                        "chat": {"id": 1, "type": "private"}, "from": BOT_USER,
                                        "text": draw(_replied_text)}
        return body
    if kind == "sticker":
        return {"sticker": STICKER}
    if kind == "photo":
        return {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 90, "height": 90}],
                "caption": draw(_caption)}
    if kind == "voice":
        return {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}}
    if kind == "document":
        return {"document": {"file_id": "d", "file_unique_id": "d", "file_name": draw(any_text) or "x"}}
    if kind == "location":
        return {"location": {"latitude": draw(_latitude), "longitude": draw(_longitude)}}
    if kind == "contact":
        return {"contact": {"phone_number": "+37120000000", "first_name": draw(any_text) or "X"}}
    if kind == "dice":
        return {"dice": {"emoji": "🎲", "value": draw(_dice)}}
    return {"new_chat_members": [person(draw(_user), None)]}


_chat_kind = st.sampled_from(["private"] * 8 + ["group", "supergroup", "staff", "channel"])
_update_kind = st.sampled_from(["message"] * 8 + ["edited_message", "business_message"])
_channel_kind = st.sampled_from(["channel_post", "edited_channel_post"])
_content = content()


@st.composite
def message_update(draw: st.DrawFn, users: st.SearchStrategy[int] = _user) -> dict[str, Any]:
    user_id = draw(users)
    chat_kind = draw(_chat_kind)
    update_kind = draw(_update_kind)
    message: dict[str, Any] = {"message_id": next(_message_ids), "date": int(time.time()),
                               "chat": chat_for(chat_kind, user_id), **draw(_content)}
    if chat_kind == "channel":
        update_kind = draw(_channel_kind)
        message["sender_chat"] = message["chat"]
    else:
        message["from"] = person(user_id, draw(languages))
    if update_kind.startswith("edited"):
        message["edit_date"] = int(time.time())
        message["date"] = int(time.time()) - 86400
    if update_kind == "business_message":
        message["business_connection_id"] = "biz"
    return {"update_id": next(_ids), update_kind: message}


# --- callback data ----------------------------------------------------------------------------------------------------

REAL = {
    "id": [str(n) for n in range(0, 40)],
    "key": [*SURVEYS, *KB.entries, *KB.taxonomy.categories, "out_of_scope", "staff_demo"],
    "question": [q.id for survey in SURVEYS.values() for q in survey.questions],
    "choice": [c.id for survey in SURVEYS.values() for q in survey.questions for c in q.choices],
    "value": ["1", "3", "5", "7", "10", "0", "-1", "y", "n", "unsure", "culture", "none"],
}


_LOWER, _DIGITS = "abcdefghijklmnopqrstuvwxyz", "0123456789"


def _word(first: str, rest: str, longest: int) -> st.SearchStrategy[str]:
    """Like the grammar's `[first][rest]{0,longest}` (cheaper to draw than st.from_regex)."""
    return st.builds(str.__add__, st.sampled_from(first), st.text(alphabet=rest, max_size=longest))


# Well-formed made-up values of each argument kind (see handlers.common._KINDS), mixed with real ones.
_MADE_UP = {
    "id": st.integers(0, 10**12 - 1).map(str), "key": _word(_LOWER, _LOWER + _DIGITS + "_", 39),
    "question": _word(_LOWER, _LOWER + _DIGITS + "_", 23), "choice": _word(_LOWER + _DIGITS, _LOWER + _DIGITS + "_", 15),
    "value": st.one_of(st.integers(-999, 999).map(str), _word(_LOWER + _DIGITS, _LOWER + _DIGITS + "_", 15)),
    "count": st.integers(0, 999).map(str), "page": st.integers(0, 99).map(str),
}


def _kind_value(kind: str) -> st.SearchStrategy[str]:
    made_up = _MADE_UP[kind] if kind in _MADE_UP else st.from_regex(_KINDS[kind], fullmatch=True)  # short alternatives
    return st.one_of(st.sampled_from(REAL[kind]), made_up) if kind in REAL else made_up


KIND_VALUES = {kind: _kind_value(kind) for kind in _KINDS}


def shaped_data(prefix: str = "", exclude: str | None = None) -> st.SearchStrategy[str]:
    """Data in one of our shapes (those starting with `prefix`, not with `exclude`), naming real or made-up rows
    (ids of other users' questions and responses)."""
    shapes = [re.split(r"\{(\w+)\}", shape) for shape in sorted(SHAPES.values())
              if shape.startswith(prefix) and not (exclude and shape.startswith(exclude))]
    return st.one_of(*(st.tuples(*(st.just(part) if index % 2 == 0 else KIND_VALUES[part]
                                   for index, part in enumerate(parts))).map("".join) for parts in shapes))


PREFIXES = sorted({shape.split("{")[0] for shape in SHAPES.values()} | set(SHAPES.values()))
callback_data = st.one_of(
    shaped_data(), shaped_data(),
    st.binary(min_size=1, max_size=64).map(lambda raw: raw.decode("latin-1")),
    st.binary(min_size=1, max_size=64).map(lambda raw: raw.decode("utf-8", "replace")),
    st.text(max_size=100),
    st.builds(lambda prefix, garbage: prefix + garbage, st.sampled_from(PREFIXES), st.text(max_size=70)),
)


_where = st.sampled_from(["private"] * 6 + ["inaccessible", "group", "inline"])


@st.composite
def callback_update(draw: st.DrawFn, users: st.SearchStrategy[int] = _user,
                    data: st.SearchStrategy[str] = callback_data) -> dict[str, Any]:
    user_id = draw(users)
    query: dict[str, Any] = {"id": str(next(_ids)), "from": person(user_id, draw(languages)), "chat_instance": "fuzz",
                             "data": draw(data)}
    where = draw(_where)
    if where == "inline":
        query["inline_message_id"] = "inline-1"
    else:
        query["message"] = {"message_id": draw(_reply_id),
                            "date": 0 if where == "inaccessible" else int(time.time()),
                            "chat": chat_for("private" if where != "group" else "group", user_id)}
        if where != "inaccessible":
            query["message"] |= {"from": BOT_USER, "text": "…"}
    return {"update_id": next(_ids), "callback_query": query}


# --- staff -----------------------------------------------------------------------------------------------------------

ADMIN_COMMANDS = tuple(name for name in STAFF_COMMANDS if name not in ("export", "chart"))  # those start background tasks


_staff_names = st.sampled_from(STAFF_COMMANDS)
_staff_args = st.lists(st.one_of(st.sampled_from([*SURVEYS, "staff_demo", "5", "100", "0", "-3", "999999", "csv",
                                                  "xlsx", "overall"]), any_text), max_size=3)


@st.composite
def staff_command(draw: st.DrawFn, users: st.SearchStrategy[int] = _user,
                  names: st.SearchStrategy[str] = _staff_names) -> dict[str, Any]:
    """A staff command with arguments of every kind, in a private chat."""
    user_id = draw(users)
    name = draw(names)
    args = draw(_staff_args)
    text = " ".join([f"/{name}", *args])
    message = {"message_id": next(_message_ids), "date": int(time.time()), "chat": chat_for("private", user_id),
               "from": person(user_id, draw(languages)), "text": text,
               "entities": [{"type": "bot_command", "offset": 0, "length": len(name) + 1}]}
    return {"update_id": next(_ids), "message": message}


admin = st.just(ADMIN)
# The admin's buttons, except ➕ "add as an example" (adm:a:…): it rewrites and re-validates a knowledge-base file,
# seconds per press — tests/unit/test_staff_kb_editor.py and the staff handler tests cover it.
admin_data = st.one_of(shaped_data("adm:", exclude="adm:a:"), st.builds(lambda garbage: "adm:" + garbage, st.text(max_size=60)))
admin_commands = st.sampled_from(ADMIN_COMMANDS)
staff_data = st.one_of(shaped_data("adm:"), shaped_data("adm:"),
                       st.builds(lambda garbage: "adm:" + garbage, st.text(max_size=60)))
