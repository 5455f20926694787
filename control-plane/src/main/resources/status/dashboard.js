// The status page: fleet and version tables plus charts of the last 15 minutes, all pushed by the
// control plane over Server-Sent Events (GET /api/live): a "history" event on connect (the whole
// window, so the charts fill at once), then a "tick" event per fleet sample. Charts are uPlot
// (canvas; served from the control plane's WebJar, no CDN). No inline script: the CSP is 'self'.
"use strict";

const CHARTS = [
  {id: "dp.rps", axis: rateAxis, title: "Requests/s per data plane", fmt: rate, total: "sum"},
  {id: "dp.err", axis: rateAxis, title: "5xx/s per data plane", fmt: rate, total: "sum"},
  {id: "dp.p99", title: "p99 latency per data plane", fmt: ms, axis: msAxis, total: "max"},
  {id: "route.rps", axis: rateAxis, title: "Requests/s per route", fmt: rate, total: "sum"},
  {id: "route.err", axis: rateAxis, title: "5xx/s per route", fmt: rate, total: "sum"},
  {id: "route.p99", title: "p99 latency per route", fmt: ms, axis: msAxis, total: "max"},
  {id: "breaker", title: "Circuit breakers per upstream", fmt: breaker, total: "max", stepped: true, range: [0, 2.3]},
  {id: "ratelimit", axis: rateAxis, title: "Rate limiting decisions and fallbacks", fmt: rate, total: "none"},
  {id: "cache", title: "Response cache hit ratio", fmt: pct, total: "last", range: [0, 1.05]},
];
const COLORS = ["#58a6ff", "#3fb950", "#f0883e", "#bc8cff", "#ff7b72", "#39c5cf", "#d29922", "#f778ba", "#a5d6ff", "#7ee787"];
const FIXED_COLORS = {"allowed/s": "#3fb950", "limited/s": "#f85149", "local fallback/s": "#d29922",
                      "Redis failures/s": "#bc8cff", "hit ratio": "#39c5cf"};
const BREAKER_STATES = ["closed", "half-open", "open"];

function rateAxis(v) { return v == null ? "" : v >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(1); }
function rate(v) { return v == null ? "–" : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2); }
function msAxis(v) { return v == null ? "" : v === 0 ? "0" : (v >= 10 ? v.toFixed(0) : v.toFixed(1)) + " ms"; }
function ms(v) { return v == null ? "–" : (v >= 100 ? v.toFixed(0) : v.toFixed(1)) + " ms"; }
function pct(v) { return v == null ? "–" : (v * 100).toFixed(0) + "%"; }
function breaker(v) { return v == null ? "–" : BREAKER_STATES[Math.round(v)] || String(v); }

// The window as the page holds it: shared times (epoch seconds) and per chart, per label, values.
const state = {times: [], charts: {}, window: 900, versions: [], status: null, lastPoint: null};
const plots = {};   // chart id -> {u, labels}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

function buildCards() {
  const root = document.getElementById("charts");
  for (const c of CHARTS) {
    const card = el("div", "card");
    card.dataset.chart = c.id;
    const h = el("h3");
    h.append(el("span", "", c.title), el("span", "now", "–"));
    const plot = el("div", "plot");
    plot.append(el("div", "empty", "waiting for samples…"));
    card.append(h, plot);
    root.append(card);
  }
}

// Vertical dashed lines with the version number at every config version applied inside the
// visible time range; the versions come from the store with every event.
function markersPlugin(card) {
  return {hooks: {draw: [u => {
    const ctx = u.ctx, min = u.scales.x.min, max = u.scales.x.max, dpr = devicePixelRatio || 1;
    const drawn = [];
    for (const v of [...state.versions].sort((a, b) => a.version - b.version)) {
      const t = Date.parse(v.createdAt) / 1000;
      if (!(t >= min && t <= max)) continue;
      const x = Math.round(u.valToPos(t, "x", true));
      ctx.save();
      ctx.strokeStyle = "#bc8cff";
      ctx.lineWidth = 1.5 * dpr;
      ctx.setLineDash([5 * dpr, 4 * dpr]);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.font = `600 ${11 * dpr}px system-ui, sans-serif`;
      ctx.textAlign = "left";       // uPlot leaves the context as its axes last set it
      ctx.textBaseline = "alphabetic";
      const label = "v" + v.version;
      const w = ctx.measureText(label).width + 8 * dpr;
      ctx.fillStyle = "#bc8cff";
      ctx.fillRect(x + 2 * dpr, u.bbox.top, w, 15 * dpr);
      ctx.fillStyle = "#0e1117";
      ctx.fillText(label, x + 6 * dpr, u.bbox.top + 11 * dpr);
      ctx.restore();
      drawn.push(label);
    }
    card.dataset.markers = drawn.join(",");
  }]}};
}

