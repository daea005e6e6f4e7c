// alegra-sim console: plain JavaScript, no build step, no library, nothing from the network
// but this simulator's own /_sim JSON API. Every figure on the page comes from that API,
// and every knob is one call to it: the console can do nothing the API cannot.
//
// The admin token (when the simulator has one) is asked once and kept in sessionStorage:
// for this tab only, gone when it closes. Data is only ever written with textContent.
(() => {
  "use strict";

  const TOKEN_KEY = "alegra-sim.admin-token";
  const HISTORY_MS = 5 * 60 * 1000;
  const REFRESH_MS = refreshFromQuery();
  const LIST_SIZE = 8;
  const PROFILE_FIELDS = {
    none: [],
    fixed: ["ms"],
    uniform: ["min_ms", "max_ms"],
    normal: ["mean_ms", "stddev_ms"],
    lognormal: ["p50_ms", "p95_ms", "p99_ms"],
  };
  const FAULT_FIELDS = [
    ["error_rate", "Error rate (0–1)"],
    ["error_status", "Error status"],
    ["timeout_rate", "Timeout rate"],
    ["timeout_seconds", "Timeout after (s)"],
    ["drop_rate", "Drop rate"],
    ["truncate_rate", "Truncate rate"],
  ];
  const ERROR_STATUSES = [429, 500, 502, 503, 504];
  const DOMAIN_LABELS = { card_declined: "Card declined", sold_out: "Sold out at order", price_changed: "Price changed at order" };
  const ORDER_FLOW = ["placed", "paid", "processing", "shipped", "delivered"];
  const GOOD = new Set(["delivered", "succeeded"]);
  const BAD = new Set(["cancelled", "failed", "delete"]);
  const WAITING = new Set(["awaiting_payment", "retrying", "pending"]);

  // -- small helpers ------------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    setAttributes(node, attributes);
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  function svgEl(tag, attributes, ...children) {
    const node = document.createElementNS(SVG, tag);
    setAttributes(node, attributes);
    node.append(...children);
    return node;
  }

  function setAttributes(node, attributes) {
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
  }

  function refreshFromQuery() {
    const seconds = Number(new URLSearchParams(location.search).get("refresh"));
    return Number.isFinite(seconds) && seconds >= 0.5 && seconds <= 10 ? seconds * 1000 : 2000;
  }

  const sum = (values) => Object.values(values || {}).reduce((total, value) => total + value, 0);
  const simTime = (at) => (at ? at.replace("T", " ").replace("Z", "").slice(5, 19) : "—");
  const money = (value) => (value ? `${value.amount} ${value.currency}` : "");

  function formatMs(value) {
    if (value === null || value === undefined) return "—";
    return value < 10 ? value.toFixed(1) : String(Math.round(value));
  }

  function formatRate(value) {
    if (value === null || value === undefined) return "—";
    return value < 10 ? value.toFixed(1) : String(Math.round(value));
  }

  function formatShare(part, whole) {
    if (!whole) return "—";
    return `${((100 * part) / whole).toFixed(1)} %`;
  }

  function badge(word, testid) {
    const tone = GOOD.has(word) ? "good" : BAD.has(word) ? "bad" : WAITING.has(word) ? "wait" : "info";
    return el("span", { class: `badge ${tone}`, text: word.replace("_", " "), "data-testid": testid });
  }

  // -- the API ------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
    }
  }

  let token = sessionStorage.getItem(TOKEN_KEY) || "";

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method, headers, cache: "no-store", credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      // No answer at all (server down, connection cut): one error kind for every caller.
      throw new ApiError(0, { detail: "the simulator did not answer" });
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    // A proxy's or an overloaded server's 503 may carry no problem+json: its status speaks.
    if (!response.ok) throw new ApiError(response.status, data && typeof data === "object" ? data : { title: `HTTP ${response.status} ${response.statusText}`.trim() });
    return data;
  }

  // -- access ---------------------------------------------------------------------------------
  function askForToken(refused) {
    stopPolling();
    $("console").hidden = true;
    $("forget-token").hidden = true;
    $("login").hidden = false;
    $("token-error").textContent = refused
      ? "The simulator refused that token (401 INVALID_TOKEN): check SIM_ADMIN_TOKEN."
      : "";
    if (refused) forgetToken();
    $("token-input").focus();
  }

  function forgetToken() {
    token = "";
    sessionStorage.removeItem(TOKEN_KEY);
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token-input").value.trim();
    $("token-input").value = "";
    sessionStorage.setItem(TOKEN_KEY, token);
    openConsole();
  });

  $("forget-token").addEventListener("click", () => {
    forgetToken();
    location.reload();
  });

  async function openConsole() {
    try {
      await loadConfig();
    } catch (error) {
      if (error.status === 401) return askForToken(Boolean(token));
      showConnection(false, error);
      timer = setTimeout(openConsole, REFRESH_MS);
      return;
    }
    $("login").hidden = true;
    $("console").hidden = false;
    $("forget-token").hidden = !token;
    resetTraffic();
    tick();
  }

  // -- polling ----------------------------------------------------------------------------------
  let timer = null;
  let paused = false;
  let ticks = 0; // the latest tick: an earlier one still in flight draws nothing

  function stopPolling() {
    clearTimeout(timer);
    timer = null;
  }

  function schedule() {
    stopPolling();
    if (!paused) timer = setTimeout(tick, REFRESH_MS);
  }

  const SOURCES = {
    stats: () => api("GET", "/_sim/stats"),
    clock: () => api("GET", "/_sim/clock"),
    orders: () => api("GET", `/_sim/orders?page_size=${LIST_SIZE}`),
    changes: () => api("GET", "/_sim/catalog/changes?limit=10"),
    deliveries: () => api("GET", `/_sim/webhooks/deliveries?limit=${LIST_SIZE}`),
    outbox: () => api("GET", `/_sim/outbox?page_size=${LIST_SIZE}`),
  };
  const RENDERERS = {
    stats: (stats) => updateTraffic(stats, performance.now()),
    clock: renderClock,
    orders: renderOrders,
    changes: renderChanges,
    deliveries: renderDeliveries,
    outbox: renderOutbox,
  };

  async function tick() {
    stopPolling();
    const mine = ++ticks;
    const names = Object.keys(SOURCES);
    const results = await Promise.allSettled(names.map((name) => SOURCES[name]()));
    if (mine !== ticks) return;
    const failed = results.find((result) => result.status === "rejected");
    if (failed && failed.reason.status === 401) return askForToken(true);
    names.forEach((name, index) => {
      if (results[index].status === "fulfilled") RENDERERS[name](results[index].value);
    });
    showConnection(!failed, failed && failed.reason);
    schedule();
  }

  function showConnection(ok, error) {
    const status = $("connection");
    status.classList.toggle("lost", !ok);
    const every = `every ${REFRESH_MS / 1000} s`;
    status.textContent = ok
      ? `${paused ? "Paused" : `Live, ${every}`} · updated ${new Date().toLocaleTimeString()}`
      : `Update failed (${error ? error.message : "unknown"}); retrying ${every}`;
  }

  $("pause").addEventListener("click", () => {
    paused = !paused;
    $("pause").setAttribute("aria-pressed", String(paused));
    $("pause").textContent = paused ? "Resume updates" : "Pause updates";
    if (paused) {
      stopPolling();
      showConnection(true);
    } else {
      tick();
    }
  });

  // -- traffic ------------------------------------------------------------------------------------
  const traffic = { previous: null, history: {}, selected: null, chosen: false, rows: {}, span: 60000 };

  function resetTraffic() {
    traffic.previous = null;
    traffic.history = {};
  }

  function updateTraffic(stats, at) {
    const previous = traffic.previous && traffic.previous.since === stats.since ? traffic.previous : null;
    const counts = {};
    for (const [group, figures] of Object.entries(stats.groups)) {
      counts[group] = { requests: figures.requests, errors: sum(figures.errors), injected: sum(figures.injected) };
      const before = previous && previous.counts[group];
      const point = {
        at,
        p50: figures.recent.latency_ms.p50,
        p95: figures.recent.latency_ms.p95,
        targetP50: figures.target_latency_ms.p50,
        targetP95: figures.target_latency_ms.p95,
        rps: null, eps: null, ips: null, requests: 0, errors: 0, injected: 0,
      };
      if (before && counts[group].requests >= before.requests) {
        const seconds = (at - previous.at) / 1000;
        point.requests = counts[group].requests - before.requests;
        point.errors = counts[group].errors - before.errors;
        point.injected = counts[group].injected - before.injected;
        point.rps = point.requests / seconds;
        point.eps = point.errors / seconds;
        point.ips = point.injected / seconds;
      }
      const history = (traffic.history[group] = traffic.history[group] || []);
      history.push(point);
      while (history.length && history[0].at < at - HISTORY_MS) history.shift();
    }
    traffic.previous = { at, since: stats.since, counts };
    // The charts span what has been seen, in whole minutes, up to HISTORY_MS: a fresh console
    // does not squeeze its first seconds into the right edge of five empty minutes.
    const oldest = Math.min(...Object.values(traffic.history).map((history) => history[0].at));
    traffic.span = Math.min(HISTORY_MS, 60000 * Math.max(1, Math.ceil((at - oldest) / 60000)));
    if (!traffic.chosen) traffic.selected = busiest(stats.groups) || traffic.selected || Object.keys(stats.groups)[0];
    renderTrafficTable(stats, at);
    renderCharts(at);
  }

  function busiest(groups) {
    let best = null;
    let most = 0;
    for (const [group, figures] of Object.entries(groups)) {
      if (figures.recent.requests > most) [best, most] = [group, figures.recent.requests];
    }
    return best;
  }

  function renderTrafficTable(stats, at) {
    const body = $("traffic-rows");
    for (const [group, figures] of Object.entries(stats.groups)) {
      const row = traffic.rows[group] || (traffic.rows[group] = makeRow(group, body));
      const history = traffic.history[group];
      const last = history[history.length - 1];
      row.tr.classList.toggle("idle", !figures.requests);
      row.tr.setAttribute("aria-selected", String(group === traffic.selected));
      row.tr.title = `${figures.requests} requests since ${stats.since}`;
      row.rps.textContent = formatRate(last.rps);
      row.errors.textContent = formatShare(last.errors, last.requests);
      row.errors.classList.toggle("bad", last.errors > 0);
      row.injected.textContent = formatShare(last.injected, last.requests);
      row.injected.classList.toggle("bad", last.injected > 0);
      row.p50.firstChild.textContent = formatMs(last.p50);
      row.p50.lastChild.textContent = formatMs(last.targetP50);
      row.p95.firstChild.textContent = formatMs(last.p95);
      row.p95.lastChild.textContent = formatMs(last.targetP95);
      drawSpark(row.spark, history, at);
    }
  }

  function makeRow(group, body) {
    const cell = (column) => el("td", { class: "num", "data-col": column });
    const latency = (column) => el("td", { class: "num", "data-col": column }, el("span"), el("span", { class: "target" }));
    const row = {
      tr: el("tr", { "data-testid": `traffic-${group}`, "data-group": group }),
      rps: cell("rps"),
      spark: svgEl("svg", { class: "spark", viewBox: "0 0 110 22", preserveAspectRatio: "none", "aria-hidden": "true" }),
      errors: cell("errors"),
      injected: cell("injected"),
      p50: latency("p50"),
      p95: latency("p95"),
    };
    const choose = el("button", { type: "button", class: "group-name", text: group, title: "Chart this group" });
    row.tr.append(el("td", null, choose), row.rps, el("td", null, row.spark), row.errors, row.injected, row.p50, row.p95);
    row.tr.addEventListener("click", () => selectGroup(group));
    choose.addEventListener("click", (event) => {
      event.stopPropagation();
      selectGroup(group);
    });
    body.append(row.tr);
    return row;
  }

  function selectGroup(group) {
    traffic.selected = group;
    traffic.chosen = true;
    for (const [name, row] of Object.entries(traffic.rows)) row.tr.setAttribute("aria-selected", String(name === group));
    renderCharts(performance.now());
  }

  function drawSpark(node, history, at) {
    const top = Math.max(1, ...history.map((point) => point.rps || 0));
    const points = history
      .filter((point) => point.rps !== null)
      .map((point) => `${(110 * (1 - (at - point.at) / traffic.span)).toFixed(1)},${(21 - (20 * point.rps) / top).toFixed(1)}`);
    node.replaceChildren(svgEl("polyline", { points: points.join(" ") }));
  }

  // -- charts: plain SVG; every series has its own dash pattern and a label at its end -------------
  const CHART = { width: 480, height: 190, left: 44, right: 64, top: 8, bottom: 22 };
  const STYLES = [
    { color: "var(--series-1)", dash: "" },
    { color: "var(--series-2)", dash: "7 4" },
    { color: "var(--series-3)", dash: "2 3" },
    { color: "var(--series-4)", dash: "10 3 2 3" },
  ];

  function renderCharts(at) {
    const group = traffic.selected;
    const history = (group && traffic.history[group]) || [];
    $("rate-caption").textContent = `Requests per second: ${group || "—"}`;
    $("latency-caption").textContent = `Latency (ms), last 10 s: ${group || "—"}`;
    lineChart($("rate-chart"), $("rate-legend"), history, at, [
      { key: "rps", label: "requests/s", short: "req", format: formatRate },
      { key: "eps", label: "errors/s", short: "err", format: formatRate },
      { key: "ips", label: "injected/s", short: "inj", format: formatRate },
    ]);
    lineChart($("latency-chart"), $("latency-legend"), history, at, [
      { key: "p50", label: "p50", short: "p50", format: formatMs },
      { key: "p95", label: "p95", short: "p95", format: formatMs },
      { key: "targetP50", label: "target p50", short: "t50", format: formatMs },
      { key: "targetP95", label: "target p95", short: "t95", format: formatMs },
    ]);
  }

  function niceStep(raw) {
    const power = 10 ** Math.floor(Math.log10(raw));
    const scaled = raw / power;
    return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
  }

  function lineChart(node, legend, history, at, series) {
    const { width, height, left, right, top, bottom } = CHART;
    const plotWidth = width - left - right;
    const plotHeight = height - top - bottom;
    const values = history.flatMap((point) => series.map((s) => point[s.key])).filter((v) => v !== null && v !== undefined);
    const step = niceStep(Math.max(...values, 1) / 4);
    const ceiling = step * Math.ceil(Math.max(...values, 1) / step);
    const span = traffic.span;
    const x = (t) => left + plotWidth * (1 - (at - t) / span);
    const y = (v) => top + plotHeight * (1 - v / ceiling);
    const parts = [];
    for (let tick = 0; tick <= ceiling + step / 2; tick += step) {
      parts.push(svgEl("line", { class: "grid", x1: left, x2: width - right, y1: y(tick), y2: y(tick) }));
      parts.push(svgEl("text", { x: left - 4, y: y(tick) + 4, "text-anchor": "end", text: formatRate(tick) }));
    }
    const every = span <= 60000 ? 15000 : 60000;
    for (let ago = span; ago >= 0; ago -= every) {
      const text = !ago ? "now" : every < 60000 ? `−${ago / 1000} s` : `−${ago / 60000} min`;
      parts.push(svgEl("text", { x: x(at - ago), y: height - 6, "text-anchor": ago ? "middle" : "end", text }));
    }
    parts.push(svgEl("line", { class: "axis", x1: left, x2: left, y1: top, y2: top + plotHeight }));
    parts.push(svgEl("line", { class: "axis", x1: left, x2: width - right, y1: top + plotHeight, y2: top + plotHeight }));
    const labels = [];
    series.forEach((s, index) => {
      const style = STYLES[index];
      let path = "";
      let pen = false;
      let last = null;
      for (const point of history) {
        const value = point[s.key];
        if (value === null || value === undefined) {
          pen = false;
          continue;
        }
        path += `${pen ? "L" : "M"}${x(point.at).toFixed(1)},${y(value).toFixed(1)}`;
        pen = true;
        last = { value, at: point.at };
      }
      if (path) {
        parts.push(svgEl("path", { class: "series", d: path, stroke: style.color, "stroke-dasharray": style.dash || null }));
        labels.push({ y: y(last.value), text: `${s.short} ${s.format(last.value)}` });
      }
    });
    if (!labels.length) {
      parts.push(svgEl("text", { class: "empty", x: left + plotWidth / 2, y: top + plotHeight / 2, "text-anchor": "middle", text: "no requests yet" }));
    }
    // End labels: the reader needs neither colour nor legend to tell the lines apart.
    labels.sort((a, b) => a.y - b.y);
    labels.forEach((label, index) => {
      if (index) label.y = Math.max(label.y, labels[index - 1].y + 12);
      parts.push(svgEl("text", { x: width - right + 4, y: label.y + 4, text: label.text }));
    });
    node.replaceChildren(...parts);

    const latest = history.length ? history[history.length - 1] : {};
    legend.replaceChildren(...series.map((s, index) => el("li", { "data-series": s.key },
      svgEl("svg", { viewBox: "0 0 30 10", "aria-hidden": "true" },
        svgEl("line", { x1: 0, x2: 30, y1: 5, y2: 5, stroke: STYLES[index].color, "stroke-width": 2.5, "stroke-dasharray": STYLES[index].dash || null })),
      `${s.label} `, el("b", { text: s.format(latest[s.key]) }))));
  }

  // -- clock ----------------------------------------------------------------------------------------
  function renderClock(clock) {
    $("clock-now").textContent = `${clock.now.replace("T", " ").replace("Z", " UTC")} (simulated)`;
    $("clock-state").textContent = clock.frozen ? "❚❚ frozen" : "▶ running";
  }

  // -- activity lists -------------------------------------------------------------------------------
  const shown = {};

  /** Re-render a list only when its data changed; items not seen last time are marked fresh. */
  function renderList(name, items, key, render, empty) {
    const fingerprint = JSON.stringify(items);
    const before = shown[name];
    if (before && before.fingerprint === fingerprint) return;
    const list = $(name);
    const seen = new Map(items.map((item) => [key(item), item]));
    list.replaceChildren(...(items.length ? items.map((item) => {
      const previous = before && before.items.get(key(item));
      const node = render(item, previous);
      if (before && JSON.stringify(previous) !== JSON.stringify(item)) node.classList.add("fresh");
      return node;
    }) : [el("li", { class: "empty", text: empty })]));
    shown[name] = { fingerprint, items: seen };
  }

  function orderSteps(order) {
    const history = order.status_history.map((change) => change.status);
    let flow = ORDER_FLOW;
    if (history[0] === "awaiting_payment") flow = ["awaiting_payment", ...ORDER_FLOW.slice(1)];
    if (order.payment.type === "cash_on_delivery") flow = flow.filter((status) => status !== "paid");
    const future = order.status === "cancelled" ? [] : flow.slice(flow.indexOf(order.status) + 1);
    return el("ol", { class: "steps", "aria-label": "status history" },
      ...history.slice(0, -1).map((status) => el("li", { class: "done", text: status.replace("_", " ") })),
      el("li", { class: "current", text: order.status.replace("_", " "), "aria-current": "step" }),
      ...future.map((status) => el("li", { text: status.replace("_", " ") })));
  }

  function renderOrders(orders) {
    renderList("orders", orders, (order) => order.id, (order, previous) => {
      const history = order.status_history;
      const last = history[history.length - 1];
      const latest = history.length > 1 ? ` · ${last.status.replace("_", " ")} ${simTime(last.at)}${last.note ? ` (${last.note})` : ""}` : "";
      const moved = previous && previous.status !== order.status ? ` · was ${previous.status.replace("_", " ")}` : "";
      return el("li", { "data-testid": `order-${order.id}`, "data-status": order.status },
        el("div", { class: "line" },
          el("b", { text: order.number, class: "mono" }),
          badge(order.status, "order-status"),
          el("span", { class: "grow", text: order.email }),
          el("span", { class: "num", text: money(order.totals.total) })),
        orderSteps(order),
        el("div", { class: "sub", text: `placed ${simTime(order.created_at)}${latest}${moved}` }));
    }, "No orders yet.");
  }

  function renderChanges(feed) {
    $("changes-seq").textContent = `feed at seq ${feed.last_seq}`;
    renderList("changes", feed.changes, (change) => `${change.seq}`, (change) => {
      const product = change.product;
      return el("li", { "data-testid": `change-${change.product_id}`, "data-type": change.type },
        el("div", { class: "line" },
          el("span", { class: "mono", text: `#${change.seq}` }),
          badge(change.type),
          el("span", { class: "grow", text: product ? product.name : change.product_id })),
        el("div", { class: "sub", text: product
          ? `${change.product_id} · ${money(product.price)} · stock ${product.stock} · ${simTime(change.at)}`
          : `${change.product_id} · deleted ${simTime(change.at)}` }));
    }, "No catalog changes yet.");
  }

  function renderDeliveries(deliveries) {
    renderList("deliveries", deliveries, (delivery) => delivery.id, (delivery) => {
      const attempts = delivery.attempts.map((attempt) => {
        const ok = attempt.status_class === "2xx";
        const outcome = attempt.status_class !== null ? `HTTP ${attempt.status_class}` : attempt.error || "no answer";
        return el("li", { class: ok ? "ok" : "failed", "data-testid": "attempt" },
          `#${attempt.number} ${outcome} · ${Math.round(attempt.duration_ms)} ms`);
      });
      const next = delivery.next_attempt_at ? `next try ${simTime(delivery.next_attempt_at)}` : null;
      return el("li", { "data-testid": `delivery-${delivery.id}`, "data-status": delivery.status },
        el("div", { class: "line" },
          badge(delivery.status, "delivery-status"),
          el("span", { text: delivery.event_type }),
          el("span", { class: "grow mono", text: delivery.resource_id })),
        el("div", { class: "sub", text: `→ ${delivery.subscription.url || `${delivery.subscription.id} (deleted)`}` }),
        attempts.length || next ? el("ul", { class: "attempts" }, ...attempts, next ? el("li", { text: next }) : null) : null);
    }, "No deliveries: subscribe with POST /api/v1/webhooks.");
  }

  const mails = new Map();

  function renderOutbox(outbox) {
    for (const mail of outbox) mails.set(mail.id, mail);
    renderList("outbox", outbox, (mail) => mail.id, (mail) =>
      el("li", { "data-testid": `mail-${mail.id}` },
        el("div", { class: "line" },
          el("span", { class: "grow", text: mail.subject }),
          el("button", { type: "button", "data-mail": mail.id, "data-testid": "mail-open", text: "Open" })),
        el("div", { class: "sub", text: `to ${mail.recipient} · ${mail.template.replace("_", " ")} · ${simTime(mail.sent_at)}` })),
    "The outbox is empty.");
  }

  $("outbox").addEventListener("click", (event) => {
    const mail = mails.get(event.target.dataset && event.target.dataset.mail);
    if (!mail) return;
    $("mail-subject").textContent = mail.subject;
    $("mail-meta").textContent = `to ${mail.recipient} · ${mail.template} · sent ${simTime(mail.sent_at)} (simulated) · ${mail.id}`;
    $("mail-text").textContent = mail.text;
    $("mail-links").replaceChildren(...(mail.links.length ? mail.links.map((link) => el("li", null, el("code", { text: link })))
      : [el("li", { text: "none" })]));
    const tokens = Object.entries(mail.tokens);
    $("mail-tokens").replaceChildren(...(tokens.length
      ? tokens.flatMap(([name, value]) => [el("dt", { text: name }), el("dd", null, el("code", { text: value, "data-token": name }))])
      : [el("dt", { text: "none" })]));
    $("mail").showModal();
  });
  $("mail-close").addEventListener("click", () => $("mail").close());

  // -- knobs: each one call to /_sim; the API validates and its errors are shown by field ------------
  let config = null;

  async function loadConfig() {
    config = await api("GET", "/_sim/config");
    fillGroupChoices();
    fillGroupForm();
    fillDomainForm();
  }

  /** A typed value: a number when it reads as one, else the text as typed (the API says why not). */
  function typed(text) {
    const trimmed = text.trim();
    if (trimmed === "") return null;
    return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
  }

  function nest(path, value) {
    return path.reduceRight((inner, key) => ({ [key]: inner }), value);
  }

  function field(name, label, value, placeholder, errorKey, testid) {
    return [
      el("label", { for: `knob-${name}`, text: label }),
      el("input", { id: `knob-${name}`, name, value: value ?? "", placeholder, inputmode: "decimal", "data-testid": testid || `knob-${name}` }),
      el("p", { class: "field-error", "data-error-for": errorKey, "data-testid": `error-${name}` }),
    ];
  }

  function fillGroupChoices() {
    const select = $("knob-group");
    const current = select.value || "default";
    select.replaceChildren(el("option", { value: "default", text: "default (every group)" }),
      ...Object.entries(config.groups).map(([group, paths]) => el("option", { value: group, text: group, title: paths })));
    select.value = current;
  }

  function scopePath() {
    const group = $("knob-group").value;
    return group === "default" ? ["default"] : ["groups", group];
  }

  function fillGroupForm() {
    const group = $("knob-group").value;
    const own = group === "default" ? config.latency.default : config.latency.groups[group];
    const kinds = group === "default" ? Object.keys(PROFILE_FIELDS) : ["inherit", ...Object.keys(PROFILE_FIELDS)];
    const profile = $("knob-profile");
    profile.replaceChildren(...kinds.map((kind) => el("option", {
      value: kind, text: kind === "inherit" ? `as the default (${config.latency.default.profile})` : kind,
    })));
    profile.value = own ? own.profile : "inherit";
    fillProfileFields(own || {});
    const faults = group === "default" ? config.faults.default : config.faults.groups[group] || {};
    const defaults = config.faults.default;
    $("fault-params").replaceChildren(...FAULT_FIELDS.flatMap(([name, label]) => {
      const hint = group === "default" ? null : `${defaults[name]}`;
      if (name !== "error_status") return field(name, label, faults[name], hint, `faults.${name}`);
      const select = el("select", { id: "knob-error_status", name, "data-testid": "knob-error_status" },
        group === "default" ? null : el("option", { value: "", text: `as the default (${defaults.error_status})` }),
        ...ERROR_STATUSES.map((status) => el("option", { value: status, text: status })));
      select.value = faults.error_status ?? "";
      return [el("label", { for: "knob-error_status", text: label }), select,
        el("p", { class: "field-error", "data-error-for": "faults.error_status" })];
    }));
    $("inherit-group").disabled = group === "default";
    clearErrors($("group-form"));
  }

  function fillProfileFields(values) {
    const kind = $("knob-profile").value;
    const names = kind === "inherit" || kind === "none" ? [] : [...PROFILE_FIELDS[kind], "cap_ms"];
    $("profile-params").replaceChildren(...names.flatMap((name) =>
      field(name, name === "cap_ms" ? "cap_ms (optional)" : name, values[name], null, `latency.${name}`, `profile-${name}`)));
  }

  $("knob-group").addEventListener("change", fillGroupForm);
  $("knob-profile").addEventListener("change", () => fillProfileFields({}));

  function clearErrors(form) {
    for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
    for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  }

  /** Put each of the API's errors (dotted config paths) beside its field; returns those left over. */
  function showFieldErrors(form, errors, sections) {
    const leftover = [];
    for (const [path, message] of Object.entries(errors || {})) {
      const section = sections.find(([prefix]) => path === prefix || path.startsWith(`${prefix}.`));
      const rest = section && path.slice(section[0].length + 1);
      const key = section && (rest ? `${section[1]}.${rest}` : section[1]);
      const slot = key && (form.querySelector(`[data-error-for="${CSS.escape(key)}"]`)
        || form.querySelector(`[data-error-for="${CSS.escape(section[1])}"]`));
      if (!slot) {
        leftover.push(`${path}: ${message}`);
        continue;
      }
      slot.textContent = slot.textContent ? `${slot.textContent}; ${message}` : message;
      const input = slot.previousElementSibling;
      if (input && (input.tagName === "INPUT" || input.tagName === "SELECT")) input.setAttribute("aria-invalid", "true");
    }
    return leftover;
  }

  function showResult(node, ok, text) {
    node.classList.toggle("ok", ok);
    node.classList.toggle("failed", !ok);
    node.textContent = text;
  }

  async function patchConfig(form, result, patch, sections, done) {
    clearErrors(form);
    try {
      config = await api("PATCH", "/_sim/config", patch);
    } catch (error) {
      if (error.status === 401) return askForToken(true);
      const leftover = showFieldErrors(form, error.problem.errors, sections);
      return showResult(result, false, `${error.message}${leftover.length ? ` ${leftover.join("; ")}` : ""}`);
    }
    fillGroupForm();
    fillDomainForm();
    showResult(result, true, done);
    tick();
  }

  $("group-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const path = scopePath();
    const kind = $("knob-profile").value;
    let latency = null;
    if (kind !== "inherit") {
      latency = { profile: kind };
      for (const input of $("profile-params").querySelectorAll("input")) {
        const value = typed(input.value);
        if (value !== null) latency[input.name] = value;
      }
    }
    const faults = {};
    for (const [name] of FAULT_FIELDS) {
      const input = $(`knob-${name}`);
      faults[name] = name === "error_status" && input.value ? Number(input.value) : typed(input.value);
    }
    const scope = path.join(".");
    patchConfig($("group-form"), $("group-result"), { latency: nest(path, latency), faults: nest(path, faults) },
      [[`latency.${scope}`, "latency"], [`faults.${scope}`, "faults"]], `Applied to ${$("knob-group").value}.`);
  });

  $("inherit-group").addEventListener("click", () => {
    const path = scopePath();
    patchConfig($("group-form"), $("group-result"), { latency: nest(path, null), faults: nest(path, null) },
      [], `${$("knob-group").value} follows the defaults again.`);
  });

  function fillDomainForm() {
    $("domain-params").replaceChildren(...Object.entries(config.faults.domain).flatMap(([kind, rate]) =>
      field(`domain-${kind}`, DOMAIN_LABELS[kind] || kind, rate, null, `domain.${kind}`, `domain-${kind}`)));
  }

  $("domain-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const domain = {};
    for (const kind of Object.keys(config.faults.domain)) domain[kind] = typed($(`knob-domain-${kind}`).value);
    patchConfig($("domain-form"), $("domain-result"), { faults: { domain } }, [["faults.domain", "domain"]], "Domain fault rates applied.");
  });

  async function control(result, call, describe) {
    try {
      const answer = await call();
      showResult(result, true, describe(answer));
    } catch (error) {
      if (error.status === 401) return askForToken(true);
      const fields = Object.entries(error.problem.errors || {}).map(([name, message]) => `${name}: ${message}`);
      showResult(result, false, [error.message, ...fields].join(" "));
      return;
    }
    tick();
  }

  for (const button of document.querySelectorAll("[data-clock]")) {
    button.addEventListener("click", () => control($("clock-result"),
      () => api("POST", "/_sim/clock", { action: button.dataset.clock }),
      (clock) => `Clock ${clock.frozen ? "frozen" : "running"} at ${simTime(clock.now)}.`));
  }
  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", () => control($("clock-result"),
      () => api("POST", "/_sim/clock", { action: "advance", seconds: Number(button.dataset.advance) }),
      (clock) => `Advanced ${button.textContent.replace("+", "")}: now ${simTime(clock.now)}.`));
  }

  $("churn-form").addEventListener("submit", (event) => {
    event.preventDefault();
    control($("churn-result"), () => api("POST", "/_sim/churn/run", { changes: typed($("churn-count").value) }),
      (answer) => `Applied: ${Object.entries(answer.applied).filter(([, count]) => count).map(([kind, count]) => `${count} ${kind}`).join(", ") || "nothing"}.`);
  });

  $("clear-stats").addEventListener("click", () => control($("reset-result"), async () => {
    await api("DELETE", "/_sim/stats");
    resetTraffic();
  }, () => "Stats cleared: counting afresh."));

  function confirmingReset(asking) {
    $("reset").hidden = asking;
    $("reset-confirm").hidden = !asking;
    $("reset-cancel").hidden = !asking;
  }

  $("reset").addEventListener("click", () => confirmingReset(true));
  $("reset-cancel").addEventListener("click", () => confirmingReset(false));
  $("reset-confirm").addEventListener("click", () => {
    confirmingReset(false);
    control($("reset-result"), async () => {
      const answer = await api("POST", "/_sim/reset", {});
      resetTraffic();
      await loadConfig();
      return answer;
    }, (answer) => `Reset: seed ${answer.seed}, ${answer.products} products.`);
  });

  openConsole();
})();
