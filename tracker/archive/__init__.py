"""Archive: the record under ``snapshots/``: files, hash chain, git history, evidence.

No re-exports: import the module itself (e.g. ``from tracker.archive.store import ...``).

Modules:

- ``store``: the archive: the only code that reads or writes ``snapshots/``.
- ``chain``: the hash chain of the archive: entries, their hashes, reading and checking them.
- ``lock``: one writer per archive: an OS lock on ``<archive>/.lock``.
- ``verify``: ``tracker verify``: prove the archive is what was recorded.
- ``export``: ``tracker export``: one document's evidence bundle, a deterministic zip file.
- ``bundle``: the evidence bundle's format, and ``tracker verify --bundle``.
- ``bundle_guide``: ``VERIFY.md``: how to check a bundle with standard tools.
- ``provenance``: where an imported file came from, recorded with the version it makes.
- ``index``: the generated ``README.md`` of each document folder.
- ``gitstore``: the archive folder as a git repository: the ``git`` command as a subprocess.
- ``history``: the archive's git history: restored at start-up, committed after each pass, pushed.
- ``commit_messages``: the messages of the archive's git commits.
- ``deliveries``: ``deliveries.csv``: when the outbox began and which alerts were delivered.
"""
