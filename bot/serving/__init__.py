"""Serving Telegram updates: the chat-ordered concurrent processor, the polling loop and the webhook app.

Telegram-side infrastructure (it imports telegram), used only by the composition root `bot.app` and
`bot.__main__`; the use cases never import it."""
