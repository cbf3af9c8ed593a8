// Small SVG charts drawn by hand: a line chart with threshold lines, stacked bars, horizontal bars.
// Each chart is an <svg role="img"> whose aria-label says in words what it shows.

const NS = "http://www.w3.org/2000/svg";
const W = 600, H = 220, PAD = { left: 48, right: 12, top: 28, bottom: 26 };

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(host, label, height = H) {
  const svg = el("svg", { viewBox: `0 0 ${W} ${height}`, role: "img", "aria-label": label });
  svg.append(el("title", {}, label));
  host.replaceChildren(svg);
  return svg;
}

const fmt = (v) => (Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)).replace(/\.0+$/, "");
const hhmm = (t) => new Date(t).toISOString().slice(11, 16);

function scale(d0, d1, r0, r1) {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

// Value ticks 1, 2 or 5 times a power of ten apart, about `n` of them, the first at or below
// `lo` and the last at or above `hi` (the chart's domain): 0, 0.5, 1, 1.5, not 0, 0.53, 1.06.
// `integer`: steps of at least 1 (counts).
export function niceTicks(lo, hi, n = 5, { integer = false } = {}) {
  if (!(hi > lo)) [lo, hi] = [lo - 1, lo + 1];
  const raw = (hi - lo) / Math.max(1, n - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * 0.999);
  if (integer) step = Math.max(1, Math.round(step));
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const first = Math.floor(lo / step + 1e-9), last = Math.ceil(hi / step - 1e-9);
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toFixed(decimals)));
}

