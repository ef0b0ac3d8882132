"""Fakes (not mocks): small working stand-ins for the NLU server, used by the fast tests."""

from __future__ import annotations

from bot.nlu_client import IntentScore, NluResult, NluUnavailable


class FakeNlu:
    """Answers from a table of text → ranking; anything else is 'down' unless a default is given."""

    def __init__(self, answers: dict[str, list[tuple[str, float]]] | None = None, down: bool = False) -> None:
        self.answers = answers or {}
        self.down = down
        self.calls: list[str] = []

    async def parse(self, text: str) -> NluResult:
        self.calls.append(text)
        if self.down or text not in self.answers:
            raise NluUnavailable("fake NLU is down")
        return NluResult(tuple(IntentScore(intent, confidence) for intent, confidence in self.answers[text]))

    async def aclose(self) -> None:
        return None
