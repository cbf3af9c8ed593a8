"""The notifier's decisions as pure functions: suppression (inhibit → silence → mute → flap),
routing to the audience (schedules resolved when a level is notified), the step per target,
and the outcome of a failed round. The executor around them is tested in test_delivery."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.errors import DeliveryError
from alerting.lifecycle import due_transition
from alerting.models.alerts import Alert
from alerting.models.channels import Channel, DeliveryRecord, DeliveryStatus
from alerting.models.common import AlertEvent, epoch
from alerting.models.inhibitions import Inhibition
from alerting.models.mute_windows import MuteWindow
from alerting.models.policies import EscalationPolicySpec
from alerting.repositories.breakers import Breaker
from alerting.stream import Notice
from notifier.pipeline import (
    Act,
    Quieting,
    RetryPolicy,
    after_failure,
    audience,
    group_key,
    group_order,
    step,
    suppression,
)
from tests.factories import T0, make_silence
from tests.unit.channels.builders import alert_rule, make_alert

POLICY = EscalationPolicySpec.model_validate(
    {
        "name": "Payments on-call",
        "levels": [
            {"targets": [{"channel": "ops-slack"}], "escalate_after_seconds": 900},
            {"targets": [{"schedule": "primary"}], "escalate_after_seconds": 900},
            {"targets": [{"channel": "manager-email"}], "escalate_after_seconds": 1800},
        ],
        "repeat": 1,
    }
)
ON_CALL = {"primary": "alice-sms"}.get


def escalated(minutes: int, **rule: object) -> Alert:
    alert = make_alert(alert_rule(escalation_policy_id="payments", **rule))
    for minute in range(1, minutes + 1):
        due = due_transition(alert, POLICY, None, T0 + timedelta(minutes=minute))
        alert = due[0] if due else alert
    return alert


@pytest.mark.parametrize(
    ("minutes", "event", "notified", "expected"),
    [
        (0, AlertEvent.firing, [], ["ops-email", "ops-slack"]),  # rule channels + level 1
        (15, AlertEvent.escalated, [], ["alice-sms"]),  # level 2 alone: its schedule, on call now
        (30, AlertEvent.escalated, [], ["manager-email"]),
        # everyone who heard before (the ledger): who was on call then, not now; never reached: nothing
        (30, AlertEvent.acknowledged, ["ops-email", "ops-slack", "bob-sms"], ["ops-email", "ops-slack", "bob-sms"]),
        (15, AlertEvent.resolved, [], []),  # nobody heard of it (every delivery was held back)
        (15, AlertEvent.repeat, ["bob-sms"], ["ops-email"]),  # reminders: the rule's channels
    ],
)
def test_audience_is_who_has_heard_of_the_alert(minutes, event, notified, expected):
    alert = escalated(minutes, channels=["ops-email"])
    assert audience(alert, event, POLICY, ON_CALL, notified) == expected


def test_where_a_flapping_series_settled_goes_to_the_rules_audience():
    alert = escalated(15, channels=["ops-email"])
    settled = alert.model_copy(update={"last_transition": alert.last_transition.model_copy(update={"settled": True})})
    assert audience(settled, AlertEvent.resolved, POLICY, ON_CALL, ["bob-sms"]) == ["ops-email", "ops-slack", "bob-sms"]


def test_a_schedule_that_no_longer_exists_pages_nobody_and_no_policy_means_the_rules_channels():
    alert = escalated(15)
    assert audience(alert, AlertEvent.escalated, POLICY, lambda _: None) == []
    plain = make_alert(alert_rule(channels=["ops-email"]))
    assert audience(plain, AlertEvent.resolved, None, ON_CALL, ["ops-email"]) == ["ops-email"]
    assert audience(plain, AlertEvent.escalated, None, ON_CALL) == []


def window(days: list[str], start: str = "00:00", end: str = "24:00", **overrides: object) -> MuteWindow:
    data = {
        "mute_window_id": "nights",
        "name": "Nights",
        "time_zone": "UTC",
        "times": [{"weekdays": days, "start": start, "end": end}],
    }
    return MuteWindow.model_validate(data | overrides)


REGION_DOWN = Inhibition.model_validate(
    {
        "inhibition_id": "region-down",
        "source": [{"label": "severity", "value": "critical"}],
        "target": [{"label": "severity", "op": "!=", "value": "critical"}],
        "equal": ["region"],
    }
)


def region_alert(alert_id: str, severity: str, region: str) -> Alert:
    alert = make_alert(alert_rule(severity=severity, labels={"region": region}))
    return alert.model_copy(update={"alert_id": alert_id})


def test_nothing_quiets_a_plain_alert():
    assert suppression(make_alert(), Quieting()) is None


def test_inhibition_needs_an_open_source_with_the_equal_labels():
    target = region_alert("svc", "high", "eu")
    quieting = Quieting(inhibitions=[REGION_DOWN])
    found = suppression(target, quieting, [region_alert("down", "critical", "eu")])
    assert found is not None and (found.inhibited_by, found.reason) == ("down", "inhibited by alert down")
    assert suppression(target, quieting, [region_alert("down", "critical", "us")]) is None  # other region
    assert suppression(target, quieting, [region_alert("peer", "high", "eu")]) is None  # not a source
    assert (
        suppression(region_alert("down", "critical", "eu"), quieting, [region_alert("down", "critical", "eu")]) is None
    )


def test_inhibition_without_equal_labels_holds_across_every_value():
    anywhere = REGION_DOWN.model_copy(update={"equal": []})
    found = suppression(
        region_alert("svc", "high", "eu"), Quieting(inhibitions=[anywhere]), [region_alert("down", "critical", "us")]
    )
    assert found is not None and found.inhibited_by == "down"
    assert Quieting(inhibitions=[anywhere]).may_inhibit(region_alert("x", "critical", "eu")) is False


def test_a_source_whose_severity_changed_is_judged_again():
    """Sources are remembered per alert (every transition looks through the same open alerts);
    an alert's labels change with its severity, so a warning that became critical inhibits."""
    rule = REGION_DOWN.model_copy(deep=True)
    quieting = Quieting(inhibitions=[rule])
    target = region_alert("svc", "high", "eu")
    assert suppression(target, quieting, [region_alert("db", "medium", "eu")]) is None
    found = suppression(target, quieting, [region_alert("db", "critical", "eu")])
    assert found is not None and found.inhibited_by == "db"


