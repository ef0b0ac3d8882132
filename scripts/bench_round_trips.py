"""The bot's own cost per question, in process: `python -m scripts.bench_round_trips DATABASE_URL [users] [questions]`.

Each question goes the way a polled update goes — `Inbox.store`, the chat-ordered processor, the handlers — on the
given database (PostgreSQL: `scripts/postgres-test-db.sh NAME`; its schema is reset), with the NLU down (lexical
matcher) and the offline Bot API, one at a time. Prints the CPU time and the wall time per question and the socket
writes per question (≈ database round trips: the offline Bot API uses no socket). No HTTP, no concurrency: the
figure `scripts/bench_load.py --runs down` shows under load.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sys
import time
from asyncio import selector_events
from pathlib import Path
from typing import Any

from bot.app import build_application, build_services, close_services
from bot.config import Settings
from bot.offline import OfflineBotApi, UpdateFactory
from knowledge.loader import load_heldout

PROJECT = Path(__file__).resolve().parent.parent
writes: collections.Counter[str] = collections.Counter()
_write = selector_events._SelectorSocketTransport.write


def _counting_write(self: Any, data: Any) -> None:
    writes["socket"] += 1
    _write(self, data)


async def main(url: str, users: int, per_user: int) -> None:
    if url.startswith("postgresql"):
        from tests.conftest import reset_postgres_schema

        await reset_postgres_schema(url)
    texts = [item.text for item in load_heldout(PROJECT / "knowledge" / "eval" / "independent.yaml")]
    settings = Settings(_env_file=None, database_url=url, nlu_url="http://127.0.0.1:9", nlu_token=None,
                        respondent_key_secret="bench-respondent-key-secret")
    services = await build_services(settings, use_nlu=False)
    application = build_application(settings, services, request=OfflineBotApi(), rate_limit=False)
    selector_events._SelectorSocketTransport.write = _counting_write  # type: ignore[method-assign]
    async with application:
        async def ask(user: int, number: int) -> None:
            factory = UpdateFactory(application.bot, user_id=10_000 + user, language_code="lv")
            update = factory.message(texts[(user * per_user + number) % len(texts)])
            await services.inbox.store([update.to_dict()])
            await application.update_processor.process_update(update, application.process_update(update))

        for user in range(4):  # warm-up: caches, pool
            await ask(900 + user, 0)
        socket_writes, cpu, wall = writes["socket"], time.process_time(), time.perf_counter()
        for number in range(per_user):
            for user in range(users):
                await ask(user, number)
        count = users * per_user
        print(f"{count} questions: CPU {(time.process_time() - cpu) * 1000 / count:.2f} ms, wall "
              f"{(time.perf_counter() - wall) * 1000 / count:.2f} ms, socket writes "
              f"{(writes['socket'] - socket_writes) / count:.1f} per question")
    await close_services(services)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 50,
                     int(sys.argv[3]) if len(sys.argv) > 3 else 4))
