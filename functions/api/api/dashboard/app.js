// The dashboard: open alerts that update live, an alert's detail and actions, and trends.
// State is one map of alerts by id; every change (a page load, a live message, an action's
// answer) goes through `remember`, which keeps the highest version of each alert, so a
// message that arrives twice or late changes nothing.

import { Session, presignUrl, signRequest } from "./aws.js";
import { backtestChart, metricChart, noisyChart, responseChart, severityChart, timelineChart } from "./charts.js";

const SEVERITIES = ["critical", "high", "medium", "low", "info"];
const base = new URL("./", location.href); // the API's root: "/" locally, "/v1/" on API Gateway
const $ = (selector) => document.querySelector(selector);
// A query string as SigV4 canonicalises it (%20, never "+"), so signed requests match.
const query = (params) => Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
const PING_MS = 5 * 60_000; // API Gateway closes a WebSocket idle for 10 minutes

const state = {
  alerts: new Map(),
  rules: new Map(),
  selected: null,
  rule: null, // the rule whose page (its backtest) is open
  config: null,
  session: null,
  socket: null,
  stats: { received: 0, applied: 0, ignored: 0, last_received_at: null, trends: 0 }, // read by the browser test
  inbox: "", // the ids the local inbox shows, newest first
};
window.alerting = state;

// --- the API ----------------------------------------------------------------------------------
async function api(path, { method = "GET", body } = {}) {
  const url = new URL(path.replace(/^\//, ""), base).toString();
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers = { "content-type": "application/json" };
  if (state.session) {
    const credentials = await state.session.awsCredentials();
    Object.assign(headers, await signRequest({ method, url, body: text, headers, credentials, region: state.config.sign_in.region }));
  }
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : text });
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) {
    const fields = (data?.errors || []).map((e) => `${e.field}: ${e.message}`).join("; ");
    throw new Error(fields || data?.message || `request failed (${response.status})`);
  }
  return data;
}

async function pages(path) {
  const items = [];
  let token = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await api(`${path}${sep}${query(token ? { limit: 100, next_token: token } : { limit: 100 })}`);
    items.push(...page.items);
    token = page.next_token;
  } while (token && items.length < 500);
  return items;
}

// --- state --------------------------------------------------------------------------------------
function remember(alert) {
  const known = state.alerts.get(alert.alert_id);
  if (known && known.version >= alert.version) return false;
  state.alerts.set(alert.alert_id, alert);
  return true;
}

function filters() {
  const form = new FormData($("#filters"));
  const [labelKey, ...rest] = String(form.get("label") || "").split("=");
  return {
    status: form.get("status"), severity: form.get("severity"), source: form.get("source"), rule_id: form.get("rule_id"),
    label: rest.length ? [labelKey.trim(), rest.join("=").trim()] : null,
  };
}

function visible(alert, f) {
  if (f.status === "open" && alert.status === "resolved") return false;
  if (f.status && f.status !== "open" && alert.status !== f.status) return false;
  if (f.severity && alert.severity !== f.severity) return false;
  if (f.source && sourceOf(alert) !== f.source) return false;
  if (f.rule_id && alert.rule_id !== f.rule_id) return false;
  if (f.label && (alert.labels || {})[f.label[0]] !== f.label[1]) return false;
  return true;
}

// --- rendering ------------------------------------------------------------------------------------
const when = (iso) => (iso ? new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "medium" }) : "—");
// Where an alert came from (alerts stored before sources existed are a rule's).
const SOURCES = { rule: "Rule", cloudwatch: "CloudWatch alarm", prometheus: "Prometheus", events: "Events API", heartbeat: "Heartbeat" };
export const sourceOf = (alert) => alert.source || "rule";
const sourceText = (alert) => SOURCES[sourceOf(alert)] || sourceOf(alert);
const seriesText = (alert) => Object.entries(alert.series || {}).map(([k, v]) => `${k}=${v}`).join(", ") || "—";

function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    td.append(span);
  } else td.textContent = text;
  return td;
}

