"""Inhibition (Alertmanager's inhibit_rules): while an alert matching `source` is open, alerts
matching `target` whose `equal` labels carry the same values are recorded but not notified;
a region-down alert keeps the per-service alerts of that region quiet."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field

from alerting.models.common import Model, ResourceId, Stored
from alerting.models.silences import Matcher, alert_labels

REMEMBERED_ALERTS = 1_000  # per inhibition (200 at most: some 30 MB in all); past it the memory starts again

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
            if source.alert_id == alert.alert_id or not source.is_open:
                continue
            if self._side_of(source, "source") and not (two_sided and self._side_of(source, "target")):
                theirs = alert_labels(source)
                if all(theirs.get(name, "") == labels.get(name, "") for name in self.equal):
                    return source
        return None

    @cached_property
    def _sides(self) -> dict[tuple[str, str, str, str], bool]:
        return {}

    def _side_of(self, alert: Alert, side: Literal["source", "target"]) -> bool:
        """Whether an open alert matches one side's matchers, remembered per alert: every
        transition looks through the same open alerts (what an alert's labels are changes only
        with its severity or its rule's name). The target side is asked only of an alert that
        matches both itself, so most are never matched against it."""
        memo_key = (side, alert.alert_id, alert.severity.value, alert.rule_name)
        found = self._sides.get(memo_key)
        if found is None:
            if len(self._sides) >= REMEMBERED_ALERTS:
                self._sides.clear()
            labels = alert_labels(alert)
            found = self._sides[memo_key] = all(m.matches(labels) for m in getattr(self, side))
        return found


class Inhibition(Stored, InhibitionSpec):
    ID_FIELD: ClassVar[str] = "inhibition_id"
    inhibition_id: ResourceId
