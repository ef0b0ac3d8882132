"""Prometheus metrics of one bot process (served at /metrics in webhook mode). No Telegram imports.

Each `Metrics` has its own registry, so several applications in one process (tests) do not collide."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0, 10.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.update_seconds = Histogram("bot_update_seconds", "Time to process one Telegram update",
                                        buckets=LATENCY_BUCKETS, registry=self.registry)
        self.nlu_seconds = Histogram("bot_nlu_seconds", "Time of one Rasa /model/parse call (failures included)",
                                     buckets=LATENCY_BUCKETS, registry=self.registry)
        self.in_flight = Gauge("bot_updates_in_flight", "Updates being processed now", registry=self.registry)
        self.degraded = Gauge("bot_nlu_degraded", "1 while the NLU server is unavailable (lexical matcher answers)",
                              registry=self.registry)
        self.too_many_requests = Counter("bot_telegram_429", "Bot API answers 429 Too Many Requests",
                                         registry=self.registry)
        self.updates = Counter("bot_updates_received", "Updates received", ["source"], registry=self.registry)
        self.duplicates = Counter("bot_updates_duplicate", "Updates delivered again and ignored",
                                  registry=self.registry)
        self.nlu_shed = Gauge("bot_nlu_shed_total", "Questions answered by the lexical matcher because every Rasa "
                              "parse slot stayed busy for NLU_MAX_WAIT (overload, not an outage)", registry=self.registry)
        self.limited = Counter("bot_flood_limited", "Messages refused by the per-user flood limit", ["limit"],
                               registry=self.registry)

    def watch_degraded(self, degraded: Callable[[], bool]) -> None:
        self.degraded.set_function(lambda: 1.0 if degraded() else 0.0)

    def watch_shed(self, shed: Callable[[], int]) -> None:
        self.nlu_shed.set_function(lambda: float(shed()))

    def render(self) -> bytes:
        return generate_latest(self.registry)
