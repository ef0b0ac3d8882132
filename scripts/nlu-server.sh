#!/usr/bin/env bash
# Start / wait for / stop the NLU server: the gateway + supervisor `python -m nlu.serving` (in the NLU venv), which
# listens on the host and port of NLU_URL with the token NLU_TOKEN, forwards only /model/parse and /status to a
# Rasa bound to 127.0.0.1, restarts Rasa with back-off if it dies, and retrains in the background when the knowledge
# base changes (NLU_TRAIN_DEBOUNCE; docs/nlu-serving.md).        scripts/nlu-server.sh start|wait|stop|status|token
#
# Settings come from the environment (run.sh reads .env as data and exports the few needed here); this script never
# sources .env. The pid file is not trusted on its own: the process must be alive and be our gateway, and a
# server still stopping (from a `make run` just ended) is waited for instead of being taken for a running one.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR="${NLU_RUN_DIR:-.run}"
mkdir -p "$RUN_DIR"
NLU_URL="${NLU_URL:-http://127.0.0.1:5005}"
host_port="${NLU_URL#*://}"; host_port="${host_port%%/*}"
HOST="${host_port%:*}"; PORT="${host_port##*:}"
PID_FILE="$RUN_DIR/nlu.pid"
LOG_FILE="$RUN_DIR/nlu-gateway.log"
READY_TIMEOUT="${NLU_READY_TIMEOUT:-240}"
STOP_TIMEOUT="${NLU_STOP_TIMEOUT:-40}"
NLU_PYTHON="${NLU_PYTHON:-.venv-nlu/bin/python}"
MODELS_DIR="${NLU_MODELS_DIR:-nlu/models}"

token() {
  if [ -n "${NLU_TOKEN:-}" ]; then echo "$NLU_TOKEN"; return; fi
  local file="$RUN_DIR/nlu_token"
  if [ ! -s "$file" ]; then
    (umask 077; python3 -c 'import secrets; print(secrets.token_hex(16))' > "$file.tmp" && mv "$file.tmp" "$file")
  fi
  chmod 600 "$file"   # also a file left world-readable by an older version
  cat "$file"
}

# Alive and ours: the pid in the file runs `nlu.serving` from this checkout (a reused pid is not taken for it).
pid_alive() {
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "nlu.serving"
}
pid_of() { [ -s "$PID_FILE" ] && cat "$PID_FILE" || true; }
running() { pid_alive "$(pid_of)" && [ ! -e "$RUN_DIR/nlu.stopping" ]; }
port_busy() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

# Wait for a server that is stopping (its pid still alive, or its port still held) before starting a new one.
wait_stopped() {
  local pid; pid="$(pid_of)"
  for _ in $(seq 1 $(( STOP_TIMEOUT * 2 ))); do
    if ! pid_alive "$pid" && ! port_busy; then return 0; fi
    sleep 0.5
  done
  return 1
}

case "${1:-}" in
  start)
    if running; then
      if port_busy; then echo "NLU server already running (pid $(pid_of))"; exit 0; fi
      echo "NLU server pid $(pid_of) is alive but its port $PORT does not answer: restarting it" >&2
      "$0" stop
    fi
    if [ -e "$RUN_DIR/nlu.stopping" ] || pid_alive "$(pid_of)" || port_busy; then
      echo "waiting for the previous NLU server to stop…"
      if ! wait_stopped; then
        echo "port $HOST:$PORT is still in use (by pid $(pid_of) or another program); not starting a second server" >&2
        exit 1
      fi
    fi
    rm -f "$PID_FILE" "$RUN_DIR/nlu.stopping"
    [ -f "$MODELS_DIR/current.tar.gz" ] || { echo "no trained model at $MODELS_DIR/current.tar.gz: run 'make train'" >&2; exit 1; }
    echo "starting the NLU gateway on $HOST:$PORT (Rasa behind it on 127.0.0.1; log: $LOG_FILE)"
    NLU_TOKEN="$(token)" NLU_TRAIN_DEBOUNCE="${NLU_TRAIN_DEBOUNCE:-30}" PYTHONPATH="$PWD" \
      setsid "$NLU_PYTHON" -m nlu.serving --host "$HOST" --port "$PORT" --run-dir "$RUN_DIR" --models "$MODELS_DIR" \
        --knowledge "${KNOWLEDGE_DIR:-knowledge/data}" --rasa "$PWD/.venv-nlu/bin/rasa" \
        --build-python "$PWD/.venv/bin/python" ${NLU_INTERNAL_PORTS:+--internal-ports "$NLU_INTERNAL_PORTS"} \
        >>"$LOG_FILE" 2>&1 < /dev/null &
    echo $! > "$PID_FILE"
    ;;
  wait)
    started=$(date +%s)
    until curl -fsS "http://$HOST:$PORT/status?token=$(token)" 2>/dev/null | grep -q '"model_file"'; do
      if ! pid_alive "$(pid_of)"; then
        echo "NLU server exited; last log lines:" >&2; tail -n 20 "$LOG_FILE" >&2; exit 1
      fi
      if [ $(( $(date +%s) - started )) -ge "$READY_TIMEOUT" ]; then
        echo "NLU server not ready after ${READY_TIMEOUT}s; last log lines:" >&2
        tail -n 20 "$LOG_FILE" >&2; exit 1
      fi
      sleep 1
    done
    echo "NLU server ready after $(( $(date +%s) - started ))s"
    ;;
  stop)
    pid="$(pid_of)"
    if pid_alive "$pid"; then
      touch "$RUN_DIR/nlu.stopping"
      kill -TERM "$pid" 2>/dev/null || true   # the gateway stops its Rasa servers, then exits
      for _ in $(seq 1 $(( STOP_TIMEOUT * 2 ))); do pid_alive "$pid" || break; sleep 0.5; done
      if pid_alive "$pid"; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
      echo "NLU server stopped"
    fi
    rm -f "$PID_FILE" "$RUN_DIR/nlu.stopping"
    ;;
  status)
    if running; then echo "running (pid $(pid_of))"; else echo "stopped"; exit 1; fi
    ;;
  token) token ;;
  *) echo "usage: $0 start|wait|stop|status|token" >&2; exit 2 ;;
esac
