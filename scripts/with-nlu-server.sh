#!/usr/bin/env bash
# Run a command with the NLU server up (started here and stopped afterwards, unless it was already running).
# The command gets --rasa-url/--token added when it is nlu.evaluate or scripts.bench.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .env ]; then set -a; . ./.env; set +a; fi
export NLU_URL="${NLU_URL:-http://127.0.0.1:5005}"
export NLU_TOKEN="${NLU_TOKEN:-$(scripts/nlu-server.sh token)}"
started_here=0
if ! scripts/nlu-server.sh status >/dev/null 2>&1; then
  scripts/nlu-server.sh start; started_here=1
fi
cleanup() { if [ "$started_here" = 1 ]; then scripts/nlu-server.sh stop >/dev/null; fi; }
trap cleanup EXIT
scripts/nlu-server.sh wait
"$@" --rasa-url "$NLU_URL" --token "$NLU_TOKEN"