function renderList(fresh = new Set()) {
  const f = filters();
  const rows = [...state.alerts.values()].filter((a) => visible(a, f)).sort((a, b) => b.started_at.localeCompare(a.started_at));
  const body = $("#alerts tbody");
  body.replaceChildren(...rows.map((alert) => {
    const tr = document.createElement("tr");
    tr.dataset.alertId = alert.alert_id;
    tr.dataset.status = alert.status;
    tr.tabIndex = 0;
    tr.setAttribute("aria-selected", String(alert.alert_id === state.selected));
    if (fresh.has(alert.alert_id)) tr.classList.add("fresh");
    tr.append(
      cell(alert.severity, `sev sev-${alert.severity}`), cell(alert.rule_name), cell(sourceText(alert), "source"),
      cell(seriesText(alert), "series"),
      cell(alert.status, `status status-${alert.status}`), cell(when(alert.started_at)),
    );
    tr.addEventListener("click", () => select(alert.alert_id));
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(alert.alert_id); } });
    return tr;
  }));
  $("#empty").hidden = rows.length > 0;
  const open = [...state.alerts.values()];
  const count = (s) => open.filter((a) => a.status === s).length;
  $("#counts").innerHTML = "";
  $("#counts").append(`Firing `, bold(count("firing")), ` · Acknowledged `, bold(count("acknowledged")));
}

function bold(n) { const b = document.createElement("b"); b.textContent = String(n); return b; }

function announce(text) { $("#announcer").textContent = text; }

// Why a delivery did not go (or has not yet): the record's own fields, else its error.
export function deliveryNote(d) {
  if (d.status === "suppressed") {
    if (d.silence_id) return `silenced by ${d.silence_id}`;
    if (d.mute_window_id) return `muted by ${d.mute_window_id}`;
    if (d.inhibited_by) return `inhibited by alert ${d.inhibited_by}`;
    if (d.flapping) return "flapping";
    return d.error || "filtered out";
  }
  if (d.status === "grouped") return `waiting for its group's message${d.group_id ? ` (${d.group_id})` : ""}`;
  return ["failed", "retrying"].includes(d.status) ? d.error || "" : "";
}

function renderDetail() {
  const alert = state.alerts.get(state.selected);
  const panel = $("#detail");
  panel.hidden = !alert;
  if (!alert) return;
  $("#detail-title").textContent = `${alert.rule_name} — ${alert.status}`;
  const values = (alert.values || []).map((v) => `${v.metric} ${v.operator} ${v.threshold}: ${v.value ?? "no data"}`).join("; ");
  $("#detail-meta").textContent = `${alert.severity} · ${sourceText(alert)} · ${seriesText(alert)} · started ${when(alert.started_at)}` +
    (alert.acknowledged_by ? ` · acknowledged by ${alert.acknowledged_by}` : "") + (values ? ` · ${values}` : "");
  // The origin: a rule's page (its backtest), or the alarm in the console for a CloudWatch alarm.
  const fromRule = sourceOf(alert) === "rule";
  $("#detail-rule").hidden = !fromRule;
  $("#detail-rule").href = fromRule ? `#rule=${encodeURIComponent(alert.rule_id)}` : "#";
  const link = $("#detail-source");
  link.hidden = !alert.source_url;
  link.href = alert.source_url || "#";
  link.textContent = alert.source_url ? `Open the ${sourceText(alert)} where it came from` : "";
  const open = alert.status !== "resolved";
  $('[data-action="ack"]').disabled = alert.status !== "firing";
  $('[data-action="resolve"]').disabled = !open;
}

async function loadDetail(alertId) {
  const alert = state.alerts.get(alertId);
  if (!alert) return;
  const [history, deliveries] = await Promise.all([api(`/alerts/${alertId}/history`), api(`/alerts/${alertId}/deliveries`)]);
  if (state.selected !== alertId) return; // another alert was opened meanwhile
  $("#history").replaceChildren(...history.items.map((t) => {
    const li = document.createElement("li");
    li.textContent = `${when(t.at)} — ${t.event}${t.actor ? ` by ${t.actor}` : ""}${t.note ? `: “${t.note}”` : ""}${t.reason ? ` (${t.reason})` : ""}`;
    return li;
  }));
  $("#deliveries tbody").replaceChildren(...deliveries.items.map((d) => {
    const tr = document.createElement("tr");
    const status = cell(d.status, `delivery delivery-${d.status}`);
    const why = deliveryNote(d);
    if (why) {
      const reason = document.createElement("span");
      reason.className = "reason";
      reason.textContent = why;
      status.append(reason);
    }
    tr.append(cell(d.event), cell(d.channel_id), status, cell(String(d.attempts)));
    return tr;
  }));
  timelineChart($("#timeline-chart"), alert, history.items, deliveries.items, deliveryNote);
  await loadMetric(alert);
}

