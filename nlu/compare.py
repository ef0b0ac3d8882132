"""Compare NLU pipelines on the held-out set, by measurement: `make compare-pipelines`.

For each candidate (a pipeline from nlu/pipelines/ × with/without diacritic-free copies of the Latvian
examples) it generates the training data from the knowledge base, trains a model with the Rasa venv
(fixed random seeds), parses the held-out set in-process (nlu/predict.py) and scores it with the same code
as `make eval`. Writes the table to docs/nlu-pipeline.md. Takes ~25 minutes on 2 cores.
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
from pathlib import Path

from bot.config import Settings
from knowledge.loader import DEFAULT_HELDOUT_FILE, load_heldout, load_knowledge_base
from knowledge.matcher import LexicalMatcher

from .build import NLU_DIR, build
from .evaluate import GROUP_NAMES, GROUPS, build_service, prediction_rankings, score

PROJECT = NLU_DIR.parent
RASA = PROJECT / ".venv-nlu" / "bin" / "rasa"
RASA_PYTHON = PROJECT / ".venv-nlu" / "bin" / "python"
CANDIDATES = [
    ("whitespace_words", False),
    ("whitespace_words", True),
    ("whitespace_char", False),
    ("whitespace_char", True),
    ("spacy_char", True),
    ("whitespace_char_logreg", False),
    ("whitespace_char_logreg", True),
]
ENV = {
    **os.environ,
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
}


def run_candidate(pipeline: str, ascii_copies: bool, work: Path, kb, items) -> dict:
    out = work / f"{pipeline}{'_ascii' if ascii_copies else ''}"
    build(out, kb, None, ascii_copies=ascii_copies)
    config = NLU_DIR / "pipelines" / f"{pipeline}.yml"
    if "SpacyNLP" in config.read_text() and not (NLU_DIR / "spacy_lv").exists():
        subprocess.run([str(RASA_PYTHON), "-c", "import spacy; spacy.blank('lv').to_disk('nlu/spacy_lv')"],
                       cwd=PROJECT, check=True, env=ENV)
    started = time.perf_counter()
    subprocess.run(
        [str(RASA), "train", "nlu", "--config", str(config), "--nlu", str(out / "data"), "--domain",
         str(out / "domain.yml"), "--out", str(out / "models"), "--fixed-model-name", "model"],
        cwd=PROJECT, check=True, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    train_seconds = time.perf_counter() - started
    texts = out / "texts.json"
    texts.write_text(json.dumps([item.text for item in items], ensure_ascii=False), encoding="utf-8")
    predictions = out / "predictions.json"
    subprocess.run([str(RASA_PYTHON), str(NLU_DIR / "predict.py"), str(out / "models" / "model.tar.gz"),
                    str(texts), str(predictions)], cwd=PROJECT, check=True, env=ENV,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rankings, seconds_per_text = prediction_rankings(predictions)
    return {"rankings": rankings, "train_seconds": train_seconds, "ms_per_text": seconds_per_text * 1000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="pipeline names to run (default: all candidates)")
    parser.add_argument("--out", type=Path, default=PROJECT / "docs" / "nlu-pipeline.md")
    args = parser.parse_args(argv)
    kb = load_knowledge_base()
    items = load_heldout(DEFAULT_HELDOUT_FILE, kb)
    service = build_service(kb, Settings(_env_file=None), LexicalMatcher(kb))
    rows = []
    work = Path(tempfile.mkdtemp(prefix="nlu-compare-"))
    try:
        for pipeline, ascii_copies in CANDIDATES:
            if args.only and pipeline not in args.only:
                continue
            print(f"training {pipeline} (ascii copies: {ascii_copies}) …", flush=True)
            result = run_candidate(pipeline, ascii_copies, work, kb, items)
            report = score(pipeline, items, result["rankings"], service, "rasa")
            rows.append((pipeline, ascii_copies, report, result))
            print(f"  top-1 {report.overall(report.top1):.1%}, trained in {result['train_seconds']:.0f}s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = [
        "# NLU pipeline comparison",
        "",
        "Produced by `make compare-pipelines` (`python -m nlu.compare`) on the held-out set",
        f"(`knowledge/eval/heldout.yaml`, {len(items)} questions never used for training); 2 CPU cores, fixed seeds.",
        "Top-1 accuracy per group; *ascii* = diacritic-free copies of the Latvian training examples added.",
        "",
        "| pipeline | ascii | " + " | ".join(GROUP_NAMES[g] for g in GROUPS) + " | all | train s | ms/parse |",
        "|---|---|" + "---|" * (len(GROUPS) + 3),
    ]
    for pipeline, ascii_copies, report, result in rows:
        cells = " | ".join(f"{report.rate(report.top1, g):.1%}" for g in GROUPS)
        lines.append(
            f"| {pipeline} | {'yes' if ascii_copies else 'no'} | {cells} | **{report.overall(report.top1):.1%}** "
            f"| {result['train_seconds']:.0f} | {result['ms_per_text']:.1f} |"
        )
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
