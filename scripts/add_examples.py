"""`python -m scripts.add_examples NEW.yaml` — add training examples written for the next round of issue 11
(`knowledge/README.md`, "A new blind set") to the knowledge base, the same way staff teach one from chat
(`bot.staff.kb_editor.add_example`): one line each under the entry's examples, the file otherwise untouched.

NEW.yaml maps entry (or meta intent) → language → texts:

    fact_budget:
      lv: ["Cik eiro kopā bija programmas rīcībā?"]
      en: ["What was the total pot?"]

Each text is refused, with the reason, when it is a twin of an evaluation question (it would leak into the
evaluation), already an example, or asks for a detail its entry's answer does not give; the others are added.
Exit status 1 when anything was refused, so a refusal is never missed in a longer command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.staff.kb_editor import KbEditError, add_example
from knowledge.loader import DEFAULT_DATA_DIR
from knowledge.yamlio import read_yaml


class BadRequest(ValueError):
    """NEW.yaml is not `{intent: {language: [texts]}}`."""


def requested(path: Path) -> list[tuple[str, str, str]]:
    """(intent, language, text) in the file's order."""
    data = read_yaml(path, BadRequest)
    if not isinstance(data, dict):
        raise BadRequest(f"{path}: expected a mapping of entry → language → list of texts")
    items = []
    for intent, languages in data.items():
        if not isinstance(languages, dict):
            raise BadRequest(f"{path}: '{intent}': expected a mapping of language → list of texts")
        for language, texts in languages.items():
            if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
                raise BadRequest(f"{path}: '{intent}' {language}: expected a list of texts")
            items.extend((str(intent), str(language), text) for text in texts)
    return items


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("new", type=Path, help="YAML: entry → language → texts")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="the knowledge base's data folder")
    args = parser.parse_args(argv)
    try:
        items = requested(args.new)
    except BadRequest as exc:
        print(exc, file=sys.stderr)
        return 2
    refused = 0
    for intent, language, text in items:
        try:
            add_example(args.data_dir, intent, language, text)
        except KbEditError as exc:
            refused += 1
            print(f"refused {intent} [{language}]: {exc}")
    print(f"added {len(items) - refused}, refused {refused}")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
