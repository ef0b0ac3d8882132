"""Container health check: exit 0 when the database answers and the knowledge base loads, 1 otherwise.
(The NLU server has its own health check; the bot keeps working without it, so it is not a failure here.)"""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import text

from knowledge.loader import load_knowledge_base

from .config import Settings
from .db.database import create_engine


async def _check(settings: Settings) -> None:
    load_knowledge_base(settings.knowledge_dir)
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def main() -> int:
    try:
        asyncio.run(asyncio.wait_for(_check(Settings()), timeout=8))
    except Exception as exc:  # any failure is "unhealthy", with the reason for `docker inspect`
        print(f"unhealthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("healthy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
