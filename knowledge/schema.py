"""The knowledge-base schema: what an entry, a meta intent and the taxonomy must look like.

Validation happens at load time so that a broken YAML edit is caught by `make test` / at bot start with
a message that names the file, the entry and the field — never as a confusing failure later.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from .text import LANGUAGES

MIN_EXAMPLES_PER_LANGUAGE = 10
MAX_TITLE_LENGTH = 40
META_INTENTS: tuple[str, ...] = (
    "greet",
    "thanks",
    "goodbye",
    "help",
    "bot_challenge",
    "human_handoff",
    "out_of_scope",
    "smalltalk",
)
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Strict):
    """One text in each supported language."""

    lv: NonEmpty
    en: NonEmpty
    ru: NonEmpty

    def get(self, language: str) -> str:
        text: str = getattr(self, language if language in LANGUAGES else "lv")
        return text


class Title(Localized):
    lv: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE_LENGTH)]
    en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE_LENGTH)]
    ru: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE_LENGTH)]


ExampleList = Annotated[list[NonEmpty], Field(min_length=MIN_EXAMPLES_PER_LANGUAGE)]


class Examples(_Strict):
    """Example questions per language; the NLU model and the lexical matcher learn from these."""

    lv: ExampleList
    en: ExampleList
    ru: ExampleList

    def all(self) -> list[tuple[str, str]]:
        return [(lang, text) for lang in LANGUAGES for text in getattr(self, lang)]


def _check_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError("must be ascii snake_case, 2-40 characters, starting with a letter")
    return value


class Entry(_Strict):
    """One answerable topic of the presentation."""

    id: str
    category: NonEmpty
    source: NonEmpty
    title: Title
    answer: Localized
    # What the answer cannot tell and where to ask instead (e.g. the presentation describes 2016–2021 and says
    # nothing about current calls): shown after the answer together with a button that passes the question
    # to staff. Kept apart from `answer`, which stays faithful to the presentation.
    caveat: Localized | None = None
    examples: Examples
    related: list[str] = Field(default_factory=list)
    # Kinds of detail (`specifics.yaml`: by_year, by_region, names, ...) the answer does not give. A question
    # that asks for one of them is declined with this entry as the overall context, not answered by it.
    cannot_tell: list[str] = Field(default_factory=list)

    _valid_id = field_validator("id")(_check_id)


class MetaIntent(_Strict):
    """A conversational intent (greet, out_of_scope, ...): examples only, the reply is a bot text."""

    id: str
    examples: Examples

    @field_validator("id")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in META_INTENTS:
            raise ValueError(f"unknown meta intent; expected one of {', '.join(META_INTENTS)}")
        return value


def _check_patterns(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"'{pattern}' is not a valid regular expression: {exc}") from exc
    return patterns


class SpecificKind(_Strict):
    """A kind of detail the presentation does not give, recognised by regular expressions on folded text."""

    patterns: list[NonEmpty] = Field(min_length=1)
    # Patterns that only count when the question does not also ask for the total ("... in Riga, in total?").
    unless_total: list[NonEmpty] = Field(default_factory=list)

    _valid = field_validator("patterns", "unless_total")(_check_patterns)


class SeveralFigures(_Strict):
    """Figures one entry gives together (the overview: money, projects, people, partners, years). A question asking
    for two figures (`kind`) about two or more of these topics is answered by `entry`; two figures of one topic
    ("how many were municipalities and how many NGOs") stay a detail no entry gives."""

    kind: NonEmpty
    entry: NonEmpty
    # Other kinds `entry` gives though the fact entries do not (an amount of money): not missing when it answers.
    also_gives: list[NonEmpty] = Field(default_factory=list)
    # Other ways to ask for several figures than `kind` ("cik ilgi, cik naudas, cik cilvēku?").
    patterns: list[NonEmpty] = Field(default_factory=list)
    topics: dict[str, list[NonEmpty]] = Field(min_length=2)

    _valid = field_validator("patterns")(_check_patterns)

    @field_validator("topics")
    @classmethod
    def _valid_topics(cls, topics: dict[str, list[str]]) -> dict[str, list[str]]:
        for patterns in topics.values():
            _check_patterns(patterns)
        return topics


class SpecificsFile(_Strict):
    total: list[NonEmpty] = Field(min_length=1)
    kinds: dict[str, SpecificKind] = Field(min_length=1)
    several_figures: SeveralFigures | None = None
    # Kinds no entry can give (who led the programme, how to apply now, where the visits went): checked for
    # every entry, as if each listed them under `cannot_tell`.
    nowhere: list[str] = Field(default_factory=list)

    _valid = field_validator("total")(_check_patterns)

    @model_validator(mode="after")
    def _nowhere_are_kinds(self) -> SpecificsFile:
        unknown = [kind for kind in self.nowhere if kind not in self.kinds]
        if unknown:
            raise ValueError(f"nowhere: unknown kind '{unknown[0]}' (not under kinds)")
        several = self.several_figures
        unknown = [kind for kind in ((several.kind, *several.also_gives) if several else ()) if kind not in self.kinds]
        if unknown:
            raise ValueError(f"several_figures: unknown kind '{unknown[0]}' (not under kinds)")
        return self


class EntriesFile(_Strict):
    entries: list[Entry]


class MetaFile(_Strict):
    intents: list[MetaIntent]


class Taxonomy(_Strict):
    sections: dict[str, Localized]
    categories: dict[str, Localized]


class HeldOutItem(_Strict):
    text: NonEmpty
    lang: Annotated[str, StringConstraints(pattern=r"^(lv|lv_ascii|en|ru)$")]
    intent: NonEmpty
    # How the item was written (plain, paraphrase, situation, greeting, typo, mixed, keywords, near_miss,
    # smalltalk): lets the evaluation say which kinds of questions fail.
    style: str | None = None


class HeldOutFile(_Strict):
    items: list[HeldOutItem]