def test_a_resolved_source_inhibits_nothing():
    source = region_alert("down", "critical", "eu")
    closed = source.model_copy(update={"status": "resolved"})
    assert suppression(region_alert("svc", "high", "eu"), Quieting(inhibitions=[REGION_DOWN]), [closed]) is None


def test_the_stages_run_in_order_inhibit_silence_mute_flap():
    alert = region_alert("svc", "high", "eu")  # T0 is a Thursday
    everything = Quieting(silences=[make_silence()], mute_windows=[window(["thu"])], inhibitions=[REGION_DOWN])
    open_alerts = [region_alert("down", "critical", "eu")]
    assert suppression(alert, everything, open_alerts).inhibited_by == "down"
    assert suppression(alert, everything, []).silence_id == "drill"
    muted = suppression(alert, Quieting(mute_windows=[window(["thu"])]))
    assert (muted.mute_window_id, muted.reason) == ("nights", "muted by nights")
    assert suppression(alert, Quieting(mute_windows=[window(["fri"])])) is None
    flapping = alert.model_copy(update={"flapping": True})
    assert suppression(flapping, Quieting()).reason.startswith("flapping")


def test_the_flapping_announcement_itself_is_not_held_back():
    alert = make_alert()
    announced = alert.model_copy(
        update={
            "flapping": True,
            "last_transition": alert.last_transition.model_copy(update={"event": AlertEvent.flapping}),
        }
    )
    assert suppression(announced, Quieting()) is None


def test_a_silence_is_judged_at_the_transitions_time_not_the_notifiers():
    alert = make_alert()  # fired at T0
    assert suppression(alert, Quieting(silences=[make_silence(ends_at=T0 + timedelta(seconds=1))])) is not None
    assert suppression(alert, Quieting(silences=[make_silence(starts_at=T0 + timedelta(seconds=1))])) is None


SLACK = Channel(channel_id="ops-slack", name="Ops", type="slack", target={}, filters={"min_severity": "high"})
NOW = epoch(T0)


def notice(severity: str = "high") -> Notice:
    return Notice(make_alert(alert_rule(severity=severity)), AlertEvent.firing, 1)


def record(status: DeliveryStatus, **fields: object) -> DeliveryRecord:
    return DeliveryRecord.model_validate(
        {
            "alert_id": "alert-1",
            "seq": 1,
            "channel_id": "ops-slack",
            "channel_type": "slack",
            "event": "firing",
            "status": status,
            "created_at": T0,
            "updated_at": T0,
        }
        | fields
    )


