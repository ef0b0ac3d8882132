"""The strict Telegram HTML checker the fuzz suite relies on: it must refuse what Telegram could refuse."""

from __future__ import annotations

import pytest

from tests.telegram_html import TelegramHtmlError, visible_text

ACCEPTED = {
    "plain": "plain",
    "<b>a</b> &amp; <i>b</i>": "a & b",
    "<strong><em>x</em></strong><u>y</u><ins>z</ins><s>1</s><strike>2</strike><del>3</del>": "xyz123",
    '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>': "st",
    '<a href="https://example.org/?a=1&amp;b=2">link</a>': "link",
    '<pre><code class="language-python">x &lt; 1</code></pre>': "x < 1",
    "<blockquote expandable>q\n<b>w</b></blockquote>": "q\nw",
    '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>': "👍",
    "&lt;&gt;&quot;&#65;&#x42;": '<>"AB',
}
REFUSED = [
    "a < b", "a > b", "a & b", "&nbsp;", "&#0;", "&#xD800;", "&amp", "<b>x", "x</b>", "<b><i>x</b></i>", "<div>x</div>",
    "<b class=\"x\">y</b>", '<span class="other">x</span>', "<a>x</a>", "<a href=x>y</a>", "<code><b>x</b></code>",
    "<pre><b>x</b></pre>", "<blockquote><blockquote>x</blockquote></blockquote>", "<blockquote expandable=\"1\">x</blockquote>",
    "<B>x</B>", "</b>", '<a href="x"><a href="y">z</a></a>', "<tg-emoji>x</tg-emoji>",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepts_telegrams_subset_and_returns_the_visible_text(text):
    assert visible_text(text) == ACCEPTED[text]


@pytest.mark.parametrize("text", REFUSED)
def test_refuses_what_telegram_could_refuse(text):
    with pytest.raises(TelegramHtmlError):
        visible_text(text)
