"""policy-tracker: watch the legal pages of online platforms and record what changed.

The pipeline, wired in :mod:`tracker.pipeline`::

    config ──> fetch ──> quality ──> extract ──> normalise ──> archive
    (TOML)    (HTTP)    (blocked?)   (HTML→MD)   (noise out)   (snapshots/)

Each stage is a module of its own; only ``pipeline`` calls them in order.
"""

__version__ = "0.1.0"
