"""policy-tracker: watch the legal pages of online platforms and record what changed.

The pipeline, wired in :mod:`tracker.pipeline`::

    config ──> fetch ──> quality ──> extract ──> normalise ──> archive
    (TOML)    (HTTP)    (blocked?)   (HTML→MD)   (noise out)   (snapshots/)

Each stage is a subpackage of its own (``tracker.fetch``, ``tracker.extract``,
``tracker.compare``, ``tracker.classify``, ``tracker.archive``, ``tracker.render``,
``tracker.notify``; ``tracker.state``, ``tracker.ops`` and ``tracker.cli`` around them); only
``pipeline`` calls them in order.
"""

__version__ = "0.1.0"
