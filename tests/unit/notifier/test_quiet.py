"""Quiet: one verdict per transition, for every target alike; the open alerts are read only when
an inhibition may hold the transition back."""

from __future__ import annotations

from datetime import timedelta

from alerting.models.inhibitions import Inhibition
from alerting.models.mute_windows import MuteWindow
from alerting.stream import Notice
from notifier.pipeline import Quieting
from notifier.stages.base import Delivery
from notifier.stages.quiet import Quiet
from tests.factories import T0, make_silence
from tests.unit.notifier.builders import SLACK, TOPIC, notice

NEVER = Inhibition.model_validate(
    {
        "inhibition_id": "never",
        "source": [{"label": "severity", "value": "critical"}],
        "target": [{"label": "rule_id", "value": "another-rule"}],
    }
)


def targets() -> list[Delivery]:
    fired = notice()
    return [Delivery(fired, TOPIC.channel_id, TOPIC), Delivery(fired, SLACK.channel_id, SLACK)]


def test_a_silence_quiets_every_target_alike():
    silenced = Quieting(silences=[make_silence(starts_at=T0 - timedelta(minutes=5))])
    deliveries = Quiet(lambda: silenced)(targets())
    assert [d.quiet.silence_id if d.quiet else None for d in deliveries] == ["drill", "drill"]


def test_nothing_quiets_a_plain_transition_and_the_open_alerts_are_not_read():
    reads: list[int] = []
    deliveries = Quiet(lambda: Quieting(inhibitions=[NEVER]), lambda: reads.append(1) or [])(targets())
    assert [d.quiet for d in deliveries] == [None, None]
    assert reads == []  # no inhibition aims at this alert


def test_a_transition_without_targets_reads_nothing():
    def unread() -> Quieting:
        raise AssertionError("read")

    assert Quiet(unread)([]) == []


# -- the windows of the routes an alert matched as it opened (alert.mute_windows, active_windows) --


def window(window_id: str, start: str, end: str, **fields: object) -> MuteWindow:
    """A window over every day, in UTC; ``matchers`` that the factory's alert does not match."""
    spec = {"time_zone": "UTC", "times": [{"start": start, "end": end}], **fields}
    never = [{"label": "team", "value": "nobody"}]
    return MuteWindow.model_validate({"mute_window_id": window_id, "name": window_id, "matchers": never, **spec})


OPEN_NOW = window("on-shift", "15:00", "17:00")  # T0 is 16:00 UTC
CLOSED_NOW = window("nights", "22:00", "06:00")


def routed(mute: tuple[str, ...] = (), active: tuple[str, ...] = ()) -> list[Delivery]:
    """The factory's transition, of an alert whose routes had these windows."""
    fired = notice()
    alert = fired.alert.model_copy(update={"mute_windows": list(mute), "active_windows": list(active)})
    opened = Notice(alert, fired.event, fired.seq)
    return [Delivery(opened, TOPIC.channel_id, TOPIC), Delivery(opened, SLACK.channel_id, SLACK)]


def verdicts(deliveries: list[Delivery], *windows: MuteWindow) -> list[tuple[str | None, str | None]]:
    quieted = Quiet(lambda: Quieting(mute_windows=windows))(deliveries)
    return [(d.quiet.mute_window_id, d.quiet.reason) if d.quiet else (None, None) for d in quieted]


def test_a_routes_mute_window_quiets_the_alert_by_time_alone_while_it_is_active():
    muted = ("on-shift", "muted by on-shift (its route's)")
    assert verdicts(routed(mute=("nights", "on-shift")), OPEN_NOW, CLOSED_NOW) == [muted, muted]
    assert verdicts(routed(mute=("nights",)), OPEN_NOW, CLOSED_NOW) == [(None, None)] * 2
    assert verdicts(routed(), OPEN_NOW, CLOSED_NOW) == [(None, None)] * 2  # its matchers alone: not this alert


def test_active_windows_quiet_the_alert_unless_one_of_them_is_active():
    outside = ("nights", "outside its route's active windows (nights)")
    assert verdicts(routed(active=("nights",)), OPEN_NOW, CLOSED_NOW) == [outside, outside]
    assert verdicts(routed(active=("nights", "on-shift")), OPEN_NOW, CLOSED_NOW) == [(None, None)] * 2


def test_a_disabled_or_missing_active_window_holds_nothing_back():
    disabled = window("nights", "22:00", "06:00", enabled=False)
    assert verdicts(routed(active=("nights",))) == [(None, None)] * 2
    assert verdicts(routed(active=("nights",)), disabled) == [(None, None)] * 2
    assert verdicts(routed(mute=("on-shift",), active=("nights",))) == [(None, None)] * 2
