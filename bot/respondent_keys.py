"""The respondent key after a change of RESPONDENT_KEY_SECRET (docs/surveys.md, "Respondent key").

    python -m bot.respondent_keys check   # how many unfinished responses / markers another secret made
    python -m bot.respondent_keys adopt   # the secret did not change: label keys made before key ids existed
    python -m bot.respondent_keys drop    # the secret changed: delete what nobody can be matched to any more

Unfinished anonymous responses and "already answered" markers are keyed with the secret; after a change their
owners can no longer resume them, /forget them, or be refused a second answer. `drop` deletes those unfinished
responses (with their answers and reminders) and markers, so nothing stays behind that /forget cannot reach.
Completed anonymous responses are not affected: they hold no key.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from .config import Settings
from .db.database import create_engine, create_session_factory, migrate
from .privacy import Privacy
from .surveys.engine import SurveyEngine, respondent_secret
from .surveys.schema import load_surveys
from .uow import uow_factory


async def run(settings: Settings, action: str) -> tuple[int, int]:
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        secret = respondent_secret(
            settings.respondent_key_secret.get_secret_value() if settings.respondent_key_secret else None
        )
        privacy = Privacy(uow_factory(create_session_factory(engine)),
                          SurveyEngine(load_surveys(settings.surveys_dir), secret), settings.default_language)
        if action == "adopt":
            return await privacy.adopt_keys()
        if action == "drop":
            return await privacy.drop_other_keys()
        return await privacy.key_report()
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.respondent_keys", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("check", "adopt", "drop"))
    args = parser.parse_args(argv)
    unfinished, markers = asyncio.run(run(Settings(), args.action))
    verb = {"check": "made by another secret", "adopt": "adopted", "drop": "deleted"}[args.action]
    print(f"unfinished responses {verb}: {unfinished}; \"already answered\" markers {verb}: {markers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
