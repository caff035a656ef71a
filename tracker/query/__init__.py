"""Questions asked of the archive: pure functions over version stamps, texts and change records.

- :mod:`tracker.query.when`: a date, a timestamp or a stamp prefix → the version it names (the
  one in force at that moment), or a :class:`~tracker.errors.QueryError` naming what was asked
  and what exists.
- :mod:`tracker.query.changes`: change records filtered by document glob, label (or label
  group), significance and dates.
- :mod:`tracker.query.phrases`: a phrase searched in every version of a document, with the
  versions where it first and last appears.

No module here reads a file: :mod:`tracker.cli.queries` reads the archive and prints.
"""
