"""A strict checker of the Telegram Bot API's HTML subset (parse_mode=HTML), for tests: what it accepts, Telegram's
parser accepts too — it is stricter than Telegram where Telegram is lenient (a bare ">", unquoted attributes).

Rules (https://core.telegram.org/bots/api#html-style):
- tags: b strong i em u ins s strike del, span class="tg-spoiler", tg-spoiler, a href="…", code, pre
  (code class="language-…" inside pre), blockquote [expandable], tg-emoji emoji-id="…"; properly nested;
- pre and code contain no other tags (except one code directly inside pre); blockquotes are not nested;
- every <, > and & outside a tag is an entity: only &lt; &gt; &amp; &quot; and numeric ones (&#123; &#x1F600;).

`visible_text()` is the text after entity parsing — what Telegram's 4,096-character limit counts.
"""

from __future__ import annotations

import re

NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
SIMPLE_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "code", "pre", "blockquote"}
TAG = re.compile(r"<(/?)([a-z][a-z0-9-]*)((?:\s+[a-z-]+(?:=\"[^\"<>]*\")?)*)\s*>")
ATTRIBUTE = re.compile(r"\s+([a-z-]+)(?:=\"([^\"<>]*)\")?")
ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));")


class TelegramHtmlError(ValueError):
    pass


def _check_attributes(name: str, raw: str) -> None:
    attributes = dict(ATTRIBUTE.findall(raw))  # TAG already checked their form: name="value" or a bare name
    allowed: dict[str, set[str]] = {
        "a": {"href"}, "span": {"class"}, "code": {"class"}, "blockquote": {"expandable"}, "tg-emoji": {"emoji-id"},
    }
    if set(attributes) - allowed.get(name, set()):
        raise TelegramHtmlError(f"attribute not allowed in <{name}{raw}>")
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise TelegramHtmlError("a span must be class=\"tg-spoiler\"")
    if name == "a" and not attributes.get("href"):
        raise TelegramHtmlError("<a> needs href")
    if name == "tg-emoji" and not (attributes.get("emoji-id") or "").isdigit():
        raise TelegramHtmlError("<tg-emoji> needs a numeric emoji-id")
    if name == "code" and attributes.get("class") is not None and not attributes["class"].startswith("language-"):
        raise TelegramHtmlError("code class must be language-…")
    if name == "blockquote" and attributes.get("expandable"):
        raise TelegramHtmlError("expandable takes no value")


def visible_text(text: str) -> str:
    """Check `text` strictly (TelegramHtmlError on anything Telegram's parser could refuse or read differently)
    and return the text it shows."""
    shown: list[str] = []
    stack: list[str] = []  # open tags
    position = 0
    while position < len(text):
        character = text[position]
        if character == "<":
            match = TAG.match(text, position)
            if match is None:
                raise TelegramHtmlError(f"unescaped '<' or malformed tag at {position}: {text[position:position + 30]!r}")
            closing, name, raw = match.group(1) == "/", match.group(2), match.group(3)
            if name not in SIMPLE_TAGS | {"a", "span", "tg-emoji"}:
                raise TelegramHtmlError(f"unsupported tag <{name}>")
            if closing:
                if raw.strip():
                    raise TelegramHtmlError(f"attributes in a closing tag </{name}>")
                if not stack or stack[-1] != name:
                    raise TelegramHtmlError(f"</{name}> closes {stack[-1] if stack else 'nothing'}")
                stack.pop()
            else:
                _check_attributes(name, raw)
                open_tags = stack
                if "code" in open_tags:
                    raise TelegramHtmlError(f"<{name}> inside <code>")
                if "pre" in open_tags and not (name == "code" and open_tags[-1] == "pre"):
                    raise TelegramHtmlError(f"<{name}> inside <pre>")
                if name == "blockquote" and "blockquote" in open_tags:
                    raise TelegramHtmlError("nested <blockquote>")
                if name == "a" and "a" in open_tags:
                    raise TelegramHtmlError("nested <a>")
                stack.append(name)
            position = match.end()
        elif character == "&":
            match = ENTITY.match(text, position)
            if match is None:
                raise TelegramHtmlError(f"unescaped '&' or unsupported entity at {position}: {text[position:position + 12]!r}")
            named, decimal, hexadecimal = match.groups()
            if named:
                shown.append(NAMED_ENTITIES[named])
            else:
                code = int(decimal) if decimal else int(hexadecimal, 16)
                if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise TelegramHtmlError(f"invalid character reference {match.group(0)}")
                shown.append(chr(code))
            position = match.end()
        elif character == ">":
            raise TelegramHtmlError(f"unescaped '>' at {position}")
        else:
            shown.append(character)
            position += 1
    if stack:
        raise TelegramHtmlError(f"unclosed <{stack[-1]}>")
    return "".join(shown)
