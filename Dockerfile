# The Telegram bot (Python 3.12, python-telegram-bot 22). Talks to the NLU server over HTTP, so nlu/ (the Rasa
# project, its own image) is not copied: nothing in bot/, handlers/ or knowledge/ imports it. See .dockerignore.
FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 MPLCONFIGDIR=/tmp/mpl
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY handlers ./handlers
COPY knowledge ./knowledge
COPY surveys ./surveys
RUN pip install . && useradd --uid 10001 --create-home assistant && mkdir -p /app/data && chown -R assistant /app
USER assistant
# Migrations run at start-up; with TELEGRAM_BOT_TOKEN it serves Telegram by long polling.
CMD ["python", "-m", "bot"]
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["python", "-m", "bot.healthcheck"]
