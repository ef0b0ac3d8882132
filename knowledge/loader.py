"""Load and validate the knowledge base from `knowledge/data/`.

Every problem becomes a `KnowledgeBaseError` whose message names the file, the entry and the field,
so a staff member who edits a YAML file by hand sees exactly what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .schema import (
    META_INTENTS,
    EntriesFile,
    Entry,
    HeldOutFile,
    HeldOutItem,
    MetaFile,
    MetaIntent,
    SpecificsFile,
    Taxonomy,
)
from .specifics import Specifics
from .text import fold
from .yamlio import describe_location, read_yaml

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = PACKAGE_DIR / "data"
DEFAULT_HELDOUT_FILE = PACKAGE_DIR / "eval" / "heldout.yaml"
# The evaluation sets, most telling first: `independent` was written by people who saw neither the training
# examples nor the other set; `heldout` is the older set, closer to the training examples.
INDEPENDENT_EVAL_FILE = PACKAGE_DIR / "eval" / "independent.yaml"
# `fresh` was written the same way after the decision rules were last changed, so no rule was tuned on it.
FRESH_EVAL_FILE = PACKAGE_DIR / "eval" / "fresh.yaml"
# `blind` (the third such set, 293 items) was frozen before its first evaluation, after the last rule change.
BLIND_EVAL_FILE = PACKAGE_DIR / "eval" / "blind.yaml"
# `blind2` (269 items, another author) was written and frozen after the last change to rules and training data.
BLIND2_EVAL_FILE = PACKAGE_DIR / "eval" / "blind2.yaml"
# `blind3` (397 items, two more authors) was frozen before the evening's changes, which were made on the failures of
# `blind` and `blind2` (from then on development sets), and evaluated once after them.
BLIND3_EVAL_FILE = PACKAGE_DIR / "eval" / "blind3.yaml"
# `blind4` (386 items, two further authors) was written while the late-evening changes were made on blind3's failures
# (blind3 is a development set since), frozen after them with the leak check against the final training data, and
# evaluated once.
BLIND4_EVAL_FILE = PACKAGE_DIR / "eval" / "blind4.yaml"
# `blind5` (391 items, two more authors) was written while the night's changes were made on blind4's failures
# (blind4 is a development set since), frozen after them with the leak check against the final training data, and
# evaluated once.
BLIND5_EVAL_FILE = PACKAGE_DIR / "eval" / "blind5.yaml"
# `blind6` … `blind37` (394, 392, 374, 368, 339, 353, 364, 377, 399, 338, 345, 344, 351, 352, 369, 342, 332, 326,
# 331, 333, 348, 335, 344, 345, 334, 351, 360, 349, 361, 333, 336 and 313 items; two more authors each) came from thirty-two rounds on 2026-12-01/02, each like blind5's: written while
# that round's changes were made on the failures of the set before (which became a development set), frozen after them
# with the leak check against the final training data (from blind12 on by `python -m nlu.freeze`), and evaluated once.
LATEST_BLIND_SET = 37
ROUND_EVAL_FILES = tuple(PACKAGE_DIR / "eval" / f"blind{number}.yaml" for number in range(LATEST_BLIND_SET, 5, -1))
EVAL_FILES: tuple[Path, ...] = (  # the newest first
    *ROUND_EVAL_FILES, BLIND5_EVAL_FILE, BLIND4_EVAL_FILE, BLIND3_EVAL_FILE, BLIND2_EVAL_FILE, BLIND_EVAL_FILE,
    FRESH_EVAL_FILE, INDEPENDENT_EVAL_FILE, DEFAULT_HELDOUT_FILE,
)


class KnowledgeBaseError(ValueError):
    """The knowledge base files are broken; the message says where."""


@dataclass(frozen=True)
class KnowledgeBase:
    taxonomy: Taxonomy
    entries: dict[str, Entry]
    meta: dict[str, MetaIntent]
    specifics: Specifics
    files: dict[str, Path] = field(default_factory=dict)  # entry id -> file it came from

    @property
    def intents(self) -> list[str]:
        """Every intent the NLU knows: the entry ids, then the meta intents."""
        return [*self.entries, *self.meta]

    def entry(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def by_category(self, category: str) -> list[Entry]:
        return [entry for entry in self.entries.values() if entry.category == category]

    def examples(self, intent: str) -> list[tuple[str, str]]:
        """(language, text) pairs for an entry or a meta intent."""
        item = self.entries.get(intent) or self.meta.get(intent)
        return item.examples.all() if item else []


_ITEMS = {"entries": "entry", "intents": "intent", "items": "item"}


def _validate(model: type[BaseModel], raw: Any, path: Path) -> Any:
    if raw is None:
        raise KnowledgeBaseError(f"{path}: the file is empty")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{describe_location(raw, tuple(err['loc']), _ITEMS)}: {err['msg']}" for err in exc.errors()]
        raise KnowledgeBaseError(f"{path}: " + "; ".join(problems)) from exc


def load_knowledge_base(data_dir: Path | str = DEFAULT_DATA_DIR) -> KnowledgeBase:
    data_dir = Path(data_dir)
    taxonomy_path = data_dir / "taxonomy.yaml"
    taxonomy: Taxonomy = _validate(Taxonomy, read_yaml(taxonomy_path, KnowledgeBaseError), taxonomy_path)

    entries: dict[str, Entry] = {}
    files: dict[str, Path] = {}
    entry_files = sorted((data_dir / "entries").glob("*.yaml"))
    if not entry_files:
        raise KnowledgeBaseError(f"{data_dir / 'entries'}: no entry files (*.yaml) found")
    for path in entry_files:
        parsed: EntriesFile = _validate(EntriesFile, read_yaml(path, KnowledgeBaseError), path)
        for entry in parsed.entries:
            if entry.id in entries:
                raise KnowledgeBaseError(
                    f"{path}: entry '{entry.id}': field id: duplicate, already defined in {files[entry.id]}"
                )
            if entry.id in META_INTENTS:
                raise KnowledgeBaseError(f"{path}: entry '{entry.id}': field id: clashes with a meta intent")
            if entry.category not in taxonomy.categories:
                raise KnowledgeBaseError(
                    f"{path}: entry '{entry.id}': field category: unknown category '{entry.category}'"
                )
            if entry.source not in taxonomy.sections:
                raise KnowledgeBaseError(
                    f"{path}: entry '{entry.id}': field source: unknown section '{entry.source}'"
                )
            entries[entry.id] = entry
            files[entry.id] = path

    meta_path = data_dir / "meta.yaml"
    meta_file: MetaFile = _validate(MetaFile, read_yaml(meta_path, KnowledgeBaseError), meta_path)
    meta = {intent.id: intent for intent in meta_file.intents}
    missing = [name for name in META_INTENTS if name not in meta]
    if missing:
        raise KnowledgeBaseError(f"{meta_path}: missing meta intents: {', '.join(missing)}")
    for intent_id in meta:
        files[intent_id] = meta_path

    specifics_path = data_dir / "specifics.yaml"
    specifics = Specifics(_validate(SpecificsFile, read_yaml(specifics_path, KnowledgeBaseError), specifics_path))
    several = specifics.several_figures_entry
    if several is not None and several not in entries:
        raise KnowledgeBaseError(f"{specifics_path}: several_figures: unknown entry id '{several}'")
    lacking = [kind for kind in specifics.several_figures_gives if several and kind in entries[several].cannot_tell]
    if several is not None and lacking:
        raise KnowledgeBaseError(f"{specifics_path}: several_figures: entry '{several}' cannot tell '{lacking[0]}'")
    for entry in entries.values():
        unknown = [kind for kind in entry.cannot_tell if kind not in specifics.kinds]
        if unknown:
            raise KnowledgeBaseError(
                f"{files[entry.id]}: entry '{entry.id}': field cannot_tell: unknown kind '{unknown[0]}' "
                f"(defined in {specifics_path})"
            )
        for related in entry.related:
            if related not in entries:
                raise KnowledgeBaseError(
                    f"{files[entry.id]}: entry '{entry.id}': field related: unknown entry id '{related}'"
                )

    kb = KnowledgeBase(taxonomy=taxonomy, entries=entries, meta=meta, specifics=specifics, files=files)
    _check_examples_unambiguous(kb)
    return kb


def _check_examples_unambiguous(kb: KnowledgeBase) -> None:
    """The same question taught as two different intents would make the model contradict itself."""
    seen: dict[str, str] = {}
    for intent in kb.intents:
        for language, text in kb.examples(intent):
            key = fold(text)
            owner = seen.get(key)
            if owner is not None and owner != intent:
                raise KnowledgeBaseError(
                    f"{kb.files[intent]}: entry '{intent}': field examples.{language}: "
                    f"'{text}' is also an example of '{owner}' ({kb.files[owner]})"
                )
            seen[key] = intent


def load_heldout(path: Path | str = DEFAULT_HELDOUT_FILE, kb: KnowledgeBase | None = None) -> list[HeldOutItem]:
    """An evaluation set; with `kb`, also checks labels exist and that no item leaked into training
    (`knowledge.leaks`: equal up to case, diacritics, ё/е, punctuation and word order, or char-trigram
    Jaccard ≥ 0.8 to a training example)."""
    from .leaks import LeakIndex

    path = Path(path)
    items: list[HeldOutItem] = _validate(HeldOutFile, read_yaml(path, KnowledgeBaseError), path).items
    if kb is not None:
        index = LeakIndex(text for intent in kb.intents for _, text in kb.examples(intent))
        for number, item in enumerate(items, start=1):
            if item.intent not in kb.entries and item.intent not in kb.meta:
                raise KnowledgeBaseError(f"{path}: item #{number} '{item.text}': field intent: unknown '{item.intent}'")
            twin = index.twin_of(item.text)
            if twin is not None:
                raise KnowledgeBaseError(
                    f"{path}: item #{number} '{item.text}': field text: too close to the training example "
                    f"'{twin}' (leak)"
                )
    return items

