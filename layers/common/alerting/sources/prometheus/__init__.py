"""The Alertmanager API v2 (§17, docs/sources.md), read and written purely: what Prometheus,
amtool, karma and Grafana send and expect, field by field as Alertmanager's
`api/v2/openapi.yaml` (0.25) says.

``shapes``: the wire models. ``postable``: posted alerts → signals (with Prometheus's `endsAt`).
``gettable``: our alerts → Alertmanager's alerts and groups (status, receivers, filters).
``matchers``: Alertmanager's matcher syntax and fingerprint. ``silences``: our silences ⇄ theirs.
``config``: the routes as Alertmanager's receivers and YAML, and the status.
"""
