"""Add a real applicant question as an example question of a knowledge-base entry (the single source of truth).

The edit is made in the YAML *text*, not by re-dumping the data, so the file keeps its comments, quoting,
indentation and order: the diff is exactly one new line under `examples.<language>` of the entry (or one
item added to a flow-style `[...]` list). It is then checked three ways before anything is replaced:

1. the edited text parses to exactly the old data with that one example appended;
2. the whole knowledge base, with the edited file in place of the old one, loads with
   `knowledge.loader.load_knowledge_base` (same validation as bot start and `make train`);
3. the evaluation sets' leak check (`knowledge.loader.load_heldout`) passes against it: the example
   must not be one of the held-out questions.

Only then does the new text replace the file, atomically (temporary file in the same folder + `os.replace`),
so a crash or a failed check leaves the old file untouched. The next `make train` learns the example.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.leaks import LeakIndex
from knowledge.loader import (
    EVAL_FILES,
    KnowledgeBaseError,
    load_heldout,
    load_knowledge_base,
)
from knowledge.text import LANGUAGES, fold
from knowledge.yamlio import safe_load

MAX_EXAMPLE_LENGTH = 300
_SPACES = re.compile(r"\s+")
_LOCK = threading.Lock()  # one edit at a time in this process (edits are read-modify-write)


# What could identify a person in an applicant's question: such text is never copied into the knowledge base (a
# shared, versioned file that /forget cannot reach) without a person editing it first.
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_HANDLE = re.compile(r"(?<![\w.])@\w{3,}")
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_DIGIT = re.compile(r"\d")


def identifying_details(text: str) -> list[str]:
    """Which of "email", "handle", "phone", "digits" the text contains (in that order); empty: none."""
    found = []
    if _EMAIL.search(text):
        found.append("email")
    if _HANDLE.search(_EMAIL.sub(" ", text)):
        found.append("handle")
    if _PHONE.search(text):
        found.append("phone")
    if _DIGIT.search(text):
        found.append("digits")
    return found


class KbEditError(ValueError):
    """The example cannot be added; the message says why, for staff."""


class DuplicateExample(KbEditError):
    """The same question (after folding case and diacritics) is already an example."""

    def __init__(self, message: str, owner: str) -> None:
        super().__init__(message)
        self.owner = owner


@dataclass(frozen=True)
class AddedExample:
    intent: str
    language: str
    text: str
    path: Path


def normalize(text: str) -> str:
    """One line, single spaces: how an example question is stored."""
    return _SPACES.sub(" ", text).strip()


def _node_value(mapping: yaml.MappingNode, key: str) -> yaml.Node | None:
    for key_node, value_node in mapping.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            node: yaml.Node = value_node
            return node
    return None


def _find_list(document: yaml.Node, intent: str, language: str) -> yaml.SequenceNode:
    if not isinstance(document, yaml.MappingNode):
        raise KbEditError("the file's top level is not a mapping")
    items = _node_value(document, "entries") or _node_value(document, "intents")
    if not isinstance(items, yaml.SequenceNode):
        raise KbEditError("the file has no 'entries' / 'intents' list")
    for item in items.value:
        if not isinstance(item, yaml.MappingNode):
            continue
        ident = _node_value(item, "id")
        if isinstance(ident, yaml.ScalarNode) and ident.value == intent:
            examples = _node_value(item, "examples")
            if not isinstance(examples, yaml.MappingNode):
                raise KbEditError(f"entry '{intent}' has no examples mapping")
            found = _node_value(examples, language)
            if not isinstance(found, yaml.SequenceNode) or not found.value:
                raise KbEditError(f"entry '{intent}' has no examples.{language} list")
            return found
    raise KbEditError(f"entry '{intent}' not found in the file")


def render_scalar(text: str, style: str | None) -> str:
    """`text` as a YAML scalar in the style of its neighbours ('"', "'" or plain when safe)."""
    if style == '"':
        return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar
    if style == "'":
        return "'" + text.replace("'", "''") + "'"
    dumped = yaml.safe_dump(text, allow_unicode=True, width=1 << 30, default_flow_style=False)
    dumped = dumped.removesuffix("\n...\n").rstrip("\n")
    if "\n" in dumped:  # PyYAML chose a multi-line form: use a double-quoted scalar
        return json.dumps(text, ensure_ascii=False)
    return dumped


def insert_example(source: str, intent: str, language: str, text: str) -> str:
    """The file's text with `text` appended to examples.<language> of `intent`; everything else untouched."""
    try:
        document = yaml.compose(source)
    except yaml.YAMLError as exc:
        raise KbEditError(f"not valid YAML: {exc}") from exc
    if document is None:
        raise KbEditError("the file is empty")
    sequence = _find_list(document, intent, language)
    last = sequence.value[-1]
    rendered = render_scalar(text, last.style if last.style in ('"', "'") else None)
    if sequence.flow_style:
        position = last.end_mark.index
        return source[:position] + ", " + rendered + source[position:]
    lines = source.splitlines(keepends=True)
    start_line = lines[last.start_mark.line]
    before_value = start_line[: last.start_mark.column].rstrip()
    if not before_value.endswith("-"):
        raise KbEditError(f"unexpected layout of examples.{language} of '{intent}'")
    dash_column = len(before_value) - 1
    end_line = last.end_mark.line
    if last.end_mark.column == 0 and end_line > last.start_mark.line:
        end_line -= 1  # a block scalar ends at the start of the next line
    newline = "\r\n" if lines[end_line].endswith("\r\n") else "\n"
    head = lines[: end_line + 1]
    if not head[-1].endswith(("\n", "\r")):
        head[-1] += newline
    new_line = " " * dash_column + "- " + rendered + newline
    return "".join(head) + new_line + "".join(lines[end_line + 1 :])


