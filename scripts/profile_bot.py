"""`python -m scripts.profile_bot OUT.prof` — run the bot (`python -m bot`) with cProfile switched on only while it
serves updates by long polling (not during the start-up: imports, knowledge base, migrations), written to OUT.prof
when it stops. Used by `scripts/bench_load.py --profile`."""

from __future__ import annotations

import cProfile
import runpy
import sys
from typing import Any

import bot.serving.run as run

profile = cProfile.Profile()
OUT = sys.argv[1] if len(sys.argv) > 1 else "bot.prof"
original_poll = run.poll


async def poll(*args: Any, **kwargs: Any) -> None:
    profile.enable()
    try:
        await original_poll(*args, **kwargs)
    finally:
        profile.disable()
        profile.dump_stats(OUT)


run.poll = poll  # type: ignore[assignment]
if __name__ == "__main__":
    sys.argv = [sys.argv[0]]
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
