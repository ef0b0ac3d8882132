#!/usr/bin/env bash
# Run a command with the NLU server up (started here and stopped afterwards, unless it was already running).
# The command gets --rasa-url/--token added when it is nlu.evaluate or scripts.bench. .env is read as data.
set -euo pipefail
cd "$(dirname "$0")/.."
while IFS= read -r -d '' pair; do export "${pair?}"; done < <(
  .venv/bin/python -m scripts.settings NLU_URL NLU_TOKEN KNOWLEDGE_DIR || printf 'FAILED=1\0'
)
if [ -n "${FAILED:-}" ]; then exit 2; fi
export NLU_TRAIN_DEBOUNCE=0   # measuring: no background retraining
[ -n "$NLU_TOKEN" ] || NLU_TOKEN="$(scripts/nlu-server.sh token)"
export NLU_TOKEN
started_here=0
if ! scripts/nlu-server.sh status >/dev/null 2>&1; then
  scripts/nlu-server.sh start; started_here=1
fi
cleanup() { if [ "$started_here" = 1 ]; then scripts/nlu-server.sh stop >/dev/null; fi; }
trap cleanup EXIT
scripts/nlu-server.sh wait
"$@" --rasa-url "$NLU_URL" --token "$NLU_TOKEN"