// Time ticks at round minutes, hours or days (UTC) between t0 and t1, at most about `n` of them.
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 20160, 40320].map((m) => m * 60_000);
export function timeTicks(t0, t1, n = 5) {
  const step = TIME_STEPS.find((s) => (t1 - t0) / s <= n + 1) ?? TIME_STEPS.at(-1);
  const out = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

// A tick's label with as many decimals as its step needs (0.5 → "0.5", 1500 → "1500").
function tickLabel(ticks) {
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  const decimals = Math.min(6, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
  return (v) => v.toFixed(decimals);
}

// A label at either end of the time axis stays inside the chart.
const edgeAnchor = (at) => (at > W - PAD.right - 20 ? "end" : at < PAD.left + 20 ? "start" : "middle");

// The axes, their ticks and their units: `units.y` over the value axis, `units.x` under it (UTC).
function axes(svg, x, y, xTicks, yTicks, xFormat, units = {}) {
  svg.append(el("line", { class: "axis", x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom }));
  svg.append(el("line", { class: "axis", x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }));
  for (const t of xTicks) svg.append(el("text", { class: "tick-x", x: x(t), y: H - 8, "text-anchor": edgeAnchor(x(t)) }, xFormat(t)));
  const label = tickLabel(yTicks);
  for (const v of yTicks) {
    svg.append(el("line", { class: "grid", x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }));
    svg.append(el("text", { class: "tick-y", x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end" }, label(v)));
  }
  if (units.y) svg.append(el("text", { class: "unit", x: 2, y: PAD.top - 12 }, units.y));
  svg.append(el("text", { class: "unit", x: 2, y: H - 8 }, units.x ?? "UTC"));
}

function noData(svg, message) {
  svg.append(el("text", { class: "nodata", x: W / 2, y: H / 2, "text-anchor": "middle" }, message));
}

// The metric over time: a line through its points (a point alone drawn large, with its value),
// the threshold, warning and resolve lines, and the alert's span shaded (from its start to its
// resolution, or to the chart's end while it is open).
export function metricChart(host, data, alert = {}) {
  const condition = data.conditions[0];
  const points = condition ? condition.points.map((p) => ({ t: Date.parse(p.t), v: p.v })) : [];
  const lines = condition ? [["threshold", condition.threshold, "threshold"], ["warning", condition.warning_threshold, "warning"], ["resolve", condition.resolve_threshold, "resolve"]].filter(([, v]) => v !== null && v !== undefined) : [];
  const t0 = Date.parse(data.start), t1 = Date.parse(data.end);
  const started = alert.started_at ? Date.parse(alert.started_at) : null;
  const ended = alert.resolved_at ? Date.parse(alert.resolved_at) : t1;
  const span = started !== null && started <= t1 && ended >= t0 ? [Math.max(started, t0), Math.min(ended, t1)] : null;
  const spanText = span ? (alert.resolved_at ? `alert from ${hhmm(started)} to ${hhmm(ended)}` : `alert firing since ${hhmm(started)}`) : "";
  const label = condition
    ? `${condition.label}: ${points.length} point${points.length === 1 ? "" : "s"} from ${hhmm(t0)} to ${hhmm(t1)} UTC, threshold ${condition.operator} ${fmt(condition.threshold)}` +
      (points.length ? `, last value ${fmt(points.at(-1).v)}` : "") + (spanText ? `, ${spanText}` : "")
    : "no conditions";
  const svg = frame(host, label);
  Object.assign(svg.dataset, { points: String(points.length), span: span ? "1" : "0" });
  if (!condition) { noData(svg, "No conditions"); return svg; }
  const values = [...points.map((p) => p.v), ...lines.map(([, v]) => v)];
  const lo = Math.min(...values), hi = Math.max(...values), margin = (hi - lo) * 0.05; // no point on an edge
  const yTicks = niceTicks(lo - margin, hi + margin, 5);
  const x = scale(t0, t1, PAD.left, W - PAD.right), y = scale(yTicks[0], yTicks.at(-1), H - PAD.bottom, PAD.top);
  if (span) {
    const rect = el("rect", { class: "span-alert", x: x(span[0]), y: PAD.top, width: Math.max(2, x(span[1]) - x(span[0])), height: H - PAD.bottom - PAD.top });
    rect.append(el("title", {}, `${spanText} UTC`));
    svg.append(rect);
  }
  const unit = condition.label.length > 70 ? condition.label.slice(0, 69) + "…" : condition.label;
  axes(svg, x, y, timeTicks(t0, t1, 6), yTicks, hhmm, { y: unit });
  for (const [name, value, cls] of lines) {
    svg.append(el("line", { class: cls, x1: PAD.left, x2: W - PAD.right, y1: y(value), y2: y(value) }));
    svg.append(el("text", { x: W - PAD.right - 4, y: y(value) - 4, "text-anchor": "end" }, `${name} ${fmt(value)}`));
  }
  if (started !== null && started >= t0 && started <= t1) svg.append(el("line", { class: "started", x1: x(started), x2: x(started), y1: PAD.top, y2: H - PAD.bottom }));
  if (points.length > 1) svg.append(el("path", { class: "line", d: points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ") }));
  const lone = points.length === 1;
  for (const p of points) svg.append(el("circle", { class: lone ? "point lone" : "point", cx: x(p.t), cy: y(p.v), r: lone ? 6 : 2.5 }));
  if (lone) {
    const [p] = points, right = x(p.t) > W - 160;
    svg.append(el("text", { class: "value", x: x(p.t) + (right ? -10 : 10), y: y(p.v) - 8, "text-anchor": right ? "end" : "start" }, `${fmt(p.v)} at ${hhmm(p.t)}`));
  }
  if (!points.length) noData(svg, "No datapoints in this range");
  return svg;
}

// Alerts per bucket, stacked by severity (most severe at the bottom).
export function severityChart(host, summary, severities) {
  const buckets = summary.timeline;
  const totals = buckets.map((b) => severities.reduce((n, s) => n + (b.by_severity[s] || 0), 0));
  const total = totals.reduce((a, b) => a + b, 0);
  const svg = frame(host, `${total} alerts in ${buckets.length} buckets of ${summary.bucket_seconds / 3600} h, by severity`);
  if (!total) { noData(svg, "No alerts in this period"); return svg; }
  const yTicks = niceTicks(0, Math.max(...totals), 4, { integer: true });
  const step = (W - PAD.left - PAD.right) / buckets.length;
  const y = scale(0, yTicks.at(-1), H - PAD.bottom, PAD.top);
  const t = (i) => Date.parse(buckets[i].start);
  const b0 = t(0), bucketMs = summary.bucket_seconds * 1000;
  axes(svg, (at) => PAD.left + step * ((at - b0) / bucketMs), y, timeTicks(b0, b0 + buckets.length * bucketMs, 5), yTicks, hhmm, { y: "alerts" });
  buckets.forEach((bucket, i) => {
    let base = 0;
    for (const s of severities) {
      const n = bucket.by_severity[s] || 0;
      if (!n) continue;
      const rect = el("rect", { class: `bar-${s}`, x: PAD.left + step * i + 1, width: Math.max(1, step - 2), y: y(base + n), height: y(base) - y(base + n) });
      rect.append(el("title", {}, `${hhmm(t(i))}: ${n} ${s}`));
      svg.append(rect);
      base += n;
    }
  });
  host.append(legend(severities.map((s) => [`bar-${s}`, s])));
  return svg;
}

// A row of coloured keys under a chart: [class, text] each.
function legend(keys) {
  const row = document.createElement("p");
  row.className = "legend";
  for (const [cls, text] of keys) {
    const key = document.createElement("span");
    key.className = `key ${cls}`;
    key.textContent = text;
    row.append(key);
  }
  return row;
}

// MTTA and MTTR per bucket, in minutes; gaps where no alert was acknowledged or resolved.
export function responseChart(host, summary) {
  const buckets = summary.timeline;
  const series = [["mtta", "MTTA"], ["mttr", "MTTR"]].map(([key, name]) => ({
    key, name, points: buckets.map((b, i) => [i, b[`${key}_seconds`]]).filter(([, v]) => v !== null).map(([i, v]) => [i, v / 60]),
  }));
  const all = series.flatMap((s) => s.points.map(([, v]) => v));
  const label = `MTTA ${summary.mtta_seconds === null ? "none" : fmt(summary.mtta_seconds / 60) + " min"}, MTTR ${summary.mttr_seconds === null ? "none" : fmt(summary.mttr_seconds / 60) + " min"} over the period`;
  const svg = frame(host, label);
  if (!all.length) { noData(svg, "Nothing acknowledged or resolved yet"); return svg; }
  const yTicks = niceTicks(0, Math.max(...all, 1) * 1.15, 4); // room for the series' names
  const x = scale(0, Math.max(1, buckets.length - 1), PAD.left, W - PAD.right), y = scale(0, yTicks.at(-1), H - PAD.bottom, PAD.top);
  const b0 = Date.parse(buckets[0].start), bucketMs = summary.bucket_seconds * 1000;
  axes(svg, (at) => x((at - b0) / bucketMs), y, timeTicks(b0, b0 + (buckets.length - 1) * bucketMs, 5), yTicks, hhmm, { y: "minutes" });
  series.forEach((s, n) => {
    if (!s.points.length) return;
    const path = s.points.map(([i, v], k) => `${k ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    svg.append(el("path", { class: `line ${s.key}`, d: path }));
    for (const [i, v] of s.points) svg.append(el("circle", { class: s.key, cx: x(i), cy: y(v), r: 3, fill: n ? "#146c2e" : "#5b3fa0" }));
    svg.append(el("text", { x: W - PAD.right - 4, y: PAD.top + 14 + 20 * n, "text-anchor": "end" }, `${s.name} ${n ? "(resolve)" : "(acknowledge)"}`));
  });
  return svg;
}

// The rules with the most alerts, as horizontal bars.
export function noisyChart(host, rules) {
  const height = Math.max(60, 30 * rules.length + 10);
  const svg = frame(host, rules.length ? rules.map((r) => `${r.rule_name}: ${r.alerts}`).join("; ") : "no alerts", height);
  if (!rules.length) { svg.append(el("text", { class: "nodata", x: W / 2, y: 34, "text-anchor": "middle" }, "No alerts in this period")); return svg; }
  const top = Math.max(...rules.map((r) => r.alerts));
  const x = scale(0, top, 0, W - 240);
  rules.forEach((rule, i) => {
    const yy = 8 + i * 30;
    svg.append(el("text", { x: 0, y: yy + 15 }, rule.rule_name.length > 28 ? rule.rule_name.slice(0, 27) + "…" : rule.rule_name));
    svg.append(el("rect", { class: "bar-noisy", x: 200, y: yy, height: 20, width: Math.max(2, x(rule.alerts)) }));
    svg.append(el("text", { x: 206 + x(rule.alerts), y: yy + 15 }, String(rule.alerts)));
  });
  return svg;
}

// A backtest: the metric over the range, the (possibly edited) thresholds, the would-be alerts as
// shaded spans, and for an edit the time it adds (green) and removes (grey) against the saved rule.
export function backtestChart(host, data, result, series) {
  const condition = data.conditions[0];
  const points = condition ? condition.points.map((p) => ({ t: Date.parse(p.t), v: p.v })) : [];
  const threshold = result.thresholds[0];
  const lines = [["threshold", threshold.threshold], ["warning", threshold.warning_threshold], ["resolve", threshold.resolve_threshold]]
    .filter(([, v]) => v !== null && v !== undefined);
  const ours = (item) => Object.entries(series).every(([k, v]) => item.series[k] === v);
  const t0 = Date.parse(result.start), t1 = Date.parse(result.end);
  const spans = (items, cls, from, to) => items.filter(ours).map((s) => ({ cls, a: Date.parse(s[from]), b: s[to] ? Date.parse(s[to]) : t1 }));
  const shaded = [
    ...spans(result.alerts, "span-alert", "started_at", "resolved_at"),
    ...(result.comparison ? spans(result.comparison.added_spans, "span-added", "start", "end") : []),
    ...(result.comparison ? spans(result.comparison.removed_spans, "span-removed", "start", "end") : []),
  ];
  const count = (cls) => shaded.filter((s) => s.cls === cls).length;
  const long = t1 - t0 > 36 * 3600_000;
  const when = (t) => (long ? new Date(t).toISOString().slice(5, 16).replace("T", " ") : hhmm(t));
  const label = `${threshold.label} from ${when(t0)} to ${when(t1)} UTC: ${count("span-alert")} would-be alerts` +
    (result.comparison ? `, ${count("span-added")} stretches added and ${count("span-removed")} removed by the change` : "") +
    `, threshold ${threshold.operator} ${fmt(threshold.threshold)}`;
  const svg = frame(host, label);
  Object.assign(svg.dataset, { points: String(points.length), alerts: String(count("span-alert")), added: String(count("span-added")), removed: String(count("span-removed")) });
  const values = [...points.map((p) => p.v), ...lines.map(([, v]) => v)];
  const yTicks = niceTicks(Math.min(...values), Math.max(...values), 5);
  const x = scale(t0, t1, PAD.left, W - PAD.right), y = scale(yTicks[0], yTicks.at(-1), H - PAD.bottom, PAD.top);
  for (const s of shaded) {
    const rect = el("rect", { class: s.cls, x: x(Math.max(s.a, t0)), y: PAD.top, width: Math.max(1.5, x(Math.min(s.b, t1)) - x(Math.max(s.a, t0))), height: H - PAD.bottom - PAD.top });
    rect.append(el("title", {}, `${s.cls.replace("span-", "")}: ${when(s.a)} to ${when(s.b)} UTC`));
    svg.append(rect);
  }
  axes(svg, x, y, timeTicks(t0, t1, 6), yTicks, when, { y: threshold.label });
  for (const [name, value] of lines) {
    svg.append(el("line", { class: name, x1: PAD.left, x2: W - PAD.right, y1: y(value), y2: y(value) }));
    svg.append(el("text", { x: W - PAD.right - 4, y: y(value) - 4, "text-anchor": "end" }, `${name} ${fmt(value)}`));
  }
  if (points.length) {
    svg.append(el("path", { class: "line", d: points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ") }));
  } else noData(svg, "No datapoints in this range");
  const legend = document.createElement("p");
  legend.className = "legend";
  for (const [cls, text] of [["span-alert", "would fire"], ...(result.comparison ? [["span-added", "added by the change"], ["span-removed", "removed by the change"]] : [])]) {
    const key = document.createElement("span");
    key.className = `key ${cls}`;
    key.textContent = text;
    legend.append(key);
  }
  host.append(legend);
  return svg;
}

// An alert's incident on one time axis: its transitions (the band shows firing and acknowledged
// time), every delivery (one mark per transition and channel, coloured by outcome) and each
// escalation. `note(delivery)` says why one was held back or failed.
const LANES = ["Alert", "Deliveries", "Escalations"];
export function timelineChart(host, alert, history, deliveries, note = () => "") {
  const LANE = 40, left = 92, top = 6, height = top + LANES.length * LANE + 28;
  const at = (iso) => Date.parse(iso);
  const escalations = history.filter((t) => t.event === "escalated");
  const transitions = history.filter((t) => t.event !== "escalated");
  const marks = deliveries.map((d) => ({ d, t: at(d.updated_at || d.created_at) }));
  const end = alert.resolved_at ? at(alert.resolved_at) : Date.now();
  const times = [at(alert.started_at), ...history.map((t) => at(t.at)), ...marks.map((m) => m.t), end];
  const pad = Math.max(30_000, (Math.max(...times) - Math.min(...times)) * 0.04);
  const t0 = Math.min(...times) - pad, t1 = Math.max(...times) + pad;
  const held = deliveries.filter((d) => d.status !== "delivered").length;
  const svg = frame(host, `Incident timeline from ${hhmm(t0)} to ${hhmm(t1)} UTC: ${transitions.length} transitions, ` +
    `${deliveries.length} deliveries (${deliveries.length - held} delivered, ${held} not), ${escalations.length} escalations`, height);
  Object.assign(svg.dataset, { transitions: String(transitions.length), deliveries: String(deliveries.length), escalations: String(escalations.length) });
  const x = scale(t0, t1, left, W - PAD.right), lane = (i) => top + i * LANE + LANE / 2;
  LANES.forEach((name, i) => {
    svg.append(el("line", { class: "lane", x1: left, x2: W - PAD.right, y1: lane(i), y2: lane(i) }));
    svg.append(el("text", { class: "lane-name", x: 2, y: lane(i) + 4 }, name));
  });
  const titled = (node, text) => { node.append(el("title", {}, text)); svg.append(node); return node; };
  // the band: firing, then acknowledged, then firing again if an acknowledgement lapsed
  let status = "firing", from = at(alert.started_at);
  for (const t of [...transitions, { event: "end", at: new Date(end).toISOString() }]) {
    const next = { acknowledged: "acknowledged", unacknowledged: "firing", resolved: "resolved", end: "resolved" }[t.event];
    if (!next || next === status) continue;
    if (status !== "resolved") titled(el("rect", { class: `band band-${status}`, x: x(from), y: lane(0) - 5, width: Math.max(1, x(at(t.at)) - x(from)), height: 10 }), `${status} ${hhmm(from)}–${hhmm(at(t.at))} UTC`);
    [status, from] = [next, at(t.at)];
  }
  let previous = -Infinity, above = true;
  for (const t of transitions) {
    const cx = x(at(t.at));
    titled(el("circle", { class: `tl tl-${t.event}`, cx, cy: lane(0), r: 6 }), `${hhmm(at(t.at))} ${t.event}${t.actor ? ` by ${t.actor}` : ""}${t.note ? `: ${t.note}` : ""}${t.reason ? ` (${t.reason})` : ""}`);
    above = cx - previous < 70 ? !above : true; // neighbours' labels alternate above and below
    previous = cx;
    svg.append(el("text", { class: "tl-label", x: cx, y: lane(0) + (above ? -10 : 19), "text-anchor": "middle" }, t.event.replace("_", " ")));
  }
  const stacked = new Map(); // marks at the same spot stack up
  for (const { d, t } of marks) {
    const cx = x(t), slot = Math.round(cx / 8), n = stacked.get(slot) || 0;
    stacked.set(slot, n + 1);
    const why = note(d);
    titled(el("circle", { class: `dl dl-${d.status}`, cx: cx + 4 * Math.floor(n / 3), cy: lane(1) + ((n % 3) - 1) * 9, r: 4 }),
      `${hhmm(t)} ${d.event} → ${d.channel_id}: ${d.status}${why ? ` (${why})` : ""}`);
  }
  for (const t of escalations) {
    const cx = x(at(t.at));
    titled(el("rect", { class: "tl tl-escalated", x: cx - 5, y: lane(2) - 5, width: 10, height: 10, transform: `rotate(45 ${cx} ${lane(2)})` }), `${hhmm(at(t.at))} escalated${t.reason ? `: ${t.reason}` : ""}`);
    svg.append(el("text", { class: "tl-label", x: cx + 9, y: lane(2) + 4 }, (t.reason || "escalated").slice(0, 40)));
  }
  const base = top + LANES.length * LANE;
  svg.append(el("line", { class: "axis", x1: left, x2: W - PAD.right, y1: base, y2: base }));
  for (const t of timeTicks(t0, t1, 6)) svg.append(el("text", { class: "tick-x", x: x(t), y: base + 16, "text-anchor": edgeAnchor(x(t)) }, hhmm(t)));
  svg.append(el("text", { class: "unit", x: 2, y: base + 16 }, "UTC"));
  host.append(legend([["dl-delivered", "delivered"], ["dl-suppressed", "held back"], ["dl-failed", "failed"], ["dl-retrying", "pending"]]));
  return svg;
}
