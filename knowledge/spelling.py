"""Typing slips corrected towards the knowledge base's own words before a question is classified.

"how many parnters were involved?", "in which feilds did it work?": a word that no example, title or answer has,
one slip away from exactly one word that they do. The character n-grams of the NLU and the matcher see a slipped
word as a different word and can rank a neighbouring entry first ("parnters" → participants); the corrected word
is the one they were trained on.

Only the slips that make a new word, in words of `MIN_LENGTH` to `MAX_LENGTH` letters: two neighbouring letters
swapped, a letter typed twice, a letter left out of the stem. Not a replaced letter, and not a letter more or less in
the ending: Latvian and Russian forms of one word differ just so ("projekta" / "projekts", "vards" / "vardus"), and
that is grammar, not a slip. The word becomes the known word that close which the knowledge base uses most, if it
uses it at least `CLEAR_LEAD` times as often as the next ("parnters": "partners", not the rare "parters"); with no
clear candidate, and for known words, numbers and short words, the text stays as typed.
A word the knowledge base has only once, one slip from a word it has at least `TYPO_LEAD` times, is the typing slip
of an example written to teach slips ("partenru skaits?"), not a word of its own: it is corrected too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from .text import fold, script_of

MIN_LENGTH = 5
CLEAR_LEAD = 2
TYPO_LEAD = 5
STEM_END = 3  # the last letters, where endings are: no missing letter is put back there
MAX_LENGTH = 30  # a longer "word" is no word (a run of letters pasted or held down): its candidates would be many
_WORD = re.compile(r"[^\W\d_]+")


class SpellingCorrector:
    def __init__(self, texts: Iterable[str]) -> None:
        self._known: Counter[str] = Counter(fold(found) for text in texts for found in _WORD.findall(text))
        letters = {letter for word in self._known for letter in word}
        self._letters = {script: sorted(letter for letter in letters if script_of(letter) == script)
                         for script in ("latin", "cyrillic")}

    def __contains__(self, word: str) -> bool:
        return fold(word) in self._known

    def correct(self, text: str) -> str:
        """`text` with each slipped word replaced by the known word (folded: lower case, no diacritics)."""
        return _WORD.sub(lambda match: self._word(match.group()), text)

    def _word(self, word: str) -> str:
        folded = fold(word)
        seen = self._known.get(folded, 0)
        if not MIN_LENGTH <= len(folded) <= MAX_LENGTH or seen > 1:
            return word
        candidates = sorted({c for c in self._slips_undone(folded) if c in self._known}, key=lambda c: -self._known[c])
        if not candidates or len(candidates) > 1 and self._known[candidates[0]] < CLEAR_LEAD * self._known[candidates[1]]:
            return word
        if seen and self._known[candidates[0]] < TYPO_LEAD:
            return word
        return candidates[0]

    def _slips_undone(self, word: str) -> Iterable[str]:
        """Every word one slip away: letters swapped back, a letter typed twice taken out, a letter missing from
        the stem put in. Not in the ending: there one letter more or less is grammar ("vards" / "vardus", "tavs" /
        "tavas", "vērtēja" / "vērtējat")."""
        for at in range(len(word) - 1):
            yield word[:at] + word[at + 1] + word[at] + word[at + 2:]
        for at in range(1, len(word)):
            if word[at] == word[at - 1]:
                yield word[:at] + word[at + 1:]
        letters = self._letters.get(script_of(word) or "latin", [])
        for at in range(1, len(word) - STEM_END + 1):
            for letter in letters:
                yield word[:at] + letter + word[at:]