// Rate limiting reads best in the order of a request's fate, not alphabetically.
const ORDER = {"allowed/s": 0, "limited/s": 1, "local fallback/s": 2, "Redis failures/s": 3};

// The data's span, widened (within the 15-minute window) to the config versions applied before the
// first sample: a version applied just before this replica started sampling is still a marker.
function xRange(min, max) {
  let from = min;
  for (const v of state.versions) {
    const t = Date.parse(v.createdAt) / 1000;
    if (t < from && t >= max - state.window) from = t;
  }
  return [from, max];
}

function chartData(id) {
  const labels = Object.keys(state.charts[id] || {}).sort((a, b) =>
      (ORDER[a] ?? 9) - (ORDER[b] ?? 9) || (a < b ? -1 : a > b ? 1 : 0));
  return {labels, data: [state.times.slice(), ...labels.map(l => state.charts[id][l])]};
}

function render(id) {
  const def = CHARTS.find(c => c.id === id);
  const card = document.querySelector(`.card[data-chart="${CSS.escape(id)}"]`);
  const plotEl = card.querySelector(".plot");
  const {labels, data} = chartData(id);
  const hasValue = labels.some(l => state.charts[id][l].some(v => v != null));
  card.dataset.series = String(labels.length);
  card.dataset.points = String(state.times.length);
  if (!hasValue) {
    if (plots[id]) { plots[id].u.destroy(); delete plots[id]; }
    if (!plotEl.querySelector(".empty")) plotEl.replaceChildren(el("div", "empty", "no data yet"));
    card.querySelector(".now").textContent = "–";
    return;
  }
  const width = Math.max(200, plotEl.clientWidth || card.clientWidth - 24);
  let p = plots[id];
  if (!p || p.labels.join("\u0000") !== labels.join("\u0000")) {
    if (p) p.u.destroy();
    plotEl.replaceChildren();
    const axis = {stroke: "#8b949e", grid: {stroke: "#232a33", width: 1}, ticks: {stroke: "#232a33", width: 1},
                  font: "11px system-ui, sans-serif"};
    const yAxis = Object.assign({}, axis, {size: def.stepped ? 68 : 56, values: (u, splits) => splits.map(v => def.axis ? def.axis(v) : def.fmt(v))});
    if (def.stepped) Object.assign(yAxis, {splits: () => [0, 1, 2]});
    if (id === "cache") Object.assign(yAxis, {splits: () => [0, 0.25, 0.5, 0.75, 1]});
    const opts = {
      width, height: 170,
      cursor: {drag: {x: false, y: false}},
      legend: {show: true, live: true},
      scales: {x: {time: true, range: (u, min, max) => xRange(min, max)}, y: def.range ? {range: def.range} : {range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1]}},
      axes: [axis, yAxis],
      series: [{value: (u, v) => v == null ? "–" : new Date(v * 1000).toLocaleTimeString()},
        ...labels.map((l, i) => {
          const color = FIXED_COLORS[l] || COLORS[i % COLORS.length];
          const s = {label: l, stroke: color, width: 2, spanGaps: false, value: (u, v) => def.fmt(v)};
          if (labels.length === 1 || def.stepped) s.fill = color + "22";
          if (def.stepped) s.paths = uPlot.paths.stepped({align: 1});
          return s;
        })],
      plugins: [markersPlugin(card)],
      // Without a cursor on the chart the legend shows each series' latest value (uPlot's default
      // is "–", which says nothing on a wall screen or in a screenshot).
      hooks: {setCursor: [u => { if (u.cursor.idx == null) showLatest(u); }]},
    };
    p = plots[id] = {u: new uPlot(opts, data, plotEl), labels};
  } else {
    p.u.setData(data);
  }
  // uPlot redraws (and resets the legend to the cursor's position) in a microtask after setData.
  const u = p.u;
  setTimeout(() => { if (u.cursor.idx == null) showLatest(u); }, 0);
  card.querySelector(".now").textContent = headline(def, labels);
}

