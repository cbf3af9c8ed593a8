"""Rule tests, as `promtool test rules`: a rule, datapoints in a compact notation, and the alerts
expected at given ticks. `alerting-rules test` (`make rules-test`) runs them.

    rule: high-cpu-usage            # an id from the rules folder, or a whole rule (validated as POST /rules)
    start: "2026-01-05T00:00:00Z"   # the first datapoint's minute [that Monday]
    series:
      - metric: {namespace: App/Service, name: CPUUtilization, dimensions: {Service: web}}
        values: "50 60 90x5 _ 40"   # one datapoint a minute (`interval`), read as promtool reads it
    expect:
      - at: 10m                     # the tick 10 minutes after start
        alerts: [{series: {Service: web}, status: firing, severity: high}]

A file holds one test, or several under `tests:`. The notation: a number is one datapoint; `_` is
none; `a+bxn` is a, a+b, ... a+n·b (n+1 datapoints), `a-bxn` likewise down, `axn` is a n+1 times;
`_xn` is n missing datapoints. Datapoints are raw samples at `start + i·interval`; the rule's
statistic, window, delay and every other setting apply to them as in production: the series
are replayed minute by minute through the evaluator's own steps (`alerting.ticks`), over the
CloudWatch adapter reading a stand-in that holds the datapoints (`alerting.recorded`).

The notation (`notation`), the file's shape and where in it a problem is (`file_format`), its tests
loaded with their rules (`loading`), replayed (`runner`) and reported (`report`).

At each `at` the alerts are the open ones after that tick, and those that resolved on it. An
expected alert names its `series` (a single-series rule's by default), `kind` [threshold],
`status` [firing], and optionally `severity`, `event` (its latest transition), `labels` and
`annotations` (those given must match). A mismatch prints expected (-) and got (+) with the
observed values; any mismatch or malformed file exits 1, naming file, line and column.
"""
