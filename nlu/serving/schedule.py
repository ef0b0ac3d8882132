"""When to retrain: debounced, one training at a time.

- A change of the knowledge base asks for a training; the training starts once no further change came for
  `debounce` seconds — several staff assignments within that time give one training.
- A change while a training runs gives exactly one more training after it (whatever the number of changes).
- A change that returns the knowledge base to what the serving model was trained from needs no training.

Pure logic on a clock value passed in, so the tests need no sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainingSchedule:
    debounce: float
    served: str | None = None  # knowledge hash the serving model was trained from
    wanted: str | None = None  # knowledge hash seen last
    last_change: float | None = None
    running: str | None = None  # knowledge hash of the training in progress
    failed: str | None = None  # knowledge hash whose training failed (not retried until the next change)

    def observe(self, knowledge: str, now: float) -> None:
        """The knowledge base as it is now (called on every poll)."""
        if knowledge != self.wanted:
            self.wanted = knowledge
            self.last_change = now

    def due(self, now: float) -> str | None:
        """The knowledge hash to train now, or None (nothing to do, a training runs, or still settling)."""
        if not self.pending or self.running is not None:
            return None
        if self.last_change is not None and now - self.last_change < self.debounce:
            return None
        return self.wanted

    @property
    def pending(self) -> bool:
        """The knowledge base differs from the serving model's and has not failed to train as it is."""
        return self.wanted is not None and self.wanted not in (self.served, self.failed)

    def started(self, knowledge: str) -> None:
        self.running = knowledge

    def finished(self, knowledge: str, ok: bool) -> None:
        """A training of `knowledge` ended. A success serves it; a failure is not retried in a loop (staff's next
        edit, or a restart, tries again) and leaves the old model serving."""
        self.running = None
        if ok:
            self.served = knowledge
            self.failed = None
        else:
            self.failed = knowledge
