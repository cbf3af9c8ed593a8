// Small SVG charts drawn by hand: a line chart with threshold lines, stacked bars, horizontal bars.
// Each chart is an <svg role="img"> whose aria-label says in words what it shows.

const NS = "http://www.w3.org/2000/svg";
const W = 600, H = 220, PAD = { left: 44, right: 12, top: 12, bottom: 26 };

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

function axes(svg, x, y, xTicks, yTicks, xFormat) {
  svg.append(el("line", { class: "axis", x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom }));
  svg.append(el("line", { class: "axis", x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }));
  for (const t of xTicks) svg.append(el("text", { x: x(t), y: H - 8, "text-anchor": "middle" }, xFormat(t)));
  for (const v of yTicks) svg.append(el("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end" }, fmt(v)));
}

const ticks = (lo, hi, n) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

function noData(svg, message) {
  svg.append(el("text", { class: "nodata", x: W / 2, y: H / 2, "text-anchor": "middle" }, message));
}

// The metric over time: one line per condition, dashed threshold lines, a mark where the alert started.
export function metricChart(host, data, startedAt) {
  const condition = data.conditions[0];
  const points = condition ? condition.points.map((p) => ({ t: Date.parse(p.t), v: p.v })) : [];
  const lines = condition ? [["threshold", condition.threshold, "threshold"], ["warning", condition.warning_threshold, "warning"], ["resolve", condition.resolve_threshold, "resolve"]].filter(([, v]) => v !== null && v !== undefined) : [];
  const label = condition
    ? `${condition.label}: ${points.length} points from ${hhmm(data.start)} to ${hhmm(data.end)} UTC, threshold ${condition.operator} ${fmt(condition.threshold)}` + (points.length ? `, last value ${fmt(points.at(-1).v)}` : "")
    : "no conditions";
  const svg = frame(host, label);
  svg.dataset.points = String(points.length);
  if (!points.length) { noData(svg, "No datapoints in this range"); return svg; }
  const values = [...points.map((p) => p.v), ...lines.map(([, v]) => v)];
  let lo = Math.min(...values), hi = Math.max(...values);
  if (lo === hi) { lo -= 1; hi += 1; }
  const margin = (hi - lo) * 0.08;
  const t0 = Date.parse(data.start), t1 = Date.parse(data.end);
  const x = scale(t0, t1, PAD.left, W - PAD.right), y = scale(lo - margin, hi + margin, H - PAD.bottom, PAD.top);
  axes(svg, x, y, ticks(t0, t1, 5), ticks(lo, hi, 4), hhmm);
  for (const [name, value, cls] of lines) {
    svg.append(el("line", { class: cls, x1: PAD.left, x2: W - PAD.right, y1: y(value), y2: y(value) }));
    svg.append(el("text", { x: W - PAD.right - 4, y: y(value) - 4, "text-anchor": "end" }, `${name} ${fmt(value)}`));
  }
  if (startedAt) {
    const s = Date.parse(startedAt);
    if (s >= t0 && s <= t1) svg.append(el("line", { class: "started", x1: x(s), x2: x(s), y1: PAD.top, y2: H - PAD.bottom }));
  }
  const path = points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
  svg.append(el("path", { class: "line", d: path }));
  for (const p of points) svg.append(el("circle", { cx: x(p.t), cy: y(p.v), r: 2.5, fill: "#0b57d0" }, undefined));
  return svg;
}

// Alerts per bucket, stacked by severity (most severe at the bottom).
export function severityChart(host, summary, severities) {
  const buckets = summary.timeline;
  const totals = buckets.map((b) => severities.reduce((n, s) => n + (b.by_severity[s] || 0), 0));
  const total = totals.reduce((a, b) => a + b, 0);
  const svg = frame(host, `${total} alerts in ${buckets.length} buckets of ${summary.bucket_seconds / 3600} h, by severity`);
  if (!total) { noData(svg, "No alerts in this period"); return svg; }
  const top = Math.max(...totals);
  const step = (W - PAD.left - PAD.right) / buckets.length;
  const y = scale(0, top, H - PAD.bottom, PAD.top);
  const t = (i) => Date.parse(buckets[i].start);
  axes(svg, (i) => PAD.left + step * (i + 0.5), y, ticks(0, buckets.length - 1, Math.min(5, buckets.length)).map(Math.round), ticks(0, top, Math.min(4, top + 1)), (i) => hhmm(t(i)));
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
  return svg;
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
  const top = Math.max(...all, 1);
  const x = scale(0, Math.max(1, buckets.length - 1), PAD.left, W - PAD.right), y = scale(0, top * 1.1, H - PAD.bottom, PAD.top);
  axes(svg, x, y, ticks(0, buckets.length - 1, Math.min(5, buckets.length)).map(Math.round), ticks(0, top, 4), (i) => hhmm(Date.parse(buckets[i].start)));
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
  let lo = Math.min(...values), hi = Math.max(...values);
  if (lo === hi) { lo -= 1; hi += 1; }
  const margin = (hi - lo) * 0.08;
  const x = scale(t0, t1, PAD.left, W - PAD.right), y = scale(lo - margin, hi + margin, H - PAD.bottom, PAD.top);
  for (const s of shaded) {
    const rect = el("rect", { class: s.cls, x: x(Math.max(s.a, t0)), y: PAD.top, width: Math.max(1.5, x(Math.min(s.b, t1)) - x(Math.max(s.a, t0))), height: H - PAD.bottom - PAD.top });
    rect.append(el("title", {}, `${s.cls.replace("span-", "")}: ${when(s.a)} to ${when(s.b)} UTC`));
    svg.append(rect);
  }
  axes(svg, x, y, ticks(t0, t1, 5), ticks(lo, hi, 4), when);
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
