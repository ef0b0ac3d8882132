#!/usr/bin/env bash
# Train the NLU model if it is missing or the knowledge base / pipeline changed since it was trained.
# The model's fingerprint (a hash of knowledge/data and nlu/config.yml) is stored next to it.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p nlu/models .run
fingerprint=$(.venv/bin/python -m nlu.build --fingerprint)
if [ -f nlu/models/current.tar.gz ] && [ "$(cat nlu/models/current.fingerprint 2>/dev/null)" = "$fingerprint" ]; then
  echo "NLU model is up to date ($fingerprint)"; exit 0
fi
.venv/bin/python -m nlu.build
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONWARNINGS=ignore
export MPLCONFIGDIR="$PWD/.run/mpl"
if grep -q "SpacyNLP" nlu/config.yml && [ ! -d nlu/spacy_lv ]; then
  .venv-nlu/bin/python -c "import spacy; spacy.blank('lv').to_disk('nlu/spacy_lv')"
fi
if ! .venv-nlu/bin/rasa data validate --config nlu/config.yml --domain nlu/domain.yml --data nlu/data > .run/validate.log 2>&1; then
  cat .run/validate.log >&2; echo "rasa data validate failed" >&2; exit 1
fi
started=$(date +%s)
.venv-nlu/bin/rasa train nlu --config nlu/config.yml --nlu nlu/data --domain nlu/domain.yml \
  --out nlu/models --fixed-model-name current 2>&1 | grep -v "Epochs:" | grep -E "ERROR|Error|Your Rasa model" || true
[ -f nlu/models/current.tar.gz ] || { echo "training failed" >&2; exit 1; }
echo "$fingerprint" > nlu/models/current.fingerprint
echo "NLU model trained in $(( $(date +%s) - started ))s ($fingerprint)"
