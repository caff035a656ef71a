"""Fetch: a document's page over HTTP, and whether what came back is the document at all.

The stage's I/O is one injected ``requests.Session``; the other modules are pure.

No re-exports: import the module itself (e.g. ``from tracker.fetch.fetcher import ...``).

Modules:

- ``fetcher``: Document → Capture: the only module that speaks HTTP.
- ``addresses``: where the tracker may fetch from: public addresses, redirects that stay on the
  site.
- ``watchdog``: the socket layer under the fetcher: one deadline per fetch, a check of every peer.
- ``quality``: is this capture the document at all? ``assess`` answers, or raises ``BlockedError``.
"""
