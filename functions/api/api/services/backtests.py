"""Backtests: a saved rule, or an unsaved one (an edit of a saved rule is compared with it), over
a past range; `alerting.backtest` plans, reads, replays and compares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from alerting.backtest.planning import Limits
from alerting.backtest.replay import Quieting
from alerting.backtest.result import as_json
from alerting.backtest.runner import run
from alerting.discovery import MetricDirectory
from alerting.errors import InvalidInput, InvalidTemplate, NotFound
from alerting.models.mute_windows import MuteWindow
from alerting.models.policies import EscalationPolicy
from alerting.models.rules import Rule
from alerting.models.silences import Silence
from alerting.repositories.cloudwatch import CloudWatchMetrics
from alerting.repositories.config import ConfigRepository
from api.schemas.backtests import BacktestRange, BacktestResult, UnsavedBacktest
from api.services.rules import RuleService

UNSAVED = "unsaved"  # the rule id of a backtested rule that names none


@dataclass
class BacktestService:
    rules: RuleService
    metrics: CloudWatchMetrics
    directory: MetricDirectory  # uncached: a fleet's candidates are whatever reported in two weeks
    silences: ConfigRepository[Silence]
    mute_windows: ConfigRepository[MuteWindow]
    policies: ConfigRepository[EscalationPolicy]
    limits: Limits = field(default_factory=Limits)

    def saved(self, rule_id: str, body: BacktestRange, now: datetime) -> BacktestResult:
        return self._run(self.rules.get(rule_id), None, body, now)

    def unsaved(self, body: UnsavedBacktest, now: datetime) -> BacktestResult:
        """Checked as `POST /rules` checks a rule (the same errors, under `rule.`); with the id of a
        saved rule, compared with it."""
        try:
            self.rules.check(body.rule, now)
        except InvalidTemplate as exc:
            raise InvalidTemplate(f"rule.{exc.field}", exc.message) from None
        except InvalidInput as exc:
            raise InvalidInput(f"rule.{exc.field}", exc.message) from None
        saved = None
        if body.rule.rule_id is not None:
            try:
                saved = self.rules.get(body.rule.rule_id)
            except NotFound:
                saved = None
        rule = Rule.from_spec(body.rule, rule_id=body.rule.rule_id or UNSAVED)
        return self._run(rule, saved, body, now)

    def _run(self, rule: Rule, saved: Rule | None, body: BacktestRange, now: datetime) -> BacktestResult:
        policy = None
        if rule.escalation_policy_id is not None and not body.plan_only:
            try:
                policy = self.policies.get(rule.escalation_policy_id)
            except NotFound:
                policy = None  # deleted since the rule was saved: no escalation to replay
        quieting = Quieting() if body.plan_only else Quieting(list(self.silences.all()), list(self.mute_windows.all()))
        backtest = run(
            rule,
            body.start,
            body.end or now,
            now,
            metrics=self.metrics,
            directory=self.directory,
            saved=saved,
            quieting=quieting,
            policy=policy,
            limits=self.limits,
            plan_only=body.plan_only,
        )
        return BacktestResult.model_validate(as_json(backtest))
