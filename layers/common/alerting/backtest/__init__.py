"""Backtests: what a rule would have done over a past range, replayed through the evaluator's steps.

Plan, read, replay, report:

1. **Plan** (`planning.plan`): the ticks of [start, end], the series (a fleet rule's: every series ListMetrics
   knows from the last two weeks), and the GetMetricData calls that read every tick's window:
   one query per metric and window phase covers the whole range, 100,800 datapoints a call
   (`metrics.window_reads`), so 14 days of 1-minute ticks of a 5-minute window are 5 queries of
   4,032 buckets. Calls and their price are known before anything is read; a range over 15
   months (CloudWatch keeps no longer) or a plan over the call budget is refused, naming the limit.
2. **Read** (`CloudWatchMetrics.read_windows`): CloudWatch keeps 1-minute data 15 days, 5-minute
   data 63 days and 1-hour data 15 months. A tick whose window starts further back than 15 days
   reads the window of that resolution ending at or before its own (`planning.resolution`), so older
   ticks are approximate; the plan says which stretches are (`exact`).
3. **Replay** (`replay.replay` over `ticks.RuleReplay`): every minute, as the evaluator: retirement,
   discovery (a fleet series counts as listed while one of its windows in the three hours before
   the tick had data: `history`), `evaluate_series`, the lifecycle's transitions, the sweep. The
   state starts empty at `start`, as for a rule created then.
4. **Report**: the alerts (series, start, end or null, peak), time firing (an alert open at the
   end counts to the end), flapping, which
   transitions silences, mute windows and flapping would have kept quiet (inhibition needs other
   rules' alerts and is not replayed), and for an edited rule what the change adds and removes
   against the rule as saved (`comparison`). Deterministic: the same rule, range and data give the
   same report. `runner.run` does all four as the API and `make backtest` ask; `result.as_json`
   is the report they print.
"""
