"""The NLU gateway and supervisor (nlu/serving) with fake Rasa servers and a fake trainer: debounce, failed
trainings, the zero-downtime swap, restarts with back-off, and that only /model/parse and /status get through."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from nlu.serving import httpio
from nlu.serving.gateway import Gateway
from nlu.serving.httpio import Request
from nlu.serving.processes import ModelInfo, TrainResult, read_info
from nlu.serving.schedule import TrainingSchedule
from nlu.serving.supervisor import Supervisor

# ---- the debounce rule ---------------------------------------------------------------------------------------


def test_several_changes_within_the_debounce_give_one_training() -> None:
    schedule = TrainingSchedule(debounce=60, served="a", wanted="a")
    schedule.observe("b", now=0)
    assert schedule.due(30) is None
    schedule.observe("c", now=40)  # a second assignment restarts the quiet period
    assert schedule.due(90) is None
    assert schedule.due(100) == "c"
    schedule.started("c")
    assert schedule.due(500) is None  # one training at a time
    schedule.finished("c", ok=True)
    assert schedule.due(1000) is None and not schedule.pending


def test_a_change_during_a_training_gives_exactly_one_more() -> None:
    schedule = TrainingSchedule(debounce=10, served="a", wanted="a")
    schedule.observe("b", now=0)
    schedule.started(schedule.due(10) or "")
    schedule.observe("c", now=12)
    schedule.observe("d", now=13)
    assert schedule.due(100) is None  # still running
    schedule.finished("b", ok=True)
    assert schedule.due(100) == "d"


def test_a_failed_training_is_not_retried_until_the_next_change() -> None:
    schedule = TrainingSchedule(debounce=0, served="a", wanted="a")
    schedule.observe("b", now=0)
    schedule.started("b")
    schedule.finished("b", ok=False)
    assert schedule.due(100) is None and schedule.served == "a"
    schedule.observe("c", now=101)
    assert schedule.due(101) == "c"


def test_going_back_to_the_served_knowledge_needs_no_training() -> None:
    schedule = TrainingSchedule(debounce=0, served="a", wanted="a")
    schedule.observe("b", now=0)
    schedule.observe("a", now=1)
    assert schedule.due(5) is None


# ---- the supervisor with fakes ----------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class FakeRasa:
    def __init__(self, model: ModelInfo, port: int, ready_after: int = 0, exits: int | None = None) -> None:
        self.model = model
        self.port = port
        self.stopping = False
        self.stopped = False
        self.inflight = 0
        self._polls = ready_after
        self._exit: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        if exits is not None:
            self._exit.set_result(exits)

    async def wait(self) -> int:
        return await asyncio.shield(self._exit)

    def die(self, code: int) -> None:
        self._exit.set_result(code)

    async def ready(self) -> bool:
        self._polls -= 1
        return self._polls < 0 and not self._exit.done()

    async def stop(self, grace: float = 20.0) -> None:
        self.stopping = self.stopped = True
        if not self._exit.done():
            self._exit.set_result(0)

    def log_tail(self, lines: int = 15) -> str:
        return "rasa: Traceback … OSError: no such model"


class FakeLauncher:
    def __init__(self) -> None:
        self.started: list[FakeRasa] = []
        self.plan: list[dict] = []  # per start: FakeRasa keyword arguments

    async def start(self, model: ModelInfo, port: int) -> FakeRasa:
        rasa = FakeRasa(model, port, **(self.plan.pop(0) if self.plan else {}))
        self.started.append(rasa)
        return rasa


class FakeTrainer:
    def __init__(self, tmp: Path, knowledge: Path) -> None:
        self.tmp = tmp
        self.knowledge = knowledge
        self.calls = 0
        self.fail_with: str | None = None

    async def train(self) -> TrainResult:
        self.calls += 1
        knowledge = knowledge_hash(self.knowledge)
        if self.fail_with:
            return TrainResult(False, knowledge, log_tail=self.fail_with)
        model = self.tmp / f"candidate-{self.calls}.tar.gz"
        model.write_text(f"model {self.calls}")
        return TrainResult(True, knowledge, ModelInfo(model, knowledge, f"fp{self.calls}", "2026-12-01T12:00:00+00:00"))


def knowledge_hash(folder: Path) -> str:
    return (folder / "kb.yaml").read_text()


@pytest.fixture
def world(tmp_path: Path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "current.tar.gz").write_text("model 0")
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "kb.yaml").write_text("v1")
    clock = Clock()
    launcher = FakeLauncher()
    trainer = FakeTrainer(tmp_path, knowledge)
    supervisor = Supervisor(launcher, trainer, models, knowledge, (6001, 6002), debounce=30, poll=2,
                            ready_timeout=20, clock=clock, sleep=clock.sleep, hash_knowledge=knowledge_hash)
    return supervisor, launcher, trainer, clock, models, knowledge


async def started(world) -> FakeRasa:
    supervisor, launcher, _, _, models, _ = world
    await supervisor.start(ModelInfo(models / "current.tar.gz", "v1", "fp0", None))
    return launcher.started[0]


async def test_a_knowledge_change_is_trained_once_after_the_debounce_and_swapped_in(world) -> None:
    supervisor, launcher, trainer, clock, models, knowledge = world
    old = await started(world)
    (knowledge / "kb.yaml").write_text("v2")
    assert not await supervisor.tick()  # the change is seen, the quiet period starts
    clock.now += 10
    (knowledge / "kb.yaml").write_text("v3")  # a second assignment within the debounce
    assert not await supervisor.tick()
    clock.now += 31
    launcher.plan.append({"ready_after": 2})
    assert await supervisor.tick()
    assert trainer.calls == 1
    new = launcher.started[-1]
    assert supervisor.current is new and new.port == 6002 and old.stopped and not new.stopped
    assert (models / "current.tar.gz").read_text() == "model 1"
    record = json.loads((models / "current.json").read_text())
    assert record["knowledge"] == "v3" and (models / "current.fingerprint").read_text().strip() == "fp1"
    assert supervisor.status()["model"]["knowledge"] == "v3" and supervisor.status()["training"]["state"] == "ok"
    assert not await supervisor.tick()  # nothing left to do


async def test_requests_in_flight_on_the_old_server_finish_before_it_stops(world) -> None:
    supervisor, launcher, _, clock, _, knowledge = world
    old = await started(world)
    old.inflight = 1
    (knowledge / "kb.yaml").write_text("v2")
    await supervisor.tick()
    clock.now += 31

    async def finish_request() -> None:
        while not old.stopping:
            await asyncio.sleep(0)
        assert not old.stopped  # the swap waits for it
        old.inflight = 0

    finisher = asyncio.ensure_future(finish_request())
    await supervisor.tick()
    await finisher
    assert old.stopped and supervisor.current is launcher.started[-1]


async def test_closing_during_a_swap_stops_the_old_and_the_new_server(world) -> None:
    supervisor, launcher, _, clock, _, knowledge = world
    old = await started(world)
    old.inflight = 1  # the swap waits for this request: the gateway is closed meanwhile
    (knowledge / "kb.yaml").write_text("v2")
    await supervisor.tick()
    clock.now += 31
    swapping = asyncio.ensure_future(supervisor.tick())
    while supervisor.current is old:
        await asyncio.sleep(0)
    swapping.cancel()
    await supervisor.close()
    assert old.stopped and launcher.started[-1].stopped


async def test_a_failed_training_leaves_the_old_model_serving_and_says_why(world, caplog) -> None:
    supervisor, launcher, trainer, clock, models, knowledge = world
    old = await started(world)
    trainer.fail_with = "ValueError: intent 'x' has no examples"
    (knowledge / "kb.yaml").write_text("v2")
    await supervisor.tick()
    clock.now += 31
    with caplog.at_level(logging.ERROR, logger="nlu.serving"):
        assert await supervisor.tick()
    assert supervisor.current is old and launcher.started == [old] and not old.stopped
    assert (models / "current.tar.gz").read_text() == "model 0"
    training = supervisor.status()["training"]
    assert training["state"] == "failed" and "has no examples" in training["error"] and training["knowledge"] == "v2"
    assert "previous model keeps serving" in caplog.text
    clock.now += 100
    assert not await supervisor.tick() and trainer.calls == 1  # not retried in a loop


async def test_a_new_server_that_never_gets_ready_is_stopped_and_the_old_keeps_serving(world) -> None:
    supervisor, launcher, _, clock, _, knowledge = world
    old = await started(world)
    launcher.plan.append({"exits": 1})
    (knowledge / "kb.yaml").write_text("v2")
    await supervisor.tick()
    clock.now += 31
    await supervisor.tick()
    candidate = launcher.started[-1]
    assert supervisor.current is old and candidate is not old and candidate.stopped and not old.stopped
    assert "no such model" in supervisor.status()["training"]["error"]


async def test_a_dead_rasa_is_restarted_with_back_off_and_each_restart_is_logged(world, caplog) -> None:
    supervisor, launcher, _, clock, _, _ = world
    first = await started(world)
    with caplog.at_level(logging.WARNING, logger="nlu.serving"):
        first.die(-9)
        while len(launcher.started) < 2:
            await asyncio.sleep(0)
        second = launcher.started[1]
        assert supervisor.current is second and second.port == first.port
        second.die(1)  # dies again at once: the delay doubles
        while len(launcher.started) < 3:
            await asyncio.sleep(0)
    assert clock.sleeps[:2] == [1.0, 2.0]
    assert supervisor.restarts == 2 and supervisor.status()["restarts"] == 2
    assert "exited with code -9" in caplog.text and "restart #2" in caplog.text
    await supervisor.close()
    assert launcher.started[2].stopped


async def test_a_restart_that_cannot_start_rasa_keeps_trying(world, caplog) -> None:
    supervisor, launcher, _, clock, _, _ = world
    first = await started(world)
    real_start = launcher.start
    failures = [OSError("rasa: not found"), OSError("rasa: not found")]

    async def flaky(model, port):
        if failures:
            raise failures.pop(0)
        return await real_start(model, port)

    launcher.start = flaky
    first.die(1)
    while len(launcher.started) < 2:
        await asyncio.sleep(0)
    assert supervisor.current is launcher.started[1] and clock.sleeps[:3] == [1.0, 2.0, 4.0]
    assert caplog.text.count("could not start Rasa") == 2


async def test_a_new_server_that_cannot_be_started_fails_the_training_not_the_watcher(world) -> None:
    supervisor, launcher, _, clock, _, knowledge = world
    old = await started(world)

    async def broken(model, port):
        raise OSError("no space left on device")

    launcher.start = broken
    (knowledge / "kb.yaml").write_text("v2")
    await supervisor.tick()
    clock.now += 31
    assert await supervisor.tick()
    assert supervisor.current is old and "no space left" in supervisor.status()["training"]["error"]


async def test_a_server_stopped_on_purpose_is_not_restarted(world) -> None:
    supervisor, launcher, _, _, _, _ = world
    await started(world)
    await supervisor.close()
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(launcher.started) == 1 and supervisor.restarts == 0


def test_a_model_without_a_record_is_taken_to_match_the_knowledge_base(tmp_path: Path) -> None:
    (tmp_path / "current.tar.gz").write_text("not a tar")
    knowledge = tmp_path / "kb"
    knowledge.mkdir()
    (knowledge / "a.yaml").write_text("x: 1")
    info = read_info(tmp_path, knowledge)
    from knowledge.version import content_hash

    assert info.knowledge == content_hash(knowledge) and info.trained_at  # the file's time when no metadata
    assert json.loads((tmp_path / "current.json").read_text())["knowledge"] == info.knowledge


# ---- the gateway ---------------------------------------------------------------------------------------------------


class FakeRasaServer:
    """A real HTTP server on a free port answering like Rasa (the gateway forwards over TCP)."""

    def __init__(self) -> None:
        self.seen: list[Request] = []
        self.port = 0
        self.model = ModelInfo(Path("m"), "v1", "fp", "2026-12-01T10:00:00+00:00")
        self.inflight = 0

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await httpio.read_request(reader)
        assert request is not None
        self.seen.append(request)
        if request.path == "/status":
            payload = {"model_file": "current.tar.gz", "model_id": "x"}
        else:
            text = json.loads(request.body)["text"]
            payload = {"text": text, "intent": {"name": "fact_budget", "confidence": 0.9}}
        writer.write(httpio.render_response(httpio.Response(200, json.dumps(payload).encode()), False))
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> FakeRasaServer:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()


class OneUpstream:
    def __init__(self, current) -> None:
        self.current = current

    def status(self) -> dict:
        return {"model": self.current.model.as_json() if self.current else None, "training": {"state": "idle"}}


def request(method: str, path: str, token: str | None = "secret", body: dict | None = None) -> Request:
    query = {"token": [token]} if token else {}
    return Request(method, path, query, {}, json.dumps(body).encode() if body else b"")


async def test_the_gateway_forwards_parse_and_status_with_its_own_token() -> None:
    async with FakeRasaServer() as rasa:
        gateway = Gateway(OneUpstream(rasa), token="secret", internal_token="inside")
        parsed = await gateway.handle(request("POST", "/model/parse", body={"text": "budžets?"}))
        assert parsed.status == 200 and parsed.json()["intent"]["name"] == "fact_budget"
        status = await gateway.handle(request("GET", "/status"))
        assert status.status == 200
        assert status.json()["model_file"] and status.json()["serving"]["model"]["trained_at"].startswith("2026-12-01")
        assert [r.query["token"] for r in rasa.seen] == [["inside"], ["inside"]]  # the bot's token stays outside
        assert rasa.inflight == 0


@pytest.mark.parametrize(("method", "path"), [("PUT", "/model"), ("POST", "/model/train"), ("POST", "/model/test/intents"),
                                              ("GET", "/conversations/1/tracker"), ("DELETE", "/model"), ("GET", "/")])
async def test_the_gateway_refuses_everything_else(method: str, path: str) -> None:
    async with FakeRasaServer() as rasa:
        gateway = Gateway(OneUpstream(rasa), token="secret", internal_token="inside")
        answer = await gateway.handle(request(method, path))
        assert answer.status == 404 and rasa.seen == []


async def test_the_gateway_wants_the_token_and_the_right_method() -> None:
    async with FakeRasaServer() as rasa:
        gateway = Gateway(OneUpstream(rasa), token="secret", internal_token="inside")
        assert (await gateway.handle(request("GET", "/status", token="wrong"))).status == 401
        assert (await gateway.handle(request("GET", "/status", token=None))).status == 401
        assert (await gateway.handle(request("GET", "/model/parse"))).status == 405
        assert rasa.seen == []


async def test_the_gateway_answers_503_while_no_rasa_answers() -> None:
    gateway = Gateway(OneUpstream(None), token=None, internal_token="inside")
    assert (await gateway.handle(request("GET", "/status"))).status == 503
    dead = FakeRasaServer()
    dead.port = 9  # nothing listens there
    answer = await Gateway(OneUpstream(dead), token=None, internal_token="i").handle(request("POST", "/model/parse", body={"text": "x"}))
    assert answer.status == 503 and answer.json()["serving"]["model"]["knowledge"] == "v1"


async def test_the_gateway_over_a_socket_with_keep_alive_and_garbage() -> None:
    async with FakeRasaServer() as rasa:
        gateway = Gateway(OneUpstream(rasa), token="secret", internal_token="inside")
        server = await gateway.listen("127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            answer = await httpio.request("127.0.0.1", port, "POST", "/model/parse?token=secret", b'{"text": "hi"}')
            assert answer.status == 200 and answer.json()["text"] == "hi"
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /status?token=secret HTTP/1.1\r\nHost: x\r\n\r\n" * 2)
            await writer.drain()
            first = await reader.readuntil(b"\r\n\r\n")
            assert b"200 OK" in first and b"keep-alive" in first
            writer.write(b"NONSENSE\r\n\r\n")
            rest = await reader.read()
            assert b"400 Bad Request" in rest
            writer.close()
        finally:
            server.close()


# ---- the real training commands, with a stand-in for `rasa` ----------------------------------------------------------

FAKE_RASA = """#!/usr/bin/env bash
# `rasa train nlu … --out DIR …`: fails like a broken pipeline, or writes DIR/current.tar.gz
if [ -n "$FAIL" ]; then echo "rasa.shared.exceptions.InvalidConfigException: $FAIL" >&2; exit 1; fi
while [ $# -gt 0 ]; do if [ "$1" = "--out" ]; then mkdir -p "$2"; echo model > "$2/current.tar.gz"; fi; shift; done
"""


@pytest.fixture
def command_trainer(tmp_path: Path, monkeypatch):
    import shutil
    import sys

    from knowledge.loader import DEFAULT_DATA_DIR
    from nlu.serving.processes import CommandTrainer

    rasa = tmp_path / "rasa"
    rasa.write_text(FAKE_RASA)
    rasa.chmod(0o755)
    knowledge = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DATA_DIR, knowledge)
    models = tmp_path / "models"
    models.mkdir()
    project = Path(__file__).resolve().parents[2]
    return CommandTrainer([str(rasa)], sys.executable, knowledge, models, project / "nlu" / "config.yml", tmp_path,
                          project), knowledge, monkeypatch


async def test_a_failing_rasa_training_reports_the_end_of_its_log(command_trainer) -> None:
    trainer, knowledge, monkeypatch = command_trainer
    monkeypatch.setenv("FAIL", "no such component 'Nope'")
    result = await trainer.train()
    from knowledge.version import content_hash

    assert not result.ok and result.model is None and result.knowledge == content_hash(knowledge)
    assert "InvalidConfigException: no such component 'Nope'" in result.log_tail


async def test_a_training_builds_the_data_from_a_snapshot_and_returns_the_model(command_trainer) -> None:
    trainer, knowledge, monkeypatch = command_trainer
    monkeypatch.delenv("FAIL", raising=False)
    result = await trainer.train()
    assert result.ok and result.model is not None and result.model.path.read_text() == "model\n"
    assert result.model.fingerprint and len(result.model.fingerprint) == 16
    work = result.model.path.parents[1]
    assert (work / "data").is_dir() and (work / "domain.yml").is_file()  # nlu.build wrote the Rasa data there
