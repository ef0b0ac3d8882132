"""Serving the NLU model: a small gateway in front of Rasa (standard library only, Python ≥ 3.10).

    python -m nlu.serving --listen 127.0.0.1:5005 --models nlu/models --knowledge knowledge/data ...

- `gateway.py`   the only door to Rasa: `POST /model/parse` and `GET /status` (with the shared token); Rasa's
                 model-replacement and training endpoints are never reachable, Rasa listens on 127.0.0.1 only.
- `supervisor.py` runs Rasa, restarts it with back-off when it dies (each restart logged), watches the knowledge
                 base, retrains in the background (debounced, one training at a time) and swaps the new model in
                 without downtime: a second Rasa on the new model takes over once it is ready.
- `schedule.py`  the debounce rule; `processes.py` starting/stopping Rasa and the training commands; `httpio.py` a
                 minimal HTTP/1.1 client and request reader.

Design and deployment: docs/nlu-serving.md.
"""
