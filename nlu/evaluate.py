"""Evaluate the NLU on the held-out set, side by side with the lexical fallback matcher.

    python -m nlu.evaluate --rasa-url http://127.0.0.1:5005 [--token T]   # the running Rasa server
    python -m nlu.evaluate --predictions preds.json                       # rankings from nlu/predict.py
    python -m nlu.evaluate --lexical-only

Prints, per language group (lv, lv without diacritics, en, ru, out-of-scope):
* top-1 accuracy: the highest-ranked intent is the right one;
* decision accuracy: what the bot would actually do with its thresholds (bot.qa.QAService.decide) is right —
  the right answer, the right conversational reply, or an honest "not covered" for out-of-scope questions;
* the main confusions, and a threshold sweep (coverage vs precision) used to choose the answer thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.nlu_client import IntentScore
from bot.qa import QAService, Thresholds
from knowledge.language import LanguageDetector
from knowledge.loader import DEFAULT_HELDOUT_FILE, KnowledgeBase, load_heldout, load_knowledge_base
from knowledge.matcher import LexicalMatcher
from knowledge.schema import HeldOutItem

GROUPS = ("lv", "lv_ascii", "en", "ru", "out_of_scope")
GROUP_NAMES = {
    "lv": "lv",
    "lv_ascii": "lv without diacritics",
    "en": "en",
    "ru": "ru",
    "out_of_scope": "out of scope (all languages)",
}


def group_of(item: HeldOutItem) -> str:
    return "out_of_scope" if item.intent == "out_of_scope" else item.lang


@dataclass
class EngineReport:
    name: str
    top1: dict[str, list[bool]] = field(default_factory=dict)
    decided: dict[str, list[bool]] = field(default_factory=dict)
    outcomes: Counter = field(default_factory=Counter)
    confusions: Counter = field(default_factory=Counter)
    seconds_per_text: float = 0.0

    def rate(self, table: dict[str, list[bool]], group: str) -> float:
        values = table.get(group, [])
        return sum(values) / len(values) if values else float("nan")

    def overall(self, table: dict[str, list[bool]]) -> float:
        values = [value for group in table.values() for value in group]
        return sum(values) / len(values) if values else float("nan")


def decision_is_right(service: QAService, item: HeldOutItem, ranking: list[IntentScore], engine: str) -> tuple[bool, str]:
    result = service.decide(ranking, engine, "lv")  # type: ignore[arg-type]
    if item.intent == "out_of_scope":
        return result.kind == "out_of_scope", result.kind
    if item.intent in service.kb.meta:
        return result.kind == "meta" and result.intent == item.intent, result.kind
    return result.kind == "answer" and result.entry is not None and result.entry.id == item.intent, result.kind


def score(
    name: str, items: list[HeldOutItem], rankings: list[list[IntentScore]], service: QAService, engine: str
) -> EngineReport:
    report = EngineReport(name)
    for item, ranking in zip(items, rankings, strict=True):
        group = group_of(item)
        top = ranking[0].intent if ranking else "(nothing)"
        report.top1.setdefault(group, []).append(top == item.intent)
        right, kind = decision_is_right(service, item, ranking, engine)
        report.decided.setdefault(group, []).append(right)
        report.outcomes[(group == "out_of_scope", kind)] += 1
        if top != item.intent:
            report.confusions[(item.intent, top)] += 1
    return report


def sweep(items: list[HeldOutItem], rankings: list[list[IntentScore]], kb: KnowledgeBase) -> list[tuple]:
    """For answer thresholds 0.3…0.95: share of in-scope questions answered directly (coverage), share of
    those answers that were right (precision), and share of out-of-scope questions wrongly answered."""
    rows = []
    for step in range(30, 100, 5):
        threshold = step / 100
        answered = right = oos_total = oos_answered = 0
        in_scope = 0
        for item, ranking in zip(items, rankings, strict=True):
            top = ranking[0] if ranking else None
            is_answer = top is not None and top.confidence >= threshold and top.intent in kb.entries
            if item.intent == "out_of_scope":
                oos_total += 1
                oos_answered += is_answer
                continue
            if item.intent not in kb.entries:
                continue
            in_scope += 1
            answered += is_answer
            right += is_answer and top.intent == item.intent
        rows.append((threshold, answered / in_scope, right / answered if answered else 1.0, oos_answered / oos_total))
    return rows


def lexical_rankings(matcher: LexicalMatcher, items: list[HeldOutItem]) -> tuple[list[list[IntentScore]], float]:
    started = time.perf_counter()
    rankings = [[IntentScore(c.intent, c.score) for c in matcher.rank(item.text)] for item in items]
    return rankings, (time.perf_counter() - started) / len(items)


async def rasa_rankings(url: str, token: str | None, items: list[HeldOutItem]) -> tuple[list[list[IntentScore]], float]:
    """Parse every item through the real server, one request at a time (as the bot does)."""
    import httpx

    rankings: list[list[IntentScore]] = []
    durations: list[float] = []
    async with httpx.AsyncClient(timeout=10) as client:
        for item in items:
            started = time.perf_counter()
            response = await client.post(
                f"{url.rstrip('/')}/model/parse", json={"text": item.text}, params={"token": token} if token else {}
            )
            durations.append(time.perf_counter() - started)
            response.raise_for_status()
            ranking = response.json().get("intent_ranking") or []
            rankings.append([IntentScore(r["name"], float(r["confidence"])) for r in ranking])
    durations.sort()
    return rankings, durations[len(durations) // 2]


def prediction_rankings(path: Path) -> tuple[list[list[IntentScore]], float]:
    data = json.loads(path.read_text(encoding="utf-8"))
    rankings = [[IntentScore(name, float(conf)) for name, conf in ranking] for ranking in data["rankings"]]
    return rankings, float(data.get("seconds_per_text", 0.0))


def build_service(kb: KnowledgeBase, settings: Settings, matcher: LexicalMatcher) -> QAService:
    return QAService(
        kb, None, matcher, LanguageDetector(kb),
        Thresholds(settings.nlu_answer_threshold, settings.nlu_suggest_threshold),
        Thresholds(settings.lexical_answer_threshold, settings.lexical_suggest_threshold),
    )


def render(reports: list[EngineReport], sweeps: dict[str, list[tuple]], items: list[HeldOutItem]) -> str:
    sizes = Counter(group_of(item) for item in items)
    lines = ["## Accuracy on the held-out set", ""]
    header = "| group | n | " + " | ".join(f"{r.name} top-1 | {r.name} decision" for r in reports) + " |"
    lines += [header, "|" + "---|" * (2 + 2 * len(reports))]
    for group in GROUPS:
        cells = " | ".join(f"{r.rate(r.top1, group):.1%} | {r.rate(r.decided, group):.1%}" for r in reports)
        lines.append(f"| {GROUP_NAMES[group]} | {sizes[group]} | {cells} |")
    cells = " | ".join(f"**{r.overall(r.top1):.1%}** | **{r.overall(r.decided):.1%}**" for r in reports)
    lines.append(f"| all | {len(items)} | {cells} |")
    lines.append("")
    for report in reports:
        lines.append(f"{report.name}: {report.seconds_per_text * 1000:.1f} ms per question")
    for report in reports:
        lines += ["", f"### {report.name}: main confusions (expected → top-1)", ""]
        for (gold, predicted), number in report.confusions.most_common(10):
            lines.append(f"- {gold} → {predicted}: {number}")
        outcomes = ", ".join(
            f"{'out-of-scope' if oos else 'in-scope'} → {kind}: {n}" for (oos, kind), n in sorted(report.outcomes.items())
        )
        lines.append(f"- decisions: {outcomes}")
    for name, rows in sweeps.items():
        lines += ["", f"### {name}: answer-threshold sweep", "",
                  "| threshold | in-scope answered directly | precision of direct answers | out-of-scope wrongly answered |",
                  "|---|---|---|---|"]
        lines += [f"| {t:.2f} | {c:.1%} | {p:.1%} | {o:.1%} |" for t, c, p, o in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--rasa-url")
    source.add_argument("--predictions", type=Path)
    source.add_argument("--lexical-only", action="store_true")
    parser.add_argument("--token")
    parser.add_argument("--heldout", type=Path, default=DEFAULT_HELDOUT_FILE)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--markdown", type=Path, help="also write the report as Markdown here (docs/)")
    args = parser.parse_args(argv)

    kb = load_knowledge_base()
    items = load_heldout(args.heldout, kb)
    settings = Settings(_env_file=None)
    matcher = LexicalMatcher(kb)
    service = build_service(kb, settings, matcher)

    reports, sweeps = [], {}
    if not args.lexical_only:
        if args.rasa_url:
            rankings, latency = asyncio.run(rasa_rankings(args.rasa_url, args.token, items))
        else:
            rankings, latency = prediction_rankings(args.predictions)
        rasa = score("Rasa", items, rankings, service, "rasa")
        rasa.seconds_per_text = latency
        reports.append(rasa)
        sweeps["Rasa"] = sweep(items, rankings, kb)
    lexical_ranks, lexical_latency = lexical_rankings(matcher, items)
    lexical = score("lexical", items, lexical_ranks, service, "lexical")
    lexical.seconds_per_text = lexical_latency
    reports.append(lexical)
    sweeps["lexical"] = sweep(items, lexical_ranks, kb)

    report_text = render(reports, sweeps, items)
    print(report_text)
    if args.markdown:
        header = (
            "# NLU evaluation on the held-out set\n\n"
            f"Produced by `make eval` on {time.strftime('%Y-%m-%d')} (Rasa server over HTTP with the trained model "
            "`nlu/models/current.tar.gz`, vs the in-process lexical matcher). *Top-1*: the best-ranked intent is "
            "right. *Decision*: what the bot does with its thresholds is right (the right answer or reply, or an "
            "honest decline for out-of-scope questions; a \"did you mean\" counts as not right).\n\n"
        )
        args.markdown.write_text(header + report_text + "\n", encoding="utf-8")
    if args.json:
        figures = {
            r.name: {
                "top1": {g: r.rate(r.top1, g) for g in GROUPS} | {"all": r.overall(r.top1)},
                "decision": {g: r.rate(r.decided, g) for g in GROUPS} | {"all": r.overall(r.decided)},
                "ms_per_question": r.seconds_per_text * 1000,
            }
            for r in reports
        }
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
