"""Operations: logs, metrics, health, status and failover of a running tracker.

No re-exports: import the module itself (e.g. ``from tracker.ops.health import ...``).

Modules:

- ``health``: ``GET /healthz`` and ``GET /metrics`` of ``tracker run --health-port``.
- ``metrics``: the process's metrics in the Prometheus text format.
- ``logs``: logging: the format, the secret kept out, one line per check.
- ``status``: ``tracker status``: what a maintainer needs to know, gathered.
- ``leadership``: failover for ``tracker run``: one active worker per state database.
"""