QUIET = suppression(make_alert(), Quieting(silences=[make_silence()]))


@pytest.mark.parametrize(
    ("case", "channel", "previous", "quiet", "breaker", "severity", "expected"),
    [
        ("new, nothing in the way", SLACK, None, None, Breaker("ops-slack"), "high", (Act.send, None)),
        ("already delivered", SLACK, record(DeliveryStatus.delivered), None, None, "high", (Act.keep, None)),
        ("already failed", SLACK, record(DeliveryStatus.failed), None, None, "high", (Act.keep, None)),
        ("already suppressed", SLACK, record(DeliveryStatus.suppressed), QUIET, None, "high", (Act.keep, None)),
        ("silenced", SLACK, None, QUIET, Breaker("ops-slack"), "high", (Act.record, DeliveryStatus.suppressed)),
        ("no such channel", None, None, None, None, "high", (Act.record, DeliveryStatus.failed)),
        ("silenced beats missing", None, None, QUIET, None, "high", (Act.record, DeliveryStatus.suppressed)),
        ("below the filter", SLACK, None, None, Breaker("ops-slack"), "low", (Act.record, DeliveryStatus.suppressed)),
        (
            "disabled",
            SLACK.model_copy(update={"enabled": False}),
            None,
            None,
            Breaker("ops-slack"),
            "high",
            (Act.record, DeliveryStatus.suppressed),
        ),
        (
            "claimed elsewhere",
            SLACK,
            record(DeliveryStatus.sending, lease_until=NOW + 1),
            None,
            Breaker("ops-slack"),
            "high",
            (Act.hold, None),
        ),
        (
            "lease lapsed",
            SLACK,
            record(DeliveryStatus.sending, lease_until=NOW),
            None,
            Breaker("ops-slack"),
            "high",
            (Act.send, None),
        ),
        (
            "round not due",
            SLACK,
            record(DeliveryStatus.retrying, next_attempt_at=NOW + 30),
            None,
            Breaker("ops-slack"),
            "high",
            (Act.hold, None),
        ),
        (
            "round due",
            SLACK,
            record(DeliveryStatus.retrying, next_attempt_at=NOW),
            None,
            Breaker("ops-slack"),
            "high",
            (Act.send, None),
        ),
        (
            "pending ignores a new silence",
            SLACK,
            record(DeliveryStatus.retrying, next_attempt_at=NOW),
            QUIET,
            Breaker("ops-slack"),
            "high",
            (Act.send, None),
        ),
        ("breaker open", SLACK, None, None, Breaker("ops-slack", 5, NOW + 60), "high", (Act.defer, None)),
        ("breaker closed again", SLACK, None, None, Breaker("ops-slack", 5, NOW), "high", (Act.send, None)),
    ],
)
def test_step_per_target(case, channel, previous, quiet, breaker, severity, expected):
    decided = step(notice(severity), channel, previous, quiet, breaker, NOW)
    assert (decided.act, decided.status) == expected, case


def test_a_suppressed_step_carries_what_suppressed_it():
    decided = step(notice(), SLACK, None, QUIET, Breaker("ops-slack"), NOW)
    assert (decided.reason, decided.suppression.silence_id) == ("silenced by drill", "drill")


@pytest.mark.parametrize(
    ("error", "rounds", "expected"),
    [
        (DeliveryError("500", retryable=True), 1, (DeliveryStatus.retrying, NOW + 30)),
        (DeliveryError("500", retryable=True), 3, (DeliveryStatus.retrying, NOW + 120)),  # doubling
        (DeliveryError("429", retryable=True, retry_after=45), 1, (DeliveryStatus.retrying, NOW + 45)),
        (DeliveryError("500", retryable=True), 6, (DeliveryStatus.failed, None)),  # rounds spent
        (DeliveryError("400", retryable=False), 1, (DeliveryStatus.failed, None)),
    ],
)
def test_after_failure(error, rounds, expected):
    claim = record(DeliveryStatus.sending, rounds=rounds)
    outcome = after_failure(claim, error, RetryPolicy(), NOW)
    assert (outcome.status, outcome.next_attempt_at) == expected


def test_a_rise_in_severity_reaches_the_rules_channels_and_a_fall_only_those_sent_to():
    alert = escalated(0, channels=["ops-email", "pager"])
    risen = alert.model_copy(update={"severity": "critical"})
    # severity_changed goes to the rule's channels (a `min_severity: critical` pager first hears
    # of the alert now) and whoever heard it
    assert audience(risen, AlertEvent.severity_changed, POLICY, ON_CALL, ["bob-sms"]) == [
        "ops-email",
        "pager",
        "ops-slack",
        "bob-sms",
    ]


