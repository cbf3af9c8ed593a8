"""Outside sources of alerts, read purely: what a source sends becomes a `Signal` (or the reason
it is ignored), which `AlertLifecycle.receive` turns into an alert (docs/sources.md).

``alarm_events``: a CloudWatch alarm's state-change event, as EventBridge delivers it;
``cloudwatch_alarms``: which of them become signals, and what those carry.
"""
