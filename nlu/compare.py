"""Compare NLU pipelines on the evaluation sets, by measurement: `make compare-pipelines`.

For each candidate (a pipeline from nlu/pipelines/ × options) it generates the training data from the knowledge
base, trains a model with the Rasa venv (fixed random seeds), parses both evaluation sets in-process
(nlu/predict.py: also parse p95 and the process's peak RSS) and scores them with the same code as `make eval`:
the NLU's top-1, and the bot's decision with Rasa alone and blended with the lexical matcher (candidate d).
Then it sweeps the bot's decision rule (answer threshold × margin × lexical weight) for the best candidate on
the older held-out set (the development set) and reports the chosen rule on the independent set.
Writes docs/nlu-pipeline.md. ≈ 1–2 minutes per candidate on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from knowledge.loader import EVAL_FILES, load_knowledge_base

from .build import NLU_DIR, build
from .evaluate import (
    GROUP_NAMES,
    GROUPS,
    Prepared,
    Rankings,
    build_service,
    evaluate_all,
    load_sets,
    parse_texts,
    prediction_rankings,
    prepare,
)

PROJECT = NLU_DIR.parent
RASA = PROJECT / ".venv-nlu" / "bin" / "rasa"
RASA_PYTHON = PROJECT / ".venv-nlu" / "bin" / "python"
ENV = {
    **os.environ,
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
    "PYTHONPATH": str(PROJECT),  # custom components: nlu.components.*
}


@dataclass(frozen=True)
class Candidate:
    label: str
    pipeline: str
    answers: bool = False  # (c) the entries' titles and answer sentences as extra training examples


DEV_SET = "heldout.yaml"
CANDIDATES = [
    Candidate("(a) char n-grams + LR (before)", "whitespace_char_logreg"),
    Candidate("(c) (a) + answers as examples", "whitespace_char_logreg", answers=True),
    Candidate("(b2) stems + char n-grams + LR", "stems_char_logreg"),
    Candidate("(b) (a) + USE embeddings", "use_char_logreg"),
    Candidate("(b+b2) stems + USE + char n-grams", "stems_use_char_logreg"),
    Candidate("(b+b2+c) … + answers as examples", "stems_use_char_logreg", answers=True),
]


def run_candidate(candidate: Candidate, work: Path, kb, texts: list[str]) -> dict:
    out = work / f"{candidate.pipeline}{'_answers' if candidate.answers else ''}"
    build(out, kb, None, ascii_copies=True, answers=candidate.answers)
    config = NLU_DIR / "pipelines" / f"{candidate.pipeline}.yml"
    started = time.perf_counter()
    subprocess.run(
        [str(RASA), "train", "nlu", "--config", str(config), "--nlu", str(out / "data"), "--domain",
         str(out / "domain.yml"), "--out", str(out / "models"), "--fixed-model-name", "model"],
        cwd=PROJECT, check=True, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    train_seconds = time.perf_counter() - started
    source = out / "texts.json"
    source.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    predictions = out / "predictions.json"
    subprocess.run([str(RASA_PYTHON), str(NLU_DIR / "predict.py"), str(out / "models" / "model.tar.gz"),
                    str(source), str(predictions)], cwd=PROJECT, check=True, env=ENV,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rankings, _ = prediction_rankings(predictions)
    by_text = dict(zip(texts, rankings, strict=True))
    stats = json.loads(predictions.read_text(encoding="utf-8"))
    return {"rankings": by_text, "train_seconds": train_seconds, "p95_ms": stats["p95_seconds"] * 1000,
            "rss_mb": stats["max_rss_mb"]}


def sweep(kb, prepared: Prepared, rankings: Rankings, settings: Settings) -> list[tuple]:
    """(answer threshold, margin, lexical weight, dev-set bot accuracy, dev-set out-of-scope declined), on the
    development set (heldout.yaml) only: the independent set is for reporting, not for choosing."""
    names = [name for name, _ in prepared.sets]
    dev = names.index(DEV_SET)
    only_dev = Prepared([prepared.sets[dev]], [prepared.lexical[dev]], [prepared.nearest[dev]], prepared.matcher)
    rows = []
    for weight in (0.0, 0.2, 0.3, 0.4, 0.5):
        for threshold in (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55):
            for margin in (0.0, 0.05, 0.1, 0.15, 0.2):
                tuned = settings.model_copy(update={
                    "nlu_answer_threshold": threshold, "nlu_answer_margin": margin, "nlu_lexical_weight": weight})
                bot = evaluate_all(kb, only_dev, rankings, tuned)[0].score("bot")
                rows.append((threshold, margin, weight, bot.rate(), bot.rate("out_of_scope")))
    return rows


def table(rows: list[tuple[str, dict]], columns: list[str]) -> list[str]:
    lines = ["| candidate | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    lines += [f"| {label} | " + " | ".join(cells[c] for c in columns) + " |" for label, cells in rows]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="pipeline names to run (default: all candidates)")
    parser.add_argument("--out", type=Path, default=PROJECT / "docs" / "nlu-pipeline.md")
    parser.add_argument("--keep", type=Path, help="keep each candidate's rankings (JSON) in this folder")
    parser.add_argument("--kb", type=Path, help="knowledge base data folder (default: knowledge/data)")
    args = parser.parse_args(argv)
    kb = load_knowledge_base(args.kb) if args.kb else load_knowledge_base()
    sets = load_sets(kb, list(EVAL_FILES))
    prepared = prepare(kb, sets)
    settings = Settings(_env_file=None)
    texts = parse_texts(sets, build_service(kb, settings, prepared.matcher))
    blended = settings.nlu_lexical_weight or 0.3
    results = []
    work = Path(tempfile.mkdtemp(prefix="nlu-compare-"))
    try:
        for candidate in CANDIDATES:
            if args.only and candidate.pipeline not in args.only:
                continue
            print(f"training {candidate.label} …", flush=True)
            result = run_candidate(candidate, work, kb, texts)
            alone = settings.model_copy(update={"nlu_lexical_weight": 0.0})
            mixed = settings.model_copy(update={"nlu_lexical_weight": blended})
            results.append((candidate, result, evaluate_all(kb, prepared, result["rankings"], alone),
                            evaluate_all(kb, prepared, result["rankings"], mixed)))
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / f"{candidate.pipeline}{'_answers' if candidate.answers else ''}.json").write_text(
                    json.dumps({text: [[s.intent, s.confidence] for s in r] for text, r in result["rankings"].items()},
                               ensure_ascii=False), encoding="utf-8")
            print(f"  trained in {result['train_seconds']:.0f}s, parse p95 {result['p95_ms']:.1f} ms", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = [
        "# NLU pipeline comparison", "",
        f"Produced by `make compare-pipelines` (`python -m nlu.compare`) on {time.strftime('%Y-%m-%d')}; 2 CPU cores, "
        "fixed seeds. Each candidate is trained on the same knowledge base and scored on the same questions as "
        "`make eval`. *bot* = what the bot does with the decision rule in `bot/config.py` (a \"did you mean\" is "
        "not an answer); *bot + lexical* = the same with the lexical matcher blended in (candidate d, weight "
        f"{blended}); *trigram NN* = the trivial baseline. Parse p95 and peak RSS are in-process (nlu/predict.py).",
        "",
    ]
    for index, (set_name, items) in enumerate(sets):
        rows = []
        for candidate, result, alone, mixed in results:
            cells = {}
            for group in GROUPS:
                cells[GROUP_NAMES[group]] = (f"{alone[index].score('bot').rate(group):.1%} / "
                                             f"{mixed[index].score('bot').rate(group):.1%}")
            cells["all"] = f"**{alone[index].score('bot').rate():.1%} / {mixed[index].score('bot').rate():.1%}**"
            cells["NLU top-1"] = f"{alone[index].score('NLU top-1').rate():.1%}"
            cells["trigram NN"] = f"{alone[index].score('trigram NN').rate():.1%}"
            cells["train s"] = f"{result['train_seconds']:.0f}"
            cells["parse p95 ms"] = f"{result['p95_ms']:.1f}"
            cells["RSS MB"] = f"{result['rss_mb']:.0f}"
            rows.append((candidate.label, cells))
        columns = [GROUP_NAMES[g] for g in GROUPS] + ["all", "NLU top-1", "trigram NN"]
        if index == 0:
            columns += ["train s", "parse p95 ms", "RSS MB"]
        lines += [f"## {set_name} ({len(items)} questions): bot / bot + lexical", "", *table(rows, columns), ""]
    if results:
        dev = [name for name, _ in sets].index(DEV_SET)
        best = max(results, key=lambda r: max(r[2][dev].score("bot").rate(), r[3][dev].score("bot").rate()))
        rows = sweep(kb, prepared, best[1]["rankings"], settings)
        rows.sort(key=lambda row: (row[4] >= 0.999, row[3]), reverse=True)
        lines += [f"## Decision rule sweep for {best[0].label} on the development set (heldout.yaml)", "",
                  "| answer ≥ | margin ≥ | lexical weight | bot right | out of scope declined |", "|---|---|---|---|---|"]
        lines += [f"| {t:.2f} | {m:.2f} | {w:.1f} | {a:.1%} | {o:.1%} |" for t, m, w, a, o in rows[:15]]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
