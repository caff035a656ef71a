"""The command line: ``tracker check | run | status | send | outbox | import | ...``.

No re-exports: import the module itself (e.g. ``from tracker.cli.main import ...``).

Modules:

- ``main``: the ``tracker`` command and its subcommands (the console script's ``main``).
- ``alerts``: ``tracker send`` and ``tracker outbox``, and the Telegram helpers of other commands.
- ``common``: what every command shares: exit codes, options' context, error handling.
- ``status``: ``tracker status [--json]``: rendering the status of every document.
"""
