"""Custom Rasa components (they run inside the Rasa venv, Python 3.10; they import nothing from the bot).

Referenced from the pipeline files by module path (`nlu.components.stems.StemmingTokenizer`), so Rasa must run
with the project root on PYTHONPATH (scripts/train.sh, scripts/nlu-server.sh and nlu/Dockerfile do).
"""
