"""Quiet: what holds a transition back (inhibit → silence → mute → flap), one verdict for every
target alike, the stack's topic included. The claim records it for a target not yet settled."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from alerting.models.alerts import Alert
from notifier.pipeline import Quieting, suppression
from notifier.stages.base import Delivery


@dataclass(frozen=True)
class Quiet:
    quieting: Callable[[], Quieting] = Quieting  # silences, mute windows, inhibitions (cached)
    open_alerts: Callable[[], Sequence[Alert]] = tuple  # read only when an inhibition may apply

    def __call__(self, deliveries: list[Delivery]) -> list[Delivery]:
        if not deliveries:
            return deliveries
        quieting = self.quieting()
        alert = deliveries[0].notice.alert  # one transition's targets
        verdict = suppression(alert, quieting, self.open_alerts() if quieting.may_inhibit(alert) else ())
        for delivery in deliveries:
            delivery.quiet = verdict
        return deliveries
