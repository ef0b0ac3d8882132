"""`python -m nlu.serving`: the NLU gateway + Rasa supervisor (see nlu/serving/__init__.py, docs/nlu-serving.md).

Settings come from flags or the environment: NLU_URL (host:port to listen on), NLU_TOKEN (the bot's token),
NLU_TRAIN_DEBOUNCE (seconds of quiet after a knowledge-base change before retraining; 0 = never retrain here).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

from .gateway import Gateway
from .processes import CommandTrainer, RasaLauncher, default_rasa, read_info
from .supervisor import Supervisor

ROOT = Path(__file__).resolve().parents[2]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    url = urlsplit(os.environ.get("NLU_URL", "http://127.0.0.1:5005"))
    parser = argparse.ArgumentParser(description="NLU gateway and Rasa supervisor")
    parser.add_argument("--host", default=url.hostname or "127.0.0.1")
    parser.add_argument("--port", type=int, default=url.port or 5005)
    parser.add_argument("--internal-ports", default=None, help="two ports for Rasa on 127.0.0.1 (default port+1,+2)")
    parser.add_argument("--models", type=Path, default=ROOT / "nlu" / "models")
    parser.add_argument("--knowledge", type=Path, default=Path(os.environ.get("KNOWLEDGE_DIR", ROOT / "knowledge" / "data")))
    parser.add_argument("--config", type=Path, default=ROOT / "nlu" / "config.yml")
    parser.add_argument("--run-dir", type=Path, default=ROOT / ".run")
    parser.add_argument("--rasa", default=None, help="the rasa executable (default: beside this Python)")
    parser.add_argument("--build-python", default=os.environ.get("NLU_BUILD_PYTHON", str(ROOT / ".venv" / "bin" / "python")),
                        help="Python that runs nlu.build (needs the bot's pydantic 2)")
    parser.add_argument("--debounce", type=float, default=float(os.environ.get("NLU_TRAIN_DEBOUNCE", "30")),
                        help="seconds without knowledge-base changes before retraining; 0 disables retraining")
    parser.add_argument("--poll", type=float, default=2.0)
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> int:
    token = os.environ.get("NLU_TOKEN") or None
    internal = secrets.token_hex(16)
    ports = tuple(int(p) for p in args.internal_ports.split(",")) if args.internal_ports else (args.port + 1, args.port + 2)
    args.run_dir.mkdir(parents=True, exist_ok=True)
    rasa = args.rasa.split() if args.rasa else default_rasa()
    knowledge = args.knowledge if args.knowledge.is_absolute() else ROOT / args.knowledge
    supervisor = Supervisor(
        RasaLauncher(rasa, internal, args.run_dir, ROOT),
        CommandTrainer(rasa, args.build_python, knowledge, args.models, args.config, args.run_dir, ROOT),
        args.models, knowledge, (ports[0], ports[1]), debounce=args.debounce, poll=args.poll)
    model = read_info(args.models, knowledge)
    if not model.path.is_file():
        print(f"no trained model at {model.path}: run 'make train'", file=sys.stderr)
        return 1
    gateway = Gateway(supervisor, token, internal)
    server = await gateway.listen(args.host, args.port)
    await supervisor.start(model)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watcher = asyncio.ensure_future(supervisor.run()) if args.debounce > 0 else None
    await stop.wait()
    logging.getLogger("nlu.serving").info("stopping")
    server.close()
    if watcher is not None:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    await supervisor.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return asyncio.run(serve(_arguments(argv)))


if __name__ == "__main__":
    sys.exit(main())
