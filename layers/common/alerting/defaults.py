"""The rules every deployment starts with (from the original design).

Their namespace and dimensions are deployment parameters (`DefaultRulesNamespace`,
`DefaultRulesDimensions`); the seeder custom resource and the local stack both call
`default_rules`.
"""

from __future__ import annotations

from alerting.errors import InvalidInput
from alerting.models.rules import Rule


def parse_dimensions(text: str, field: str = "DefaultRulesDimensions") -> dict[str, str]:
    """`"Service=web,Env=prod"` → `{"Service": "web", "Env": "prod"}`; errors name `field`."""
    dimensions: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InvalidInput(field, f"expected Name=Value, got {pair!r}")
        dimensions[name.strip()] = value.strip()
    return dimensions


def default_rules(namespace: str, dimensions: dict[str, str]) -> list[Rule]:
    def metric(name: str) -> dict[str, object]:
        return {"namespace": namespace, "name": name, "dimensions": dimensions, "statistic": "Average"}

    specs: list[dict[str, object]] = [
        {
            "rule_id": "high-cpu-usage",
            "name": "High CPU Usage",
            "severity": "high",
            "conditions": [{"metric": metric("CPUUtilization"), "operator": "gte", "threshold": 85}],
            "window_seconds": 300,
            "breaches_to_fire": 2,
            "annotations": {
                "summary": "CPU at {{ '%.1f' | format(value) }}% (threshold {{ '%g' | format(threshold) }}%)",
                "runbook_url": "https://example.com/runbooks/high-cpu",
            },
        },
        {
            "rule_id": "high-memory-usage",
            "name": "High Memory Usage",
            "severity": "high",
            "conditions": [{"metric": metric("MemoryUtilization"), "operator": "gte", "threshold": 90}],
            "window_seconds": 180,
            "breaches_to_fire": 3,
            "annotations": {
                "summary": "Memory at {{ '%.1f' | format(value) }}% (threshold {{ '%g' | format(threshold) }}%)"
            },
        },
        {
            "rule_id": "low-cache-hit-rate",
            "name": "Low Cache Hit Rate",
            "severity": "medium",
            "conditions": [{"metric": metric("CacheHitRate"), "operator": "lt", "threshold": 70}],
            "window_seconds": 600,
            "breaches_to_fire": 2,
            "annotations": {
                "summary": "Cache hit rate {{ '%.1f' | format(value) }}% (below {{ '%g' | format(threshold) }}%)"
            },
        },
    ]
    return [Rule.model_validate({"category": "performance", "labels": {"team": "platform"}, **s}) for s in specs]
