"""The thin anchor bot of `make bench-load`: python-telegram-bot 22 with concurrent updates, each text straight to
Rasa's /model/parse, the top intent as the reply — no database, no knowledge base, no rate limiter.

    python -m scripts.thin_bot --base-url http://127.0.0.1:PORT/bot --token T --rasa-url URL --rasa-token T
"""

from __future__ import annotations

import argparse

import httpx
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--rasa-url", required=True)
    parser.add_argument("--rasa-token", default="")
    args = parser.parse_args()
    client = httpx.AsyncClient(timeout=5)

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        response = await client.post(f"{args.rasa_url}/model/parse", json={"text": update.effective_message.text},
                                     params={"token": args.rasa_token} if args.rasa_token else {})
        intent = response.json().get("intent", {}).get("name") or "?"
        await update.effective_message.reply_text(intent)

    application = (ApplicationBuilder().token(args.token).base_url(args.base_url).concurrent_updates(64)
                   .build())
    application.add_handler(MessageHandler(filters.TEXT, reply))
    application.run_polling(timeout=10, poll_interval=0)


if __name__ == "__main__":
    main()