function showLatest(u) {
  const idxs = u.data.map((values, i) => {
    if (i === 0) return values.length - 1;
    for (let k = values.length - 1; k >= 0; k--) if (values[k] != null) return k;
    return null;
  });
  u.setLegend({idxs}, false);
}

function latest(id, label) {
  const values = (state.charts[id] || {})[label] || [];
  for (let i = values.length - 1; i >= 0; i--) if (values[i] != null) return values[i];
  return null;
}

function headline(def, labels) {
  const values = labels.map(l => latest(def.id, l)).filter(v => v != null);
  if (!values.length) return "–";
  switch (def.total) {
    case "sum": return def.fmt(values.reduce((a, b) => a + b, 0));
    case "max": return def.fmt(Math.max(...values));
    case "last": return def.fmt(values[values.length - 1]);
    default: return "";
  }
}

function onHistory(h) {
  state.window = h.window || 900;
  state.times = h.times || [];
  state.charts = h.charts || {};
  updateDropped(h.droppedValues);
}

function onPoint(p) {
  const n = state.times.length;
  if (n && p.t <= state.times[n - 1]) return; // already in the history
  state.times.push(p.t);
  for (const id of Object.keys(state.charts)) {
    for (const l of Object.keys(state.charts[id])) state.charts[id][l].push(null);
  }
  for (const [id, values] of Object.entries(p.charts || {})) {
    const chart = state.charts[id] || (state.charts[id] = {});
    for (const [l, v] of Object.entries(values)) {
      if (!chart[l]) chart[l] = new Array(state.times.length).fill(null);
      chart[l][state.times.length - 1] = v;
    }
  }
  // Keep the window: drop points older than it, and series left with no value.
  const from = p.t - state.window;
  let cut = 0;
  while (cut < state.times.length && state.times[cut] < from) cut++;
  if (cut) {
    state.times.splice(0, cut);
    for (const id of Object.keys(state.charts)) {
      for (const l of Object.keys(state.charts[id])) {
        state.charts[id][l].splice(0, cut);
        if (!state.charts[id][l].some(v => v != null)) delete state.charts[id][l];
      }
    }
  }
  state.lastPoint = p;
  updateDropped(p.droppedValues);
}

function updateDropped(n) {
  document.getElementById("dropped").textContent =
      n > 0 ? `· ${n} values over the series cap not shown` : "";
}

function cell(row, text, cls) {
  const td = el("td", cls, text);
  row.append(td);
  return td;
}

function fmtTime(iso) { return iso ? new Date(iso).toLocaleTimeString() : "–"; }

function certExpiry(iso) {
  if (!iso) return ["–", ""];
  const days = (Date.parse(iso) - Date.now()) / 86400000;
  const when = new Date(iso).toLocaleDateString();
  if (days < 0) return ["expired " + when, "bad"];
  const text = (days < 2 ? Math.max(0, days * 24).toFixed(0) + " h" : days.toFixed(0) + " days") + " (" + when + ")";
  return [text, days < 2 ? "bad" : days < 14 ? "warn" : "ok"];
}

// The rollout in progress, if any: versions, state, step and reason (all text set as textContent).
function renderRollout(rollout) {
  const section = document.getElementById("rollout");
  section.hidden = !rollout;
  if (!rollout) return;
  document.getElementById("rollout-title").textContent =
      "#" + rollout.id + ": v" + rollout.fromVersion + " → v" + rollout.toVersion + ", plan " + rollout.plan;
  const state = document.getElementById("rollout-state");
  state.textContent = rollout.state + ", step " + rollout.currentWave;
  state.className = rollout.state === "PAUSED" ? "warn" : "ok";
  document.getElementById("rollout-detail").textContent =
      (rollout.reason ? rollout.reason + " · " : "") + (rollout.driver ? "driven by " + rollout.driver : "no replica drives it now");
}

