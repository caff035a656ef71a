"""The subscriber bot (``tracker bot``): journalists subscribe from Telegram itself.

Pure parts, each testable without Telegram:

- :mod:`tracker.bot.subscription`: a subscriber's choices and whether a change is for them
  (the same routing rules as a configured channel, :func:`tracker.notify.channels.delivery`);
- :mod:`tracker.bot.commands`: a message's text as a command and its arguments;
- :mod:`tracker.bot.texts`: every word the bot says, in English and French;
- :mod:`tracker.bot.screens`: the ``/subscribe`` inline keyboards and what a button does.

Imperative parts: :mod:`tracker.bot.store` (subscribers in the state database, migration 5),
:mod:`tracker.bot.fanout` (a change queued for its subscribers in the outbox, with the
channels' post), :mod:`tracker.bot.answers` (what each command answers, from the archive) and
:mod:`tracker.bot.app` (the python-telegram-bot ``Application``: long polling or a webhook).
The bot never sends alerts itself: they go through the outbox, drained by ``tracker run``.
"""
