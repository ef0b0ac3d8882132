"""Details the presentation does not give: "how many projects *in Latgale*", "the budget *per year*".

The model rightly recognises such a question as being about, say, the number of projects — but the knowledge base
only has the programme's total. Answering with the total would read as an answer to the question asked, so the
bot declines instead: it says the presentation has no such detail, shows the total as context and offers staff.

What counts as which detail is data (`knowledge/data/specifics.yaml`: regular expressions on folded text, in
lv/en/ru), and which entry cannot give which detail is declared on the entry (`cannot_tell`), so staff can read
and change both without touching code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .schema import SpecificsFile
from .text import asking_part, fold

# Year ranges ("2016–2021", "no 2016. līdz 2021. gadam", "с 2016 по 2021", "from 2016 to 2021") name a period,
# not one year; removed before matching.
# Matched before folding: the asking part is found in the message's own spelling (a capital letter after "2012."
# starts a sentence, a small one after "2019." continues it).
_YEAR = r"(19|20)\d\d\s*\.?\s*(g\.?|gad[aā]|г\.?|года|году)?"
_YEAR_RANGE = re.compile(
    rf"\b{_YEAR}\s*([-–—]|l[iī]dz|to|till|until|through|по|до)\s*((19|20)?\d\d)\b\.?", re.IGNORECASE
)


def _asking(text: str) -> str:
    """What the patterns are matched against: the asking part without year ranges, folded."""
    return fold(asking_part(_YEAR_RANGE.sub(" ", text)))


@dataclass(frozen=True)
class _Kind:
    patterns: tuple[re.Pattern[str], ...]
    unless_total: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class _SeveralFigures:
    kind: str  # the kind that asks for two figures
    gives: tuple[str, ...]  # `kind` and the other kinds the entry gives
    entry: str  # the entry that gives them together
    patterns: tuple[re.Pattern[str], ...]  # other ways to ask for several figures
    topics: tuple[tuple[re.Pattern[str], ...], ...]


class Specifics:
    def __init__(self, spec: SpecificsFile) -> None:
        self._total = tuple(re.compile(pattern) for pattern in spec.total)
        self._kinds = {
            name: _Kind(
                tuple(re.compile(pattern) for pattern in kind.patterns),
                tuple(re.compile(pattern) for pattern in kind.unless_total),
            )
            for name, kind in spec.kinds.items()
        }
        self._nowhere = tuple(spec.nowhere)
        several = spec.several_figures
        self._several_figures = None if several is None else _SeveralFigures(
            several.kind,
            (several.kind, *several.also_gives),
            several.entry,
            tuple(re.compile(pattern) for pattern in several.patterns),
            tuple(tuple(re.compile(pattern) for pattern in patterns) for patterns in several.topics.values()),
        )

    @property
    def several_figures_gives(self) -> tuple[str, ...]:
        """The kinds the entry of several figures gives: the kind that asks for two figures ("how many … and how
        many …") and `also_gives`."""
        return () if self._several_figures is None else self._several_figures.gives

    @property
    def several_figures_entry(self) -> str | None:
        """The entry that gives several figures together (checked against the entries by the loader)."""
        return None if self._several_figures is None else self._several_figures.entry

    def asks_several_figures(self, text: str) -> bool:
        """Whether the question asks for figures of two or more topics one entry gives together ("cik ilgi, cik
        naudas, cik cilvēku?"), not two figures of one topic ("how many municipalities and how many NGOs")."""
        several = self._several_figures
        if several is None:
            return False
        folded = _asking(text)
        if self._asked_in(folded, (several.kind,)) is None and not any(
                pattern.search(folded) for pattern in several.patterns):
            return False
        return sum(any(pattern.search(folded) for pattern in topic) for topic in several.topics) >= 2

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._kinds)

    def missing_for(self, text: str, cannot_tell: Iterable[str]) -> str | None:
        """The detail the question asks for that an entry with `cannot_tell` cannot give: its own kinds first,
        then the kinds no entry gives; None when the entry's answer fits the question."""
        return self.asked(text, (*cannot_tell, *(kind for kind in self._nowhere if kind not in cannot_tell)))

    def asked(self, text: str, kinds: Iterable[str]) -> str | None:
        """The first of `kinds` the question asks for, or None."""
        return self._asked_in(_asking(text), kinds)

    def _asked_in(self, folded: str, kinds: Iterable[str]) -> str | None:
        """`asked` on the question's asking part, already folded (`_asking`)."""
        asks_total: bool | None = None
        for name in kinds:
            kind = self._kinds[name]
            if any(pattern.search(folded) for pattern in kind.patterns):
                return name
            if kind.unless_total and any(pattern.search(folded) for pattern in kind.unless_total):
                if asks_total is None:
                    asks_total = any(pattern.search(folded) for pattern in self._total)
                if not asks_total:
                    return name
        return None
