#!/usr/bin/env bash
# `make run`: start the NLU server (gateway + supervised Rasa), wait until it is ready, run the bot; Ctrl-C / SIGTERM
# stops both. With TELEGRAM_BOT_TOKEN set the bot serves Telegram by long polling, otherwise a console chat opens.
#
# .env is read as data, never sourced: the bot reads it itself (pydantic-settings), and the few values the NLU
# server needs come from the bot's settings class (scripts/settings.py), so `ADMIN_IDS=1 2` or a `$` in a
# password mean exactly what they say.
set -euo pipefail
cd "$(dirname "$0")/.."
while IFS= read -r -d '' pair; do export "${pair?}"; done < <(
  .venv/bin/python -m scripts.settings NLU_URL NLU_TOKEN NLU_TRAIN_DEBOUNCE KNOWLEDGE_DIR || printf 'FAILED=1\0'
)
if [ -n "${FAILED:-}" ]; then exit 2; fi
[ -n "$NLU_TOKEN" ] || NLU_TOKEN="$(scripts/nlu-server.sh token)"
export NLU_TOKEN   # the bot and the NLU server share it (the environment wins over .env in the bot's settings)
if [ "${1:-}" = "--settings-only" ]; then env | grep -E '^(NLU_URL|NLU_TOKEN|NLU_TRAIN_DEBOUNCE|KNOWLEDGE_DIR)=' | sort; exit 0; fi
stop() { scripts/nlu-server.sh stop >/dev/null 2>&1 || true; }
trap stop EXIT
scripts/nlu-server.sh start
if ! scripts/nlu-server.sh wait; then
  echo "WARNING: the NLU server is not ready; the bot starts anyway and answers with its lexical matcher" >&2
fi
# Explicit `<&0`: a background job would otherwise get /dev/null as stdin, and the console chat needs it.
.venv/bin/python -m bot "$@" <&0 &
bot=$!
forward() { kill -TERM "$bot" 2>/dev/null || true; wait "$bot" 2>/dev/null || true; exit "$1"; }
trap 'forward 143' TERM
trap 'forward 130' INT
wait "$bot"
