"""The presentation's headline figures, and questions that quote one back to ask what it is.

Someone who saw "66" or "326 475" on a slide asks "What are the 66?", "Kas ir tie 170 — projekti vai cilvēki?",
"Что за цифра 66?". Those words share little with any example question — the figure is the topic. A figure
belongs to the entry whose answer states it with the fewest other numbers (170 → the projects, not the overview,
which gives every figure); a figure two such entries state alike (2016, 2021) belongs to none.

Only a question that asks what a figure is counts: "How many of the 170 were in Rīga?" asks something else (and
is declined as a breakdown by the entry's own limits, as before).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .schema import Entry
from .text import fold

# "326 475", "326,475", "326.475" are one number; "2,8" and "2.8" another; "2016-2021" two; "2021 170" two.
_NUMBER = re.compile(r"(?<![\d.,])(?:\d{1,3}(?:[  .,]\d{3}(?!\d))+|\d+)(?:[.,]\d+)?")
_THOUSANDS = re.compile(r"[  .,](?=\d{3}(?!\d))")

# The question asks what the figure is …
_WHAT_IS = re.compile(
    r"\b(kas|ko) (ir|bija|nozime|tas|tie|tiesi|par)\b|\b(tie|tas) (ir|bija)\b|"
    r"\bwhat (is|are|was|were|does|do|did)\b|\bof what\b|\bstands? for\b|\bmeans?\b|\brefers? to\b|"
    r"\bчто (за|это|значит|означает|такое|именно)\b|\bэто что\b|\bчего\b|\bозначает\b"
)
# … and nothing else: "how many of the 170 …", "kur palika 2,8 miljoni?"
_OTHER_QUESTION = re.compile(
    r"\b(cik|kur|kad|kapec|kurp|how (many|much)|where|when|why|сколько|где|когда|почему|куда)\b"
)


def numbers_in(text: str) -> set[str]:
    """The numbers in `text`, normalised: thousands separators out, a decimal comma as a dot."""
    return {_THOUSANDS.sub("", match.group()).replace(",", ".") for match in _NUMBER.finditer(text)}


class Figures:
    def __init__(self, answers: Mapping[str, Iterable[str]]) -> None:
        """`answers`: entry id → its answer texts (any language; their numbers are the same)."""
        stated = {entry_id: set().union(*(numbers_in(text) for text in texts)) for entry_id, texts in answers.items()}
        owners: dict[str, str] = {}
        for number in set().union(*stated.values()) if stated else set():
            having = sorted((len(numbers), entry_id) for entry_id, numbers in stated.items() if number in numbers)
            if len(having) == 1 or having[0][0] < having[1][0]:
                owners[number] = having[0][1]
        self._owners = owners

    @classmethod
    def of_entries(cls, entries: Mapping[str, Entry]) -> Figures:
        """The figures of the knowledge base's entries, read from their answers in every language."""
        return cls({entry_id: (entry.answer.lv, entry.answer.en, entry.answer.ru) for entry_id, entry in entries.items()})

    def owner(self, number: str) -> str | None:
        return self._owners.get(number)

    def asked_about(self, text: str) -> str | None:
        """The entry whose figure `text` asks about ("What are the 66?" → the partners), or None."""
        folded = fold(text)
        if not _WHAT_IS.search(folded) or _OTHER_QUESTION.search(folded):
            return None
        owners = {owner for number in numbers_in(text) if (owner := self._owners.get(number))}
        return owners.pop() if len(owners) == 1 else None