PAGER = Channel(channel_id="pager", name="Pager", type="sms", target={}, filters={"min_severity": "critical"})


def test_a_channel_sent_an_earlier_transition_hears_the_rest_whatever_its_filter():
    fell = Notice(make_alert(alert_rule(severity="medium")), AlertEvent.severity_changed, 3)
    assert step(fell, PAGER, None, None, Breaker("pager"), NOW).status is DeliveryStatus.suppressed
    assert step(fell, PAGER, None, None, Breaker("pager"), NOW, sent_before=True).act is Act.send


@pytest.mark.parametrize(
    ("filters", "severity", "event", "sent_before", "sent"),
    [
        # severity and category decide who first hears of an alert...
        ({"min_severity": "critical"}, "medium", AlertEvent.firing, False, False),
        ({"min_severity": "critical"}, "medium", AlertEvent.severity_changed, True, True),
        ({"categories": ["security"]}, "high", AlertEvent.acknowledged, True, True),
        # ...the `events` filter applies to every transition, heard of before or not
        ({"events": ["firing", "resolved"]}, "high", AlertEvent.firing, False, True),
        ({"events": ["firing", "resolved"]}, "high", AlertEvent.acknowledged, True, False),
        ({"events": ["firing", "resolved"]}, "high", AlertEvent.escalated, True, False),
        ({"events": ["firing", "resolved"]}, "high", AlertEvent.resolved, True, True),
        ({"events": ["resolved"], "min_severity": "critical"}, "medium", AlertEvent.resolved, True, True),
        ({"events": ["firing"], "min_severity": "critical"}, "medium", AlertEvent.severity_changed, True, False),
    ],
)
def test_a_channels_events_filter_always_applies(filters, severity, event, sent_before, sent):
    channel = Channel(channel_id="ops-slack", name="Ops", type="slack", target={}, filters=filters)
    transition = Notice(make_alert(alert_rule(severity=severity)), event, 2)
    decided = step(transition, channel, None, None, Breaker("ops-slack"), NOW, sent_before=sent_before)
    expected = (Act.send, None, "") if sent else (Act.record, DeliveryStatus.suppressed, "filtered out")
    assert (decided.act, decided.status, decided.reason) == expected


def test_only_sends_count_as_sent():
    assert record(DeliveryStatus.delivered).sent and record(DeliveryStatus.failed).sent
    filtered = record(DeliveryStatus.suppressed, error="filtered out")
    assert not filtered.sent and filtered.heard
    silenced = record(DeliveryStatus.suppressed, silence_id="drill")
    assert not silenced.sent and not silenced.heard


GROUPED = Channel(channel_id="ops-slack", name="Ops", type="slack", target={}, group_by=["rule_id", "region"])


def test_a_grouping_channel_joins_the_group_instead_of_sending():
    assert step(notice(), GROUPED, None, None, Breaker("ops-slack"), NOW).act is Act.group
    assert step(notice(), GROUPED, None, QUIET, Breaker("ops-slack"), NOW).status is DeliveryStatus.suppressed
    waiting = record(DeliveryStatus.grouped, next_attempt_at=NOW + 60)
    assert step(notice(), GROUPED, waiting, None, Breaker("ops-slack"), NOW).act is Act.hold
    lost = record(DeliveryStatus.grouped, next_attempt_at=NOW)  # its group message never came
    assert step(notice(), GROUPED, lost, None, Breaker("ops-slack"), NOW).act is Act.send


def test_groups_are_keyed_by_the_group_by_labels_and_ordered_most_urgent_first():
    eu, us = region_alert("eu-1", "high", "eu"), region_alert("us-1", "high", "us")
    key_eu, labels = group_key(GROUPED, eu)
    assert labels == {"rule_id": "high-cpu", "region": "eu"} and key_eu != group_key(GROUPED, us)[0]
    assert group_key(GROUPED.model_copy(update={"group_by": []}), eu)[1] == {}  # one group for everything
    resolved = eu.model_copy(
        update={"last_transition": eu.last_transition.model_copy(update={"event": AlertEvent.resolved})}
    )
    critical = region_alert("crit", "critical", "us")
    assert [a.alert_id for a in group_order([resolved, us, critical])] == ["crit", "us-1", "eu-1"]
