"""An alert's life, for every source: pure transitions, and the commands that write them.

``transitions``: what can happen to any alert (acknowledge, unacknowledge, resolve, escalate,
repeat, silence end). ``rule_alerts``: what only a rule's evaluation does (start, recover,
change severity, settle). ``commands``: ``AlertLifecycle``, the one writer of alert items,
called by the evaluator, the sweep and the API.
"""

from alerting.lifecycle.commands import AlertLifecycle
from alerting.lifecycle.rule_alerts import (
    EVALUATOR,
    change_severity,
    forget_alert,
    recover,
    settle,
    start_alert,
)
from alerting.lifecycle.transitions import (
    SILENCE_END_WINDOW,
    SYSTEM,
    acknowledge,
    due_transition,
    resolve,
    silence_ended,
    unacknowledge,
)

__all__ = [
    "EVALUATOR",
    "SILENCE_END_WINDOW",
    "SYSTEM",
    "AlertLifecycle",
    "acknowledge",
    "change_severity",
    "due_transition",
    "forget_alert",
    "recover",
    "resolve",
    "settle",
    "silence_ended",
    "start_alert",
    "unacknowledge",
]