async function loadMetric(alert) {
  if (sourceOf(alert) !== "rule") { $("#metric-chart").textContent = `A ${sourceText(alert)} alert has no rule metric to draw here.`; return; }
  if (alert.kind && alert.kind !== "threshold") { $("#metric-chart").textContent = `A ${alert.kind} alert has no metric to draw.`; return; }
  const started = Date.parse(alert.started_at);
  const end = alert.resolved_at ? Math.min(Date.now(), Date.parse(alert.resolved_at) + 30 * 60_000) : Date.now();
  const start = Math.min(started - 60 * 60_000, end - 60 * 60_000);
  const series = Object.entries(alert.series || {}).map(([k, v]) => `${k}=${v}`).join(",");
  const range = { start: new Date(start).toISOString(), end: new Date(end).toISOString(), ...(series ? { series } : {}) };
  try {
    const data = await api(`/rules/${alert.rule_id}/datapoints?${query(range)}`);
    if (state.selected !== alert.alert_id) return;
    metricChart($("#metric-chart"), data, alert);
  } catch (error) {
    $("#metric-chart").textContent = `The metric cannot be drawn: ${error.message}`;
  }
}

async function select(alertId) {
  state.selected = alertId;
  renderList();
  renderDetail();
  $("#detail-title").focus();
  $("#action-error").textContent = "";
  await loadDetail(alertId).catch((error) => { $("#action-error").textContent = error.message; });
}

// --- actions ----------------------------------------------------------------------------------------
async function act(action) {
  const alert = state.alerts.get(state.selected);
  if (!alert) return;
  const form = new FormData($("#actions"));
  const note = String(form.get("note") || "").trim() || undefined;
  const by = state.session ? state.session.user : "dashboard"; // a note only: the API names who signed
  $("#action-error").textContent = "";
  try {
    if (action === "silence") {
      const seconds = Number(form.get("silence_for"));
      const matchers = [{ label: "rule_id", value: alert.rule_id }, ...Object.entries(alert.series || {}).map(([label, value]) => ({ label, value }))];
      await api("/silences", { method: "POST", body: { matchers, ends_at: new Date(Date.now() + seconds * 1000).toISOString(), created_by: by, comment: note || `silenced from the dashboard: ${alert.rule_name}` } });
      announce(`Silenced ${alert.rule_name} for ${seconds / 3600} hours`);
    } else {
      const updated = await api(`/alerts/${alert.alert_id}/${action}`, { method: "POST", body: { note } });
      remember(updated);
      announce(`${alert.rule_name} ${updated.status}`);
    }
    $("#actions").reset();
    renderList();
    renderDetail();
    // the stream's copy of this change is not newer than the answer: nothing else redraws the trends
    await Promise.all([loadDetail(alert.alert_id), loadTrends()]);
  } catch (error) {
    $("#action-error").textContent = error.message;
  }
}

// --- a rule's page: what it would have done over a past range ----------------------------------------
// The saved rule's backtest, or, with a what-if threshold, the edit's against the saved rule
// (POST /rules/backtest with the same rule_id): the time it adds and removes is shaded apart.
const iso = (t) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
const editable = ({ version, created_at, updated_at, ...spec }) => structuredClone(spec);
const wildcards = (rule) => rule.conditions.flatMap((c) => Object.values(c.metric ? { value: c.metric } : c.metrics))
  .flatMap((m) => Object.entries(m.dimensions || {}).filter(([, v]) => v === "*").map(([k]) => k));

async function openRule(ruleId) {
  $("#backtest-error").textContent = "";
  try {
    state.rule = state.rules.get(ruleId) || await api(`/rules/${encodeURIComponent(ruleId)}`);
  } catch (error) {
    $("#rule").hidden = false;
    $("#backtest-error").textContent = error.message;
    return;
  }
  const rule = state.rule, first = rule.conditions[0];
  $("#rule").hidden = false;
  $("#rule-title").textContent = `${rule.name}: backtest`;
  $("#rule-meta").textContent = `${rule.rule_id} · ${rule.severity} · ${first.operator} ${first.threshold}` +
    ` over ${rule.window_seconds / 60} min, ${rule.breaches_to_fire} of ${rule.out_of ?? rule.breaches_to_fire}`;
  $("#backtest-form").reset();
  $("#backtest-form input[name=threshold]").placeholder = String(first.threshold);
  $("#rule-title").focus();
  await runBacktest();
}