function renderTables(status) {
  renderRollout(status.rollout);
  document.getElementById("active").textContent = status.activeVersion ? "v" + status.activeVersion : "none";
  document.getElementById("replica").textContent = status.replicaId;
  document.getElementById("updated").textContent = new Date().toLocaleTimeString();
  const dps = document.querySelector("#dataplanes tbody");
  dps.replaceChildren();
  for (const dp of status.dataPlanes) {
    const row = el("tr");
    row.dataset.node = dp.id;
    cell(row, dp.id, "mono");
    cell(row, dp.region || "–");
    cell(row, dp.connected ? "yes" : "no", dp.connected ? "ok" : "bad");
    cell(row, "v" + dp.ackedVersion, "mono");
    // The version the control plane sends it, and why when that is a rollout's candidate.
    const target = "v" + (dp.targetVersion || status.activeVersion || 0) + (dp.rolloutRole ? " (" + dp.rolloutRole + ")" : "");
    cell(row, target, dp.targetVersion && dp.ackedVersion !== dp.targetVersion ? "warn mono" : "mono");
    cell(row, dp.behindBy, dp.behindBy > 0 ? "warn" : "ok");
    cell(row, dp.behindSince ? fmtTime(dp.behindSince) : "–");
    cell(row, dp.lastNackError ? "v" + dp.lastNackVersion + ": " + dp.lastNackError : "–", dp.lastNackError ? "bad" : "");
    const rps = latest("dp.rps", dp.id), err = latest("dp.err", dp.id), p99 = latest("dp.p99", dp.id);
    cell(row, rate(rps), "mono");
    cell(row, rate(err), err > 0 ? "bad mono" : "mono");
    cell(row, ms(p99), "mono");
    const [cert, certClass] = certExpiry(dp.certNotAfter);
    cell(row, cert, certClass).dataset.cert = dp.certNotAfter || "";
    cell(row, fmtTime(dp.lastSeen));
    dps.append(row);
  }
  const versions = document.querySelector("#versions tbody");
  versions.replaceChildren();
  for (const v of status.versions) {
    const row = el("tr");
    cell(row, "v" + v.version + (v.active ? " (active)" : "") + (v.rolledBackFrom ? " ← rollback to v" + v.rolledBackFrom : ""),
         v.active ? "ok mono" : "mono");
    cell(row, v.author);
    cell(row, v.message);
    cell(row, new Date(v.createdAt).toLocaleString());
    cell(row, v.sha256.substring(0, 12), "mono");
    versions.append(row);
  }
  document.getElementById("sum-dps").textContent =
      status.dataPlanes.filter(d => d.connected).length + " / " + status.dataPlanes.length;
}

function renderSummary() {
  const sum = id => { const v = Object.keys(state.charts[id] || {}).map(l => latest(id, l)).filter(x => x != null);
                      return v.length ? v.reduce((a, b) => a + b, 0) : null; };
  const max = id => { const v = Object.keys(state.charts[id] || {}).map(l => latest(id, l)).filter(x => x != null);
                      return v.length ? Math.max(...v) : null; };
  document.getElementById("sum-rps").textContent = rate(sum("dp.rps"));
  const err = sum("dp.err");
  const errEl = document.getElementById("sum-err");
  errEl.textContent = rate(err);
  errEl.className = "value" + (err > 0 ? " bad" : "");
  document.getElementById("sum-p99").textContent = ms(max("dp.p99"));
  document.getElementById("sum-limited").textContent = rate(latest("ratelimit", "limited/s"));
  document.getElementById("sum-cache").textContent = pct(latest("cache", "hit ratio"));
}

function renderAll() {
  if (state.status) {
    state.versions = state.status.versions || [];
    renderTables(state.status);
  }
  for (const c of CHARTS) render(c.id);
  renderSummary();
  document.body.dataset.ticks = String(state.times.length);
}

function setLive(on, text) {
  const live = document.getElementById("live");
  live.className = "live " + (on ? "on" : "off");
  live.textContent = text;
}

function connect() {
  const source = new EventSource("/api/live");
  source.addEventListener("history", e => {
    const body = JSON.parse(e.data);
    onHistory(body.history);
    if (body.status) state.status = body.status;
    setLive(true, "live");
    document.body.dataset.live = "history";
    renderAll();
  });
  source.addEventListener("tick", e => {
    const body = JSON.parse(e.data);
    onPoint(body.point);
    if (body.status) state.status = body.status;
    setLive(true, "live");
    document.body.dataset.live = "tick";
    renderAll();
  });
  // EventSource reconnects by itself (the server asks for 5 s); a 401 after a revoked token does not.
  source.onerror = () => setLive(false, source.readyState === EventSource.CLOSED ? "disconnected — reload" : "reconnecting…");
}

let resizeTimer = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const [id, p] of Object.entries(plots)) {
      const plotEl = document.querySelector(`.card[data-chart="${CSS.escape(id)}"] .plot`);
      p.u.setSize({width: Math.max(200, plotEl.clientWidth), height: 170});
    }
  }, 150);
});

buildCards();
connect();
