"""Notify: route recorded changes to channels, queue alerts, deliver them to Telegram.

No re-exports: import the module itself (e.g. ``from tracker.notify.alerts import ...``).

Modules:

- ``alerts``: queue alerts: a recorded change routed to its channels, digests, notices.
- ``channels``: routing: which Telegram channels want which change.
- ``outbox``: the outbox: every Telegram message to send, until Telegram accepts it.
- ``outages``: outages: documents of one host failing with one cause, told as one.
- ``delivery``: drain the outbox to Telegram, or to the console when there is no token.
"""