async function runBacktest() {
  const rule = state.rule;
  if (!rule || !can("admin")) return; // a backtest is a POST: the admin role's
  const form = new FormData($("#backtest-form"));
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const range = { start: iso(end - Number(form.get("hours")) * 3600_000), end: iso(end) };
  const threshold = String(form.get("threshold") || "").trim();
  $("#backtest-error").textContent = "";
  $("#backtest-summary").textContent = "Replaying every tick of the range…";
  delete document.body.dataset.backtest;
  try {
    let result;
    if (threshold) {
      const edited = editable(rule);
      edited.conditions[0].threshold = Number(threshold);
      result = await api("/rules/backtest", { method: "POST", body: { rule: edited, ...range } });
    } else {
      result = await api(`/rules/${encodeURIComponent(rule.rule_id)}/backtest`, { method: "POST", body: range });
    }
    const keys = wildcards(rule);
    const shown = keys.length ? (result.alerts[0]?.series || result.series[0] || {}) : {};
    const series = Object.fromEntries(keys.map((k) => [k, shown[k]]).filter(([, v]) => v !== undefined));
    const line = Object.entries(series).map(([k, v]) => `${k}=${v}`).join(",");
    const data = await api(`/rules/${encodeURIComponent(rule.rule_id)}/datapoints?${query({ ...range, ...(line ? { series: line } : {}) })}`);
    if (state.rule !== rule) return; // another rule was opened meanwhile
    backtestChart($("#backtest-chart"), data, result, series);
    renderBacktest(result, line);
    document.body.dataset.backtest = "done"; // read by the browser test
  } catch (error) {
    $("#backtest-summary").textContent = "";
    $("#backtest-error").textContent = error.message;
  }
}