def _expected(data: Any, intent: str, language: str, text: str) -> Any:
    expected = copy.deepcopy(data)
    items = expected.get("entries") or expected.get("intents")
    for item in items:
        if item.get("id") == intent:
            item["examples"][language].append(text)
            return expected
    raise KbEditError(f"entry '{intent}' not found")  # pragma: no cover - insert_example found it


def _check_duplicates(kb: Any, intent: str, text: str) -> None:
    key = fold(text)
    for owner in kb.intents:
        for language, example in kb.examples(owner):
            if fold(example) == key:
                if owner == intent:
                    raise DuplicateExample(f"«{text}» is already an example of '{intent}' ({language}).", owner)
                raise DuplicateExample(
                    f"«{text}» is already an example of '{owner}' ({kb.files[owner].name}); the same question "
                    f"cannot teach two intents — the knowledge base loader rejects it.",
                    owner,
                )


def _check_answerable(kb: Any, intent: str, text: str) -> None:
    """An example of an entry must be a question its answer gives: one asking for a detail it lacks ("… in Latgale")
    is declined by the bot whatever the model says (`knowledge.specifics`), so as an example it would only teach
    the model to pick the entry for questions it cannot answer."""
    entry = kb.entries.get(intent)
    missing = kb.specifics.missing_for(text, entry.cannot_tell) if entry is not None else None
    if missing is not None:
        raise KbEditError(
            f"«{text}» asks for a detail the answer of '{intent}' does not give ({missing}): the bot declines such "
            "a question, so it cannot be an example of this entry."
        )


@functools.lru_cache(maxsize=256)
def _evaluation_index(path: Path, modified_ns: int) -> LeakIndex:
    """The questions of one evaluation set, indexed for the leak check (re-read when the file changes). The cache
    holds several times the number of sets (40 now): at 32, fewer than the sets checked in turn, every check read
    and indexed all of them again: 3.8–4.9 s for each example staff added, 0.3–0.5 s with the sets indexed once."""
    return LeakIndex(item.text for item in load_heldout(path))


def _validate_in_copy(
    data_dir: Path, path: Path, new_text: str, text: str, heldout: Path | tuple[Path, ...] | None
) -> None:
    """Load the whole knowledge base with `new_text` in place of `path` — in a scratch copy — and check that the
    new example is no twin of an evaluation question (the leak check of `make test` / `make train`, which holds
    for the examples already there: the new one is the only one that could leak)."""
    with tempfile.TemporaryDirectory(prefix="kb-check-") as scratch:
        copy_dir = Path(scratch) / "data"
        shutil.copytree(data_dir, copy_dir, ignore=shutil.ignore_patterns(".*"))
        (copy_dir / path.relative_to(data_dir)).write_text(new_text, encoding="utf-8")
        try:
            load_knowledge_base(copy_dir)
        except KnowledgeBaseError as exc:
            raise KbEditError(str(exc).replace(str(copy_dir), str(data_dir))) from exc
    sets = (heldout,) if isinstance(heldout, Path) else heldout or ()
    for evaluation_set in sets:
        if not evaluation_set.is_file():
            continue
        try:
            index = _evaluation_index(evaluation_set, evaluation_set.stat().st_mtime_ns)
        except KnowledgeBaseError as exc:
            raise KbEditError(f"the evaluation set {evaluation_set.name} does not load: {exc}") from exc
        if index.twin_of(text) is not None:
            raise KbEditError(
                f"«{text}» is (nearly) a question of the evaluation set {evaluation_set.name}; as a training "
                "example it would leak into the evaluation."
            )


def _atomic_write(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as temp:
            temp.write(text)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def add_example(
    data_dir: Path | str,
    intent: str,
    language: str,
    text: str,
    heldout: Path | str | tuple[Path, ...] | None = EVAL_FILES,
) -> AddedExample:
    """Append `text` to examples.<language> of entry (or meta intent) `intent` in its YAML file.

    Raises KbEditError (DuplicateExample for a duplicate) with a message for staff; the file is then unchanged.
    """
    data_dir = Path(data_dir)
    text = normalize(text)
    if not text:
        raise KbEditError("the question is empty")
    if len(text) > MAX_EXAMPLE_LENGTH:
        raise KbEditError(f"the question is longer than {MAX_EXAMPLE_LENGTH} characters — too long for an example")
    if language not in LANGUAGES:
        raise KbEditError(f"unknown language '{language}'")
    with _LOCK:
        try:
            kb = load_knowledge_base(data_dir)
        except KnowledgeBaseError as exc:
            raise KbEditError(f"the knowledge base does not load as it is: {exc}") from exc
        if intent not in kb.entries and intent not in kb.meta:
            raise KbEditError(f"unknown entry '{intent}'")
        _check_duplicates(kb, intent, text)
        path = kb.files[intent]
        source = path.read_text(encoding="utf-8")
        new_text = insert_example(source, intent, language, text)
        try:
            parsed = safe_load(new_text)
        except yaml.YAMLError as exc:  # pragma: no cover - caught by the comparison below in practice
            raise KbEditError(f"the edit would break the file: {exc}") from exc
        if parsed != _expected(safe_load(source), intent, language, text):
            raise KbEditError(f"could not add the example to {path.name} without changing anything else")
        _validate_in_copy(data_dir, path, new_text, text, Path(heldout) if isinstance(heldout, str) else heldout)
        _check_answerable(kb, intent, text)
        _atomic_write(path, new_text)
    return AddedExample(intent=intent, language=language, text=text, path=path)
