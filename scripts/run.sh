#!/usr/bin/env bash
# `make run`: start the NLU server, wait until it is ready, run the bot; Ctrl-C / SIGTERM stops both.
# With TELEGRAM_BOT_TOKEN set the bot serves Telegram by long polling, otherwise a console chat opens.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .env ]; then set -a; . ./.env; set +a; fi
NLU_TOKEN="${NLU_TOKEN:-$(scripts/nlu-server.sh token)}"
export NLU_TOKEN
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
