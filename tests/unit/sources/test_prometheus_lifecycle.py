"""Prometheus's `endsAt` in the lifecycle, purely: a firing signal carries its end, a resend
moves it, and an end that passes without a resend resolves the alert (`signals.lapse`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from alerting.lifecycle.signals import Receiver, lapse, step
from alerting.lifecycle.transitions import resolve
from alerting.models.alerts import Alert, AlertSource, Resolution
from alerting.models.common import AlertStatus
from alerting.models.signals import Latest, Signal, SignalOutcome
from tests.factories import T0

NOBODY = Receiver([])
MINUTE = timedelta(minutes=1)


def firing(started: datetime, ends: datetime, **fields: object) -> Signal:
    return Signal.model_validate(
        {
            "source": AlertSource.prometheus,
            "origin": "prometheus:prom",
            "name": "DiskFull",
            "key": '[["alertname","DiskFull"]]',
            "firing": True,
            "at": started,
            "event_id": f"until {ends.isoformat()}",
            "ends_at": ends,
            **fields,
        }
    )


def resolved(at: datetime) -> Signal:
    return firing(T0, T0, firing=False, at=at, event_id="resolved", ends_at=None)


def remember(signal: Signal, latest: Latest | None = None, current: Alert | None = None, now: datetime = T0):
    return step(signal, latest, current, NOBODY, now)


def test_a_firing_alert_remembers_its_end_and_a_resend_moves_it():
    opened = remember(firing(T0, T0 + 4 * MINUTE))
    assert opened.outcome is SignalOutcome.opened
    assert opened.latest is not None and opened.latest.ends_at == T0 + 4 * MINUTE
    alert = opened.change[0] if opened.change else None

    again = remember(firing(T0, T0 + 5 * MINUTE), opened.latest, alert, T0 + MINUTE)

    assert again.outcome is SignalOutcome.refreshed
    assert again.latest is not None and again.latest.ends_at == T0 + 5 * MINUTE


def test_an_end_that_passes_without_a_resend_resolves_the_alert_at_the_sweep():
    opened = remember(firing(T0, T0 + 4 * MINUTE))
    assert opened.latest is not None and opened.change is not None
    alert = opened.change[0]

    before = lapse(opened.latest, alert, T0 + 3 * MINUTE)
    after = lapse(opened.latest, alert, T0 + 4 * MINUTE)

    assert (before.outcome, before.latest) == (SignalOutcome.unchanged, None)
    assert after.outcome is SignalOutcome.resolved and after.change is not None
    assert (after.change[0].status, after.change[0].resolution) == (AlertStatus.resolved, Resolution.auto)
    assert after.latest is not None and after.latest.firing is False


def test_after_a_lapse_the_next_resend_opens_the_alert_again():
    opened = remember(firing(T0, T0 + 4 * MINUTE))
    assert opened.latest is not None and opened.change is not None
    lapsed = lapse(opened.latest, opened.change[0], T0 + 5 * MINUTE)
    assert lapsed.latest is not None and lapsed.change is not None

    back = remember(firing(T0, T0 + 10 * MINUTE), lapsed.latest, lapsed.change[0], T0 + 6 * MINUTE)

    assert back.outcome is SignalOutcome.opened and back.change is not None
    assert back.change[0].alert_id != opened.change[0].alert_id  # a new alert, under an id of its own


def test_a_manual_resolve_is_followed_by_a_new_alert_on_the_next_resend():
    opened = remember(firing(T0, T0 + 4 * MINUTE))
    assert opened.latest is not None and opened.change is not None
    by_hand, _ = resolve(opened.change[0], "alice", T0 + MINUTE, reason="by hand", resolution=Resolution.manual)

    resend = remember(firing(T0, T0 + 5 * MINUTE), opened.latest, by_hand, T0 + MINUTE)

    assert resend.outcome is SignalOutcome.opened and resend.change is not None
    assert resend.change[0].alert_id == f"{opened.change[0].alert_id}-{int((T0 + MINUTE).timestamp())}"


def test_an_older_firing_from_the_other_prometheus_of_a_pair_extends_the_end_only():
    # Prometheus B fired a little after A: its start is later, so A's resends date earlier
    from_b = remember(firing(T0 + 10 * timedelta(seconds=1), T0 + 4 * MINUTE))
    assert from_b.latest is not None

    from_a = remember(firing(T0, T0 + 5 * MINUTE), from_b.latest, None, T0 + MINUTE)
    late_a = remember(firing(T0, T0 + 3 * MINUTE), from_b.latest, None, T0 + MINUTE)

    assert from_a.outcome is SignalOutcome.refreshed
    assert from_a.latest is not None and from_a.latest.ends_at == T0 + 5 * MINUTE
    assert from_a.latest.at == from_b.latest.at
    assert late_a.outcome is SignalOutcome.stale


def test_a_firing_that_started_before_the_resolve_never_reopens():
    opened = remember(firing(T0, T0 + 4 * MINUTE))
    assert opened.latest is not None and opened.change is not None
    ended = remember(resolved(T0 + 2 * MINUTE), opened.latest, opened.change[0], T0 + 2 * MINUTE)
    assert ended.outcome is SignalOutcome.resolved and ended.latest is not None

    late = remember(firing(T0, T0 + 6 * MINUTE), ended.latest, None, T0 + 3 * MINUTE)
    refired = remember(firing(T0 + 5 * MINUTE, T0 + 9 * MINUTE), ended.latest, None, T0 + 5 * MINUTE)

    assert late.outcome is SignalOutcome.stale
    assert refired.outcome is SignalOutcome.opened
