"""Freeze a newly written evaluation set: drop the items that leak, write the rest as `knowledge/eval/<name>.yaml`.

A blind set is written by people who never saw the training examples (knowledge/README.md, "A new blind set").
Before it is used, every item that is a twin (`knowledge.leaks`) of a training text — the examples *and* the
diacritic-free copies training adds — of an item of another evaluation set, or of an earlier item of the same set,
is removed, and items whose label is no entry are refused. Only counts are printed: the items of a set that is to
be measured once stay unread.

    python -m nlu.freeze knowledge/eval/blind12.yaml written_a.yaml written_b.yaml --header header.txt

Each written file holds `items: [{text, lang, intent, style}]`. The new set must then be added to
`knowledge.loader.EVAL_FILES` (first) before it is evaluated.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.leaks import LeakIndex
from knowledge.loader import EVAL_FILES, KnowledgeBase, load_heldout, load_knowledge_base
from knowledge.yamlio import safe_load

from .build import training_texts

OUT_OF_SCOPE = "out_of_scope"
FIELDS = ("text", "lang", "intent", "style")


@dataclass
class Frozen:
    kept: list[dict[str, str]] = field(default_factory=list)
    removed: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        groups = Counter(item["lang"] if item["intent"] != OUT_OF_SCOPE else OUT_OF_SCOPE for item in self.kept)
        written = len(self.kept) + sum(self.removed.values())
        return (f"{written} written; removed {dict(self.removed) or 'none'}; kept {len(self.kept)}: "
                + ", ".join(f"{group} {count}" for group, count in sorted(groups.items())))


def freeze(items: Iterable[dict[str, str]], kb: KnowledgeBase, other_sets: Sequence[Path]) -> Frozen:
    """The items that may be used, in their order, and why the others were removed."""
    training = LeakIndex(
        text for intent in kb.intents for text in training_texts(kb, intent, ascii_copies=True, answers=False)
    )
    others = LeakIndex(item.text for path in other_sets for item in load_heldout(path))
    own = LeakIndex([])
    frozen = Frozen()
    for item in items:
        text = item["text"]
        if item["intent"] not in kb.entries and item["intent"] != OUT_OF_SCOPE:
            frozen.removed["unknown label"] += 1
        elif training.twin_of(text) is not None:
            frozen.removed["twin of a training text"] += 1
        elif others.twin_of(text) is not None:
            frozen.removed["twin of another set's item"] += 1
        elif own.twin_of(text) is not None:
            frozen.removed["twin of an earlier item"] += 1
        else:
            own.add(text)
            frozen.kept.append({name: str(item[name]) for name in FIELDS})
    return frozen


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write(path: Path, header: str, items: Iterable[dict[str, str]]) -> None:
    """The set in the repository's one-item-per-line shape, under a `#` comment header."""
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.strip().splitlines())
    lines = [f"  - {{text: {_quoted(item['text'])}, lang: {item['lang']}, intent: {item['intent']}, "
             f"style: {item['style']}}}\n" for item in items]
    path.write_text(comment + "items:\n" + "".join(lines), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the frozen set to write (knowledge/eval/NAME.yaml)")
    parser.add_argument("written", type=Path, nargs="+", help="the files the authors wrote")
    parser.add_argument("--header", type=Path, required=True, help="who wrote the set, when, how (a text file)")
    args = parser.parse_args(argv)
    items = [item for path in args.written for item in safe_load(path.read_text(encoding="utf-8"))["items"]]
    others = [Path(path) for path in EVAL_FILES if Path(path).resolve() != args.out.resolve()]
    frozen = freeze(items, load_knowledge_base(), others)
    header = args.header.read_text(encoding="utf-8").format(
        written=len(items), removed=sum(frozen.removed.values()), kept=len(frozen.kept))
    write(args.out, header, frozen.kept)
    print(frozen.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
