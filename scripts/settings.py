"""Print settings for the shell scripts, read as data by the bot's own settings class (`bot.config.Settings`:
the environment, then `.env` parsed by python-dotenv) — never by `source .env`, which would run the file as
shell code (`ADMIN_IDS=1 2` runs a command `2`, `$` in a password expands).

    .venv/bin/python -m scripts.settings NLU_URL NLU_TOKEN     # NAME=value pairs, each ended by a NUL byte

Read them in bash with `while IFS= read -r -d '' pair; do export "$pair"; done < <(...)`. A setting the bot would
refuse (say ADMIN_IDS=abc) stops here with the bot's message, before anything starts.
"""

from __future__ import annotations

import sys

from pydantic import SecretStr, ValidationError

from bot.config import Settings


def main(argv: list[str]) -> int:
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"invalid settings (.env or environment):\n{exc}", file=sys.stderr)
        return 2
    for name in argv:
        field = name.lower()
        if field not in Settings.model_fields:
            print(f"unknown setting {name}", file=sys.stderr)
            return 2
        value = getattr(settings, field)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        text = "" if value is None else " ".join(str(v) for v in sorted(value)) if isinstance(value, frozenset) else str(value)
        sys.stdout.write(f"{name}={text}\0")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
