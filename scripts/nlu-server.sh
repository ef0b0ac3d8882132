#!/usr/bin/env bash
# Start / wait for / stop the Rasa NLU server (its own venv, Python 3.10), bound to the host and port of
# NLU_URL, protected by NLU_TOKEN.   scripts/nlu-server.sh start|wait|stop|status
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR="${NLU_RUN_DIR:-.run}"
mkdir -p "$RUN_DIR"
NLU_URL="${NLU_URL:-http://127.0.0.1:5005}"
host_port="${NLU_URL#*://}"; host_port="${host_port%%/*}"
HOST="${host_port%:*}"; PORT="${host_port##*:}"
MODEL="${NLU_MODEL:-nlu/models/current.tar.gz}"
PID_FILE="$RUN_DIR/rasa.pid"
LOG_FILE="$RUN_DIR/rasa.log"
READY_TIMEOUT="${NLU_READY_TIMEOUT:-240}"

token() {
  if [ -n "${NLU_TOKEN:-}" ]; then echo "$NLU_TOKEN"; return; fi
  [ -s "$RUN_DIR/nlu_token" ] || python3 -c 'import secrets; print(secrets.token_hex(16))' > "$RUN_DIR/nlu_token"
  cat "$RUN_DIR/nlu_token"
}

running() { [ -s "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

case "${1:-}" in
  start)
    if running; then echo "NLU server already running (pid $(cat "$PID_FILE"))"; exit 0; fi
    [ -f "$MODEL" ] || { echo "no trained model at $MODEL: run 'make train'" >&2; exit 1; }
    echo "starting Rasa on $HOST:$PORT with $MODEL (log: $LOG_FILE)"
    RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONWARNINGS=ignore \
    MPLCONFIGDIR="$PWD/$RUN_DIR/mpl" PYTHONPATH="$PWD" \
      setsid .venv-nlu/bin/rasa run --enable-api --model "$MODEL" -i "$HOST" -p "$PORT" \
        --auth-token "$(token)" --log-file "$LOG_FILE" >>"$LOG_FILE" 2>&1 < /dev/null &
    echo $! > "$PID_FILE"
    ;;
  wait)
    started=$(date +%s)
    until curl -fsS "http://$HOST:$PORT/status?token=$(token)" 2>/dev/null | grep -q '"model_file"'; do
      running || { echo "NLU server exited; last log lines:" >&2; tail -n 20 "$LOG_FILE" >&2; exit 1; }
      if [ $(( $(date +%s) - started )) -ge "$READY_TIMEOUT" ]; then echo "NLU server not ready after ${READY_TIMEOUT}s" >&2; exit 1; fi
      sleep 1
    done
    echo "NLU server ready after $(( $(date +%s) - started ))s"
    ;;
  stop)
    if running; then
      pid=$(cat "$PID_FILE")
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      echo "NLU server stopped"
    fi
    rm -f "$PID_FILE"
    ;;
  status)
    if running; then echo "running (pid $(cat "$PID_FILE"))"; else echo "stopped"; exit 1; fi
    ;;
  token) token ;;
  *) echo "usage: $0 start|wait|stop|status|token" >&2; exit 2 ;;
esac
