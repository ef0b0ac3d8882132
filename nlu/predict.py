"""Parse many texts with a trained Rasa model, in-process (runs in the Rasa venv, Python 3.10).

    .venv-nlu/bin/python nlu/predict.py MODEL.tar.gz IN.json OUT.json

IN.json is a list of texts; OUT.json a list of intent rankings [[intent, confidence], ...]. Used by the
pipeline comparison, where starting a server per candidate model would only add waiting. Deliberately
imports nothing from this project: the Rasa venv has Rasa's pinned libraries, not ours.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")


async def _predict(model: str, texts: list[str]) -> tuple[list, list[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    await agent.parse_message("warm up")
    rankings, durations = [], []
    for text in texts:
        started = time.perf_counter()
        result = await agent.parse_message(text)
        durations.append(time.perf_counter() - started)
        rankings.append([[item["name"], item["confidence"]] for item in result.get("intent_ranking", [])])
    return rankings, durations


def main() -> int:
    model, source, target = sys.argv[1:4]
    with open(source, encoding="utf-8") as handle:
        texts = json.load(handle)
    import resource

    rankings, durations = asyncio.run(_predict(model, texts))
    ordered = sorted(durations) or [0.0]
    seconds_per_text = sum(ordered) / len(ordered)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(target, "w", encoding="utf-8") as handle:
        json.dump({"rankings": rankings, "seconds_per_text": seconds_per_text, "p95_seconds": p95,
                   "max_rss_mb": max_rss_mb}, handle, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
