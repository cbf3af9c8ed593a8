"""Inhibition (Alertmanager's inhibit_rules): while an alert matching `source` is open, alerts
matching `target` whose `equal` labels carry the same values are recorded but not notified;
a region-down alert keeps the per-service alerts of that region quiet."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, ClassVar

from pydantic import Field

from alerting.models.common import Model, ResourceId, Stored
from alerting.models.silences import Matcher, alert_labels

if TYPE_CHECKING:
    from alerting.models.alerts import Alert


class InhibitionSpec(Model):
    inhibition_id: ResourceId | None = None
    name: Annotated[str, Field(max_length=200)] = ""
    source: Annotated[list[Matcher], Field(min_length=1, max_length=20)]
    target: Annotated[list[Matcher], Field(min_length=1, max_length=20)]
    equal: Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=20)] = []

    def aims_at(self, alert: Alert) -> bool:
        return self._targets(alert_labels(alert))

    def _targets(self, labels: dict[str, str]) -> bool:
        return all(m.matches(labels) for m in self.target)

    def _sources(self, labels: dict[str, str]) -> bool:
        return all(m.matches(labels) for m in self.source)

    def source_of(self, alert: Alert, open_alerts: Iterable[Alert]) -> Alert | None:
        """The open alert that inhibits ``alert`` under this rule, if any. An alert never
        inhibits itself; a label neither carries reads as the empty string (so it is equal).
        An alert that matches both sides is not inhibited by another that matches both sides
        (Alertmanager's ``excludeTwoSidedMatch``): two of them would otherwise silence each other."""
        labels = alert_labels(alert)
        if not self._targets(labels):
            return None
        two_sided = self._sources(labels)
        for source in sorted(open_alerts, key=lambda a: a.alert_id):
            theirs = alert_labels(source)
            if (
                source.alert_id != alert.alert_id
                and source.is_open
                and self._sources(theirs)
                and all(theirs.get(name, "") == labels.get(name, "") for name in self.equal)
                and not (two_sided and self._targets(theirs))
            ):
                return source
        return None


class Inhibition(Stored, InhibitionSpec):
    ID_FIELD: ClassVar[str] = "inhibition_id"
    inhibition_id: ResourceId
