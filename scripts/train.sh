#!/usr/bin/env bash
# Train the NLU model if it is missing or the knowledge base / pipeline changed since it was trained.
# The model's fingerprint (`python -m nlu.build --fingerprint`: the knowledge base, nlu/config.yml, nlu/build.py and
# any other Python under nlu/) is written next to it only after a successful training; a failed training fails.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p nlu/models .run
fingerprint=$(.venv/bin/python -m nlu.build --fingerprint)
if [ -f nlu/models/current.tar.gz ] && [ "$(cat nlu/models/current.fingerprint 2>/dev/null)" = "$fingerprint" ]; then
  echo "NLU model is up to date ($fingerprint)"; exit 0
fi
.venv/bin/python -m nlu.build
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONWARNINGS=ignore
# Custom pipeline components (nlu/components) are imported by module path from the project root.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export MPLCONFIGDIR="$PWD/.run/mpl"
if grep -q "SpacyNLP" nlu/config.yml && [ ! -d nlu/spacy_lv ]; then
  .venv-nlu/bin/python -c "import spacy; spacy.blank('lv').to_disk('nlu/spacy_lv')"
fi
if ! .venv-nlu/bin/rasa data validate --config nlu/config.yml --domain nlu/domain.yml --data nlu/data > .run/validate.log 2>&1; then
  cat .run/validate.log >&2; echo "rasa data validate failed" >&2; exit 1
fi
started=$(date +%s)
# A failed training fails this script (pipefail); the old fingerprint is removed first, so a model left from
# before is never recorded as matching the new data.
rm -f nlu/models/current.fingerprint nlu/models/current.json  # current.json: the NLU gateway's record (nlu/serving)
if ! .venv-nlu/bin/rasa train nlu --config nlu/config.yml --nlu nlu/data --domain nlu/domain.yml \
  --out nlu/models --fixed-model-name current > .run/train.log 2>&1; then
  grep -v "Epochs:" .run/train.log | tail -40 >&2; echo "rasa train nlu failed (log: .run/train.log)" >&2; exit 1
fi
grep -v "Epochs:" .run/train.log | grep -E "ERROR|Error|Your Rasa model" || true
[ -f nlu/models/current.tar.gz ] || { echo "training failed: no nlu/models/current.tar.gz" >&2; exit 1; }
echo "$fingerprint" > nlu/models/current.fingerprint
echo "NLU model trained in $(( $(date +%s) - started ))s ($fingerprint)"