const hours = (seconds) => (seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${Math.round(seconds / 60)} min`);

function renderBacktest(result, line) {
  const plan = result.plan;
  const quiet = Object.values(result.notifications.suppressed).reduce((a, b) => a + b, 0);
  let text = `${result.alerts.length} would-be alert${result.alerts.length === 1 ? "" : "s"}, firing ${hours(result.firing_seconds)}, ` +
    `${result.flaps} flap${result.flaps === 1 ? "" : "s"}; ${result.notifications.sent} notifications sent, ${quiet} kept quiet. ` +
    `${plan.evaluations.toLocaleString()} evaluations from ${plan.get_metric_data_calls} GetMetricData calls ($${plan.cost_usd.toFixed(4)})` +
    (plan.exact ? "." : "; older ticks at coarser resolution.") + (line ? ` Drawn: ${line}.` : "");
  const c = result.comparison;
  if (c) text += ` Against the saved rule: alerts ${c.alerts_before} → ${c.alerts_after}, firing ${hours(c.firing_seconds_before)} → ${hours(c.firing_seconds_after)}.`;
  $("#backtest-summary").textContent = text;
  $("#backtest-alerts tbody").replaceChildren(...result.alerts.slice(0, 50).map((a) => {
    const tr = document.createElement("tr");
    tr.append(cell(Object.entries(a.series).map(([k, v]) => `${k}=${v}`).join(", ") || "—"), cell(when(a.started_at)),
      cell(a.resolved_at ? when(a.resolved_at) : "still open"), cell(a.peak === null ? "—" : String(a.peak)), cell(a.severity, `sev sev-${a.severity}`));
    return tr;
  }));
}

function route() {
  const match = location.hash.match(/^#rule=(.+)$/);
  if (match) openRule(decodeURIComponent(match[1]));
}

// --- the live stream ------------------------------------------------------------------------------
function subscription() {
  const f = filters();
  const filter = {};
  if (f.severity) filter.severity = [f.severity];
  if (f.rule_id) filter.rule_id = [f.rule_id];
  if (f.label) filter.labels = { [f.label[0]]: f.label[1] };
  return filter;
}

function setLive(stateName, text) {
  const node = $("#live-status");
  node.dataset.state = stateName;
  node.textContent = text;
}

async function liveUrl() {
  const url = state.config.live_url || `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/live`;
  if (!state.session) return url;
  return presignUrl({ url, credentials: await state.session.awsCredentials(), region: state.config.sign_in.region });
}

function onMessage(event) {
  const message = JSON.parse(event.data);
  if (!message.schema_version) { // an answer to subscribe or ping
    if (message.error === "gone") event.target.close(); // the server forgot us: reconnect
    return;
  }
  state.stats.received += 1;
  state.stats.last_received_at = Date.now();
  const alert = { ...message.alert, last_transition: message.transition };
  if (!remember(alert)) { state.stats.ignored += 1; return; }
  state.stats.applied += 1;
  renderList(new Set([alert.alert_id]));
  if (alert.alert_id === state.selected) { renderDetail(); loadDetail(alert.alert_id).catch(() => {}); }
  announce(`${alert.severity} alert ${alert.rule_name}: ${message.event}`);
  scheduleTrends();
}

let retryDelay = 1000;
function retry() {
  setLive("down", "Reconnecting…");
  setTimeout(connect, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 30_000);
}

async function connect() {
  setLive("connecting", "Connecting…");
  let socket;
  try {
    socket = new WebSocket(await liveUrl());
  } catch (error) {
    if (error.name === "NotAuthorizedException" && state.session) { state.session.signOut(); location.reload(); return; }
    retry();
    return;
  }
  state.socket = socket;
  let pinger = null;
  socket.addEventListener("open", () => {
    retryDelay = 1000;
    setLive("live", "Live");
    socket.send(JSON.stringify({ action: "subscribe", filter: subscription() }));
    pinger = setInterval(() => socket.send(JSON.stringify({ action: "ping" })), PING_MS);
    refresh().catch(() => {}); // whatever happened while the page was not connected
  });
  socket.addEventListener("message", onMessage);
  socket.addEventListener("close", () => {
    clearInterval(pinger);
    if (state.socket === socket) retry();
  });
}

// --- loading ----------------------------------------------------------------------------------------
// The alerts of the statuses shown, from the API; an alert the page holds as open that the API
// no longer lists as open changed while no message reached us (disconnected, filtered): re-read it.
async function refresh() {
  const f = filters();
  const wanted = new Set(["firing", "acknowledged", ...(f.status && f.status !== "open" ? [f.status] : []), ...(f.status ? [] : ["resolved"])]);
  const lists = await Promise.all([...wanted].map((s) => pages(`/alerts?${query({ status: s })}`)));
  const listed = new Set(lists.flat().map((a) => a.alert_id));
  for (const alert of lists.flat()) remember(alert);
  const moved = [...state.alerts.values()].filter((a) => a.status !== "resolved" && !listed.has(a.alert_id));
  for (const alert of await Promise.all(moved.map((a) => api(`/alerts/${a.alert_id}`).catch(() => null)))) if (alert) remember(alert);
  renderList();
  renderDetail();
}

let trendsTimer = null;
function scheduleTrends() { clearTimeout(trendsTimer); trendsTimer = setTimeout(() => loadTrends().catch(() => {}), 1500); }

async function loadTrends() {
  const summary = await api("/summary");
  severityChart($("#severity-chart"), summary, SEVERITIES);
  responseChart($("#mtt-chart"), summary);
  noisyChart($("#noisy-chart"), summary.noisiest_rules);
  state.stats.trends += 1;
}

// --- the local inbox: what make serve's stand-ins received (its front alone serves the route) ------
const INBOX_MS = 3000;

async function loadInbox() {
  const response = await fetch(new URL("local/inbox", base));
  if (!response.ok) return false;
  renderInbox((await response.json()).items);
  return true;
}

async function startInbox() {
  if (state.config.sign_in || !["127.0.0.1", "localhost"].includes(location.hostname)) return;
  if (!(await loadInbox().catch(() => false))) return; // not make serve's front
  $("#inbox").hidden = false;
  setInterval(() => { if (!document.hidden) loadInbox().catch(() => {}); }, INBOX_MS);
}

function renderInbox(items) {
  const ids = items.map((i) => i.id).join(",");
  if (ids === state.inbox) return; // unchanged: keep what the reader opened
  state.inbox = ids;
  const open = new Set([...document.querySelectorAll("#inbox-items details[open]")].map((d) => d.dataset.id));
  const span = (text, cls) => { const node = document.createElement("span"); node.className = cls; node.textContent = text; return node; };
  $("#inbox-items").replaceChildren(...items.map((item) => {
    const li = document.createElement("li");
    li.dataset.channel = item.channel;
    const details = document.createElement("details");
    details.dataset.id = item.id;
    details.open = open.has(item.id);
    const summary = document.createElement("summary");
    const time = document.createElement("time");
    time.dateTime = item.at;
    time.textContent = when(item.at);
    const to = item.channel_id ? `${item.channel_id} → ${item.destination}` : item.destination;
    summary.append(time, span(item.channel, `kind kind-${item.channel}`), span(to, "to"), span(item.text, "text"));
    const body = document.createElement("pre");
    body.textContent = typeof item.body === "string" ? item.body : JSON.stringify(item.body, null, 2);
    details.append(summary, body);
    li.append(details, ...inboxLinks(item.links || []));
    return li;
  }));
  $("#inbox-empty").hidden = items.length > 0;
}

// An e-mail's or SMS's links (its acknowledge link among them), clickable as in a mail client.
function inboxLinks(links) {
  if (!links.length) return [];
  const line = document.createElement("p");
  line.className = "inbox-links";
  line.append(...links.map((href) => {
    const a = document.createElement("a");
    a.href = href; // http(s) only: the inbox lists nothing else
    a.textContent = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }));
  return [line];
}

async function loadRules() {
  const rules = await pages("/rules");
  const select = $("#rule-filter");
  for (const rule of rules.sort((a, b) => a.name.localeCompare(b.name))) {
    state.rules.set(rule.rule_id, rule);
    const option = document.createElement("option");
    option.value = rule.rule_id;
    option.textContent = rule.name;
    select.append(option);
  }
}

function wire() {
  $("#filters").addEventListener("change", () => {
    renderList();
    if (state.socket?.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify({ action: "subscribe", filter: subscription() }));
    refresh().catch(() => {});
  });
  $("#filters").addEventListener("submit", (e) => e.preventDefault());
  for (const button of document.querySelectorAll("[data-action]")) button.addEventListener("click", () => act(button.dataset.action));
  $("#sign-out").addEventListener("click", () => { state.session.signOut(); location.reload(); });
  $("#backtest-form").addEventListener("submit", (e) => { e.preventDefault(); runBacktest(); });
  $("#save-threshold").addEventListener("click", () => saveThreshold());
  window.addEventListener("hashchange", route);
}

async function signIn() {
  const dialog = $("#sign-in");
  const form = $("#sign-in-form");
  dialog.showModal();
  await new Promise((resolve) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      try {
        const challenge = await state.session.signIn({ username: data.username, password: data.password, newPassword: data.new_password, code: data.code });
        $("#new-password-row").hidden = challenge !== "NEW_PASSWORD_REQUIRED";
        $("#mfa-row").hidden = challenge !== "SOFTWARE_TOKEN_MFA";
        $("#sign-in-error").textContent = challenge ? "One more step: see the new field." : "";
        if (!challenge) { dialog.close(); resolve(); }
      } catch (error) {
        $("#sign-in-error").textContent = error.message;
      }
    });
  });
}

// --- roles: what the signer may do (GET /me); the rest is hidden, as API Gateway would refuse it --------
const RANKS = { viewer: 0, responder: 1, admin: 2 };
const can = (needed) => !state.role || RANKS[state.role] >= RANKS[needed]; // no role: an IAM principal's own policy

async function loadRole() {
  const me = await api("/me");
  state.role = me.role;
  document.body.dataset.role = me.role || "any";
  $("#signed-in-as").textContent = `${me.actor}${me.role ? ` (${me.role})` : ""}`;
}

// An admin's edit of the rule's threshold: the whole rule with the version read (PUT /rules/{rule_id}).
async function saveThreshold() {
  const rule = state.rule, threshold = String(new FormData($("#backtest-form")).get("threshold") || "").trim();
  if (!rule || !threshold) { $("#backtest-error").textContent = "Enter a threshold to save."; return; }
  const edited = editable(rule);
  edited.conditions[0].threshold = Number(threshold);
  try {
    const saved = await api(`/rules/${encodeURIComponent(rule.rule_id)}`, { method: "PUT", body: { ...edited, version: rule.version } });
    state.rules.set(saved.rule_id, saved);
    state.rule = saved;
    announce(`${saved.name}: threshold saved (version ${saved.version})`);
    await openRule(saved.rule_id);
  } catch (error) {
    $("#backtest-error").textContent = error.message;
  }
}

async function main() {
  wire();
  state.config = await (await fetch(new URL("ui/config.json", base))).json();
  if (state.config.sign_in) {
    state.session = new Session(state.config.sign_in);
    $("#sign-out").hidden = false;
    if (!state.session.signedIn) await signIn();
  }
  await loadRole();
  await Promise.all([loadRules(), refresh(), loadTrends()]);
  document.body.dataset.ready = "true";
  route();
  connect();
  startInbox();
}

main().catch((error) => { setLive("down", `Error: ${error.message}`); });
