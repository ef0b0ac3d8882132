"""Evaluate question understanding on the frozen evaluation sets, beside two baselines, in one run.

    python -m nlu.evaluate --rasa-url http://127.0.0.1:5005 [--token T]   # the running Rasa server (make eval)
    python -m nlu.evaluate --predictions preds.json                       # rankings from nlu/predict.py
    python -m nlu.evaluate --lexical-only

For each set of `knowledge.loader.EVAL_FILES` (the unread blind set first — `knowledge/README.md` says which sets
were read while rules were designed, and are optimistic for that) and each language group (lv, lv without diacritics, en, ru, out of scope):

* **bot** — what the bot actually does (`bot.qa.QAService`: the NLU ranking combined with the lexical matcher,
  then the answer / "did you mean" / decline rule). Right = the right answer, the right conversational reply, or
  a decline for an out-of-scope question. A "did you mean" counts as **not** answered;
* **in did-you-mean** — of the bot's "did you mean" replies to in-scope questions, how often the right entry was
  among the suggestions (how useful the fallback is);
* **NLU top-1** — the NLU's best intent alone;
* **lexical** — the in-process lexical matcher with its own rule (what users get while Rasa is down);
* **trigram NN** — the trivial baseline: the intent of the nearest training example by character trigrams,
  always acted on (`nlu/baseline.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.nlu_client import IntentScore
from bot.qa import Classification, QAService
from knowledge.language import LanguageDetector
from knowledge.loader import EVAL_FILES, KnowledgeBase, load_heldout, load_knowledge_base
from knowledge.matcher import LexicalMatcher
from knowledge.schema import HeldOutItem

from .baseline import TrigramNearestNeighbour

GROUPS = ("lv", "lv_ascii", "en", "ru", "out_of_scope")
GROUP_NAMES = {
    "lv": "lv",
    "lv_ascii": "lv without diacritics",
    "en": "en",
    "ru": "ru",
    "out_of_scope": "out of scope",
}
Ranking = list[IntentScore]
Rankings = dict[str, Ranking]  # the NLU's ranking of each text parsed


def parse_texts(sets: list[tuple[str, list[HeldOutItem]]], service: QAService) -> list[str]:
    """Every text the bot would send to the NLU for the sets' questions (each question, and its asking sentences
    alone when it has others: `QAService.question_texts`), once each, in order."""
    return list(dict.fromkeys(part for _, items in sets for item in items for part in service.question_texts(item.text)))


def group_of(item: HeldOutItem) -> str:
    return "out_of_scope" if item.intent == "out_of_scope" else item.lang


@dataclass
class Score:
    """Right/wrong per group for one way of answering."""

    name: str
    right: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))

    def add(self, group: str, ok: bool) -> None:
        self.right[group].append(ok)

    def rate(self, group: str | None = None) -> float:
        values = self.right.get(group, []) if group else [v for vs in self.right.values() for v in vs]
        return sum(values) / len(values) if values else float("nan")

    def count(self, group: str | None = None) -> int:
        return len(self.right.get(group, [])) if group else sum(len(vs) for vs in self.right.values())


def acted_right(kb: KnowledgeBase, item: HeldOutItem, intent: str | None) -> bool:
    """Acting on `intent` directly (no thresholds) is right for this item."""
    if item.intent == "out_of_scope":
        return intent is None or intent == "out_of_scope" or intent not in kb.entries and intent not in kb.meta
    return intent == item.intent


@dataclass
class SetReport:
    title: str
    items: list[HeldOutItem]
    scores: dict[str, Score] = field(default_factory=dict)
    suggestion_hits: Score = field(default_factory=lambda: Score("in did-you-mean"))
    by_style: dict[str, Score] = field(default_factory=lambda: defaultdict(lambda: Score("style")))
    bot_outcomes: Counter = field(default_factory=Counter)
    confusions: Counter = field(default_factory=Counter)
    failures: list[tuple[HeldOutItem, str]] = field(default_factory=list)

    def score(self, name: str) -> Score:
        return self.scores.setdefault(name, Score(name))


# "Are you a bot?", written as out of scope, gets the bot_challenge reply, which declines in substance: it says the
# bot only answers questions about the programme and offers staff (tests/unit/test_locale_strings.py holds it to that).
DECLINING_META = frozenset({"bot_challenge"})


def bot_is_right(item: HeldOutItem, kind: str, intent: str | None, kb: KnowledgeBase) -> bool:
    if item.intent == "out_of_scope":
        return kind == "out_of_scope" or kind == "meta" and intent in DECLINING_META
    if item.intent in kb.meta:
        return kind == "meta" and intent == item.intent
    return kind == "answer" and intent == item.intent


def evaluate_set(
    title: str,
    items: list[HeldOutItem],
    service: QAService,
    nlu_rankings: Rankings | None,
    lexical_rankings: list[Ranking],
    baseline_rankings: list[Ranking],
) -> SetReport:
    kb = service.kb
    report = SetReport(title, items)
    for number, item in enumerate(items):
        group = group_of(item)
        lexical = lexical_rankings[number]
        parts = service.question_texts(item.text)
        nlu = nlu_rankings[parts[0]] if nlu_rankings is not None else None
        # The same path as the bot's (`QAService.classify_question`, `decide_question`), with the NLU's answers
        # fetched beforehand.
        classified = [(nlu, lexical)]
        whole = service.decide_from(nlu, lexical, "lv", item.text)
        if service.wants_focus(parts, whole):
            classified.append((nlu_rankings[parts[1]] if nlu_rankings is not None else None,
                               service.lexical_rank(parts[1])))
        decision = service.decide_question(item.text, "lv", Classification(whole, classified))
        bot_right = bot_is_right(item, decision.kind, decision.intent, kb)
        report.score("bot").add(group, bot_right)
        report.by_style[item.style or "unlabelled"].add(group, bot_right)
        report.bot_outcomes[(group == "out_of_scope", decision.kind)] += 1
        if not bot_right:
            report.failures.append((item, f"{decision.kind}:{decision.intent}:{decision.confidence:.2f}"))
            report.confusions[(item.intent, decision.intent if decision.kind == "answer" else decision.kind)] += 1
        if decision.kind == "clarify" and item.intent in kb.entries:
            report.suggestion_hits.add(group, any(entry.id == item.intent for entry in decision.suggestions))
        if nlu is not None:
            report.score("NLU top-1").add(group, acted_right(kb, item, nlu[0].intent if nlu else None))
        lexical_decision = service.within_limits(service.decide(lexical, "lexical", "lv"), item.text)
        report.score("lexical").add(group, bot_is_right(item, lexical_decision.kind, lexical_decision.intent, kb))
        baseline = baseline_rankings[number]
        report.score("trigram NN").add(group, acted_right(kb, item, baseline[0].intent if baseline else None))
    return report


def _pct(value: float) -> str:
    return "–" if value != value else f"{value:.1%}"


def render(report: SetReport, show_failures: bool) -> list[str]:
    names = list(report.scores)
    lines = [f"## {report.title}", "",
             "| group | n | " + " | ".join(names[:1] + ["in did-you-mean"] + names[1:]) + " |",
             "|---|---|" + "---|" * (len(names) + 1)]
    for group in GROUPS:
        n = report.score("bot").count(group)
        hits = report.suggestion_hits
        cells = [_pct(report.scores[names[0]].rate(group)),
                 f"{_pct(hits.rate(group))} of {hits.count(group)}" if hits.count(group) else "–"]
        cells += [_pct(report.scores[name].rate(group)) for name in names[1:]]
        lines.append(f"| {GROUP_NAMES[group]} | {n} | " + " | ".join(cells) + " |")
    hits = report.suggestion_hits
    cells = [f"**{_pct(report.scores[names[0]].rate())}**", f"{_pct(hits.rate())} of {hits.count()}"]
    cells += [f"**{_pct(report.scores[name].rate())}**" for name in names[1:]]
    lines.append(f"| all | {report.score('bot').count()} | " + " | ".join(cells) + " |")
    outcomes = ", ".join(
        f"{'out-of-scope' if oos else 'in-scope'} → {kind}: {n}" for (oos, kind), n in sorted(report.bot_outcomes.items())
    )
    lines += ["", f"Bot decisions: {outcomes}.", ""]
    if any(style != "unlabelled" for style in report.by_style):
        lines += ["Bot by the way a question was written:", "",
                  "| style | n | bot |", "|---|---|---|"]
        for style, score in sorted(report.by_style.items()):
            lines.append(f"| {style} | {score.count()} | {_pct(score.rate())} |")
        lines.append("")
    lines += ["Main confusions of the bot (expected → what it did):", ""]
    lines += [f"- {gold} → {done}: {n}" for (gold, done), n in report.confusions.most_common(12)]
    if show_failures:
        lines += ["", "Every failure:", ""]
        lines += [f"- [{item.lang}] {item.text} — expected {item.intent}, got {got}" for item, got in report.failures]
    return lines + [""]


async def rasa_rankings(url: str, token: str | None, texts: list[str]) -> tuple[list[Ranking], float]:
    """Parse every text through the real server, one request at a time (as one user would)."""
    import httpx

    rankings: list[Ranking] = []
    durations: list[float] = []
    async with httpx.AsyncClient(timeout=10) as client:
        for text in texts:
            started = time.perf_counter()
            response = await client.post(
                f"{url.rstrip('/')}/model/parse", json={"text": text}, params={"token": token} if token else {}
            )
            durations.append(time.perf_counter() - started)
            response.raise_for_status()
            ranking = response.json().get("intent_ranking") or []
            rankings.append([IntentScore(r["name"], float(r["confidence"])) for r in ranking])
    durations.sort()
    return rankings, durations[int(len(durations) * 0.95)]


def prediction_rankings(path: Path) -> tuple[list[Ranking], float]:
    data = json.loads(path.read_text(encoding="utf-8"))
    rankings = [[IntentScore(name, float(conf)) for name, conf in ranking] for ranking in data["rankings"]]
    return rankings, float(data.get("seconds_per_text", 0.0))


def build_service(kb: KnowledgeBase, settings: Settings, matcher: LexicalMatcher) -> QAService:
    return QAService.from_settings(kb, None, matcher, LanguageDetector(kb), settings)


def load_sets(kb: KnowledgeBase, files: list[Path]) -> list[tuple[str, list[HeldOutItem]]]:
    return [(path.name, load_heldout(path, kb)) for path in files if path.exists()]


@dataclass
class Prepared:
    """The parts of an evaluation that do not depend on the NLU or the decision rule, computed once."""

    sets: list[tuple[str, list[HeldOutItem]]]
    lexical: list[list[Ranking]]
    nearest: list[list[Ranking]]
    matcher: LexicalMatcher


def prepare(kb: KnowledgeBase, sets: list[tuple[str, list[HeldOutItem]]]) -> Prepared:
    matcher = LexicalMatcher(kb)
    baseline = TrigramNearestNeighbour(kb)
    lexical = [[[IntentScore(c.intent, c.score) for c in matcher.rank(matcher.spelling.correct(item.text))]
                for item in items] for _, items in sets]
    nearest = [[baseline.rank(item.text) for item in items] for _, items in sets]
    return Prepared(sets, lexical, nearest, matcher)


def evaluate_all(
    kb: KnowledgeBase, prepared: Prepared, nlu: Rankings | None, settings: Settings
) -> list[SetReport]:
    """Score every set; `nlu` holds the NLU ranking of every text of `parse_texts` (or None: no NLU)."""
    service = build_service(kb, settings, prepared.matcher)
    return [
        evaluate_set(name, items, service, nlu, prepared.lexical[index], prepared.nearest[index])
        for index, (name, items) in enumerate(prepared.sets)
    ]


def figures(reports: list[SetReport]) -> dict:
    return {
        report.title: {
            name: {group: score.rate(group) for group in GROUPS} | {"all": score.rate()}
            for name, score in report.scores.items()
        }
        | {"in_did_you_mean": report.suggestion_hits.rate()}
        for report in reports
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--rasa-url")
    source.add_argument("--predictions", type=Path)
    source.add_argument("--lexical-only", action="store_true")
    parser.add_argument("--token")
    parser.add_argument("--set", type=Path, action="append", help="evaluation set file(s); default: all")
    parser.add_argument("--failures", action="store_true", help="list every failure (for error analysis)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--markdown", type=Path, help="also write the report as Markdown here (docs/)")
    args = parser.parse_args(argv)

    kb = load_knowledge_base()
    sets = load_sets(kb, args.set or list(EVAL_FILES))
    prepared = prepare(kb, sets)
    settings = Settings(_env_file=None)
    texts = parse_texts(sets, build_service(kb, settings, prepared.matcher))
    nlu: Rankings | None = None
    latency = ""
    if args.rasa_url:
        rankings, p95 = asyncio.run(rasa_rankings(args.rasa_url, args.token, texts))
        nlu = dict(zip(texts, rankings, strict=True))
        latency = f"Rasa parse over HTTP, one request at a time: p95 {p95 * 1000:.1f} ms."
    elif args.predictions:
        rankings, per_text = prediction_rankings(args.predictions)
        nlu = dict(zip(texts, rankings, strict=True))
        latency = f"Rasa in-process: {per_text * 1000:.1f} ms per parse."
    reports = evaluate_all(kb, prepared, nlu, settings)
    lines = [line for report in reports for line in render(report, args.failures)]
    if latency:
        lines.append(latency)
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        header = (
            "# Question understanding, measured\n\n"
            f"Produced by `make eval` on {time.strftime('%Y-%m-%d')}: the Rasa server over HTTP with "
            "`nlu/models/current.tar.gz`, the bot's decision rule (`bot/qa.py`), the lexical matcher and the "
            "trigram nearest-neighbour baseline, on the same questions in one run. See `nlu/evaluate.py` for what "
            "each column means; a \"did you mean\" counts as not answered.\n\n"
        )
        args.markdown.write_text(header + text + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(figures(reports), indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
