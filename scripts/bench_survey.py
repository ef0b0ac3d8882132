"""Survey benchmark: time to answer one question through the real PTB Application, and database rows per
completed response.

    .venv/bin/python -m scripts.bench_survey [--responses 20]

Each participant takes the shipped `participants` survey (9 questions: single, 1-5 scales, yes/no, a multi-choice
with two ticks + Done, 0-10, free text) by button presses and one text message, through
`Application.process_update` on the offline Bot API and a fresh SQLite file (WAL), exactly as the handler tests
do. "One answer" is one update: load the response, store the answer, move the pending question on, commit,
edit the answered message and send the next question.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.app import build_application, build_services, close_services
from bot.config import Settings
from bot.db.models import SurveyAnswer, SurveyReminder, SurveyResponse
from bot.offline import OfflineBotApi, UpdateFactory

PLAN = [
    ("activity_area", ["a:education"]),
    ("understanding", ["a:4"]),
    ("met_groups", ["a:together"]),
    ("view_change", ["a:5"]),
    ("belonging_change", ["a:3"]),
    ("skills", ["t:cooperation", "t:critical", "d"]),
    ("readiness", ["a:4"]),
    ("overall", ["a:9"]),
    ("improve", ["text:Vairāk laika diskusijām."]),
]


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"mean {statistics.mean(ordered) * 1000:.1f} ms, p50 {statistics.median(ordered) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms (n={len(ordered)})")


async def run(responses: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, telegram_bot_token=None, nlu_url="http://127.0.0.1:9",
                            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        services = await build_services(settings, use_nlu=False)
        api = OfflineBotApi()
        application = build_application(settings, services, request=api, rate_limit=False)
        per_update: list[float] = []  # every update (taps incl. multi-choice toggles, the text message)
        per_answer: list[float] = []  # one question answered (a multi-choice answer = its toggles + Done)
        async with application:
            for number in range(responses):
                user = UpdateFactory(application.bot, user_id=900000 + number, language_code="lv")
                await application.process_update(user.message("/start survey_participants"))
                await application.process_update(user.callback("sv:c:participants:a"))
                for qid, steps in PLAN:
                    keyboard = [b["callback_data"] for call in api.calls for b in call.buttons]
                    answer_started = time.perf_counter()
                    for step in steps:
                        if step.startswith("text:"):
                            update = user.message(step[5:])
                        else:
                            verb, _, value = step.partition(":")
                            data = next(d for d in reversed(keyboard)
                                        if d.split(":")[1] == verb and f":{qid}" in d
                                        and (not value or d.endswith(":" + value)))
                            update = user.callback(data)
                        api.clear()
                        started = time.perf_counter()
                        await application.process_update(update)
                        per_update.append(time.perf_counter() - started)
                    per_answer.append(time.perf_counter() - answer_started)
                api.clear()
            async with services.uow() as uow:
                session = uow.session
                completed = (await session.execute(select(func.count()).select_from(SurveyResponse)
                                                   .where(SurveyResponse.status == "completed"))).scalar_one()
                answers = (await session.execute(select(func.count()).select_from(SurveyAnswer))).scalar_one()
                reminders = (await session.execute(select(func.count()).select_from(SurveyReminder))).scalar_one()
        await close_services(services)
    print(f"survey answers through the handlers (offline Bot API, SQLite WAL, {responses} participants × 9 questions)")
    print(f"  one update (tap or message):   {_percentiles(per_update)}")
    print(f"  one question answered:         {_percentiles(per_answer)}")
    print(f"completed responses: {completed}; rows per completed response: "
          f"{(completed + answers + reminders) / completed:.1f} "
          f"(1 survey_responses + {answers / completed:.0f} survey_answers"
          f" + {reminders / completed:.0f} survey_reminders)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.responses))


if __name__ == "__main__":
    main()
