/* acd-dialer wallboard.
 *
 * Reads the access token from the URL fragment (#token=...), opens the daemon's WebSocket
 * (v1/events, relative to this page) and renders each `snapshot` message in place. `agent`
 * messages update one agent between snapshots; times in state tick locally. If the socket
 * closes, a banner says so and we reconnect with exponential back-off and jitter.
 *
 * Stable hooks for tests and for anyone scraping the page:
 *   body[data-status]          starting | no-token | connecting | connected | disconnected
 *   tr[data-queue=NAME]        one row per queue; td/span[data-field=...] hold the figures
 *   li[data-agent=ID]          one tile per agent; [data-field=state|state_time|pause_reason]
 *   tr[data-campaign=NAME]     one row per campaign; #campaigns-section is hidden when empty
 *   [data-state-count=STATE]   header counts by agent state
 * All text is set with textContent: names from the config are never parsed as HTML.
 */
(function () {
  "use strict";

  var DASH = "\u2013";
  // Agent states and their labels come with each snapshot (agent_state_labels, in the order
  // shown), so the page knows every state the daemon has.
  var STATE_LABELS = {};
  var BACKOFF_FIRST_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var STALL_MS = 10000; // snapshots come once a second; silence this long means a dead link
  var SL_AMBER_POINTS = 5; // amber within 5 points below target, red further below
  var CAMPAIGN_ABANDON_RED = 3.0; // percent, the regulatory ceiling
  var CAMPAIGN_ABANDON_AMBER = 2.5;
  var EPS = 1e-9;

  // ---- formatting ------------------------------------------------------------------------
  function isNum(x) {
    return typeof x === "number" && isFinite(x);
  }

  function pad2(n) {
    return n < 10 ? "0" + n : String(n);
  }

  /** 73 -> "01:13"; 3725 -> "1:02:05"; null -> "–". */
  function duration(seconds) {
    if (!isNum(seconds)) return DASH;
    var s = Math.max(0, Math.floor(seconds + EPS));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var rest = s % 60;
    return h > 0 ? h + ":" + pad2(m) + ":" + pad2(rest) : pad2(m) + ":" + pad2(rest);
  }

  /** Truncated (not rounded) percent, so the figure shown never crosses a threshold the
   * colour has not crossed: 0.7996 shows "79%" and is below an 80% target. */
  function percentValue(ratio, decimals) {
    var f = Math.pow(10, decimals);
    return Math.floor(ratio * 100 * f + EPS) / f;
  }

  function percent(ratio, decimals) {
    if (!isNum(ratio)) return DASH;
    return percentValue(ratio, decimals).toFixed(decimals) + "%";
  }

  function count(n) {
    return isNum(n) ? String(Math.round(n)) : DASH;
  }

  /** Service level against target: "ok" at or above, "warn" within 5 points below, else "bad". */
  function slStatus(sl, target) {
    if (!isNum(sl) || !isNum(target)) return "none";
    var gap = target * 100 - sl * 100; // points below target
    if (gap <= EPS) return "ok";
    if (gap <= SL_AMBER_POINTS + EPS) return "warn";
    return "bad";
  }

  function abandonStatus(ratio) {
    if (!isNum(ratio)) return "none";
    var p = percentValue(ratio, 1);
    if (p >= CAMPAIGN_ABANDON_RED - EPS) return "bad";
    if (p > CAMPAIGN_ABANDON_AMBER + EPS) return "warn";
    return "ok";
  }

  // ---- DOM helpers -----------------------------------------------------------------------
  function $(sel) {
    return document.querySelector(sel);
  }

  function el(tag, cls, field) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (field) e.setAttribute("data-field", field);
    return e;
  }

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  function field(root, name) {
    return root.querySelector('[data-field="' + name + '"]');
  }

  function setStatusClass(node, prefix, status) {
    var keep = node.className
      .split(" ")
      .filter(function (c) {
        return c && c.indexOf(prefix) !== 0;
      });
    keep.push(prefix + status);
    var next = keep.join(" ");
    if (node.className !== next) node.className = next;
  }

  /** Keep container's children keyed and ordered like items, creating and removing as needed. */
  function sync(container, items, keyAttr, keyOf, create, update) {
    var existing = new Map(); // a Map, so no queue name can collide with Object's own keys
    Array.prototype.forEach.call(container.children, function (child) {
      existing.set(child.getAttribute(keyAttr), child);
    });
    items.forEach(function (item, i) {
      var key = String(keyOf(item));
      var node = existing.get(key);
      if (node) {
        existing.delete(key);
      } else {
        node = create(item);
        node.setAttribute(keyAttr, key);
      }
      update(node, item);
      if (container.children[i] !== node) container.insertBefore(node, container.children[i] || null);
    });
    existing.forEach(function (node) {
      container.removeChild(node);
    });
  }

  // ---- rendering -------------------------------------------------------------------------
  var ticking = []; // {node, seconds, at} for figures that advance between snapshots
  var agentTicks = {}; // agent id -> {seconds, at}

  function createQueueRow() {
    var tr = el("tr", "queue");
    tr.appendChild(el("th", "name", "name")).setAttribute("scope", "row");
    tr.appendChild(el("td", "num waiting", "waiting"));
    tr.appendChild(el("td", "num longest", "longest_wait"));
    var sl = el("td", "num sl");
    sl.appendChild(el("span", "big", "service_level"));
    var target = el("span", "target");
    target.appendChild(document.createTextNode("target "));
    target.appendChild(el("span", "", "service_level_target"));
    sl.appendChild(target);
    tr.appendChild(sl);
    tr.appendChild(el("td", "num abandon", "abandon_rate"));
    var agents = el("td", "num staff");
    agents.appendChild(el("span", "", "agents_logged_in"));
    agents.appendChild(el("span", "sep")).textContent = " / ";
    agents.appendChild(el("span", "ready", "agents_ready"));
    tr.appendChild(agents);
    return tr;
  }

  function updateQueueRow(tr, q, at) {
    var agents = q.agents || {};
    setText(field(tr, "name"), String(q.name));
    var waiting = field(tr, "waiting");
    setText(waiting, count(q.waiting));
    setStatusClass(waiting, "level-", q.waiting > 0 ? "active" : "idle");
    var longest = field(tr, "longest_wait");
    setText(longest, duration(q.longest_wait_seconds));
    var threshold = q.service_level_threshold_seconds;
    var over = q.waiting > 0 && isNum(threshold) && q.longest_wait_seconds > threshold;
    setStatusClass(longest, "level-", over ? "over" : q.waiting > 0 ? "normal" : "idle");
    if (q.waiting > 0 && isNum(q.longest_wait_seconds)) {
      ticking.push({ node: longest, seconds: q.longest_wait_seconds, at: at });
    }
    var status = slStatus(q.service_level, q.service_level_target);
    setStatusClass(tr.querySelector("td.sl"), "sl-", status);
    tr.setAttribute("data-sl", status);
    setText(field(tr, "service_level"), percent(q.service_level, 0));
    setText(field(tr, "service_level_target"), percent(q.service_level_target, 0));
    setText(field(tr, "abandon_rate"), percent(q.abandon_rate, 1));
    setText(field(tr, "agents_logged_in"), count(agents.logged_in));
    setText(field(tr, "agents_ready"), count(agents.ready));
    tr.title =
      "Offered " + count(q.offered) + ", answered " + count(q.answered) +
      ", abandoned " + count(q.abandoned) + ", ASA " + duration(q.asa_seconds) +
      ", SL threshold " + (isNum(threshold) ? threshold + " s" : DASH);
  }

  function createAgentTile() {
    var li = el("li", "agent");
    var head = el("div", "agent-row");
    head.appendChild(el("span", "agent-name", "name"));
    head.appendChild(el("span", "agent-reason", "pause_reason"));
    li.appendChild(head);
    var foot = el("div", "agent-row");
    foot.appendChild(el("span", "agent-state", "state"));
    foot.appendChild(el("span", "agent-time", "state_time"));
    li.appendChild(foot);
    return li;
  }

  /** The header's counts: one item per state the daemon reports, logged-out agents aside. */
  function renderStateCounts(states) {
    var shown = Object.keys(STATE_LABELS).filter(function (s) { return s !== "logged_out"; });
    sync($("#agent-states"), shown, "data-state-item", function (s) { return s; },
      function (s) {
        var li = el("li", "state-" + s);
        var n = el("span", "n");
        n.setAttribute("data-state-count", s);
        li.appendChild(n);
        li.appendChild(document.createTextNode(" " + STATE_LABELS[s]));
        return li;
      },
      function (li, s) { setText(li.querySelector(".n"), count(states[s])); });
  }

  function updateAgentTile(li, a, at) {
    var state = String(a.state);
    setStatusClass(li, "state-", state);
    li.setAttribute("data-state", state);
    setText(field(li, "name"), String(a.name || a.id));
    setText(field(li, "state"), STATE_LABELS[state] || state);
    setText(field(li, "pause_reason"), state === "paused" && a.pause_reason ? String(a.pause_reason) : "");
    var time = field(li, "state_time");
    setText(time, duration(a.state_seconds));
    if (isNum(a.state_seconds)) agentTicks[a.id] = { seconds: a.state_seconds, at: at };
    else delete agentTicks[a.id];
  }

  function createCampaignRow() {
    var tr = el("tr", "campaign");
    tr.appendChild(el("th", "name", "name")).setAttribute("scope", "row");
    tr.appendChild(el("td", "mode", "mode"));
    tr.appendChild(el("td", "num abandon24", "abandonment_24h"));
    tr.appendChild(el("td", "num", "connects_per_hour"));
    return tr;
  }

  function updateCampaignRow(tr, c) {
    setText(field(tr, "name"), String(c.name));
    setText(field(tr, "mode"), c.mode ? String(c.mode) : DASH);
    var ab = field(tr, "abandonment_24h");
    setText(ab, percent(c.abandonment_24h, 1));
    var status = abandonStatus(c.abandonment_24h);
    setStatusClass(ab, "ab-", status);
    tr.setAttribute("data-abandonment", status);
    setText(field(tr, "connects_per_hour"), count(c.connects_per_hour));
  }

  /** Agents in the snapshot's order, those logged out last. */
  function agentOrder(agents) {
    var on = [];
    var off = [];
    agents.forEach(function (a) {
      (a.state === "logged_out" ? off : on).push(a);
    });
    return on.concat(off);
  }

  function render(snap) {
    var at = performance.now();
    ticking = [];
    if (snap.agent_state_labels && typeof snap.agent_state_labels === "object") {
      STATE_LABELS = snap.agent_state_labels;
    }
    setText($("#center"), snap.center ? String(snap.center) : "acd-dialer");
    document.title = (snap.center ? snap.center + " · " : "") + "Wallboard";

    var queues = Array.isArray(snap.queues) ? snap.queues : [];
    sync($("#queues tbody"), queues, "data-queue", function (q) { return q.name; },
      createQueueRow, function (tr, q) { updateQueueRow(tr, q, at); });
    $("#queues-empty").hidden = queues.length > 0;

    var agents = Array.isArray(snap.agents) ? snap.agents : [];
    agentTicks = {};
    sync($("#agents"), agentOrder(agents), "data-agent", function (a) { return a.id; },
      createAgentTile, function (li, a) { updateAgentTile(li, a, at); });
    $("#agents-empty").hidden = agents.length > 0;
    var loggedIn = agents.filter(function (a) { return a.state !== "logged_out"; }).length;
    setText($("#agents-count"), agents.length ? loggedIn + " of " + agents.length + " logged in" : "");

    var states = snap.agent_states || {};
    renderStateCounts(states);

    var campaigns = Array.isArray(snap.campaigns) ? snap.campaigns : [];
    sync($("#campaigns tbody"), campaigns, "data-campaign", function (c) { return c.name; },
      createCampaignRow, updateCampaignRow);
    $("#campaigns-section").hidden = campaigns.length === 0;
    document.body.classList.toggle("with-campaigns", campaigns.length > 0);
  }

  function updateAgent(a) {
    var li = document.querySelector('#agents [data-agent="' + cssEscape(String(a.id)) + '"]');
    if (li) updateAgentTile(li, a, performance.now());
  }

  function cssEscape(s) {
    return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&");
  }

  // ---- local clock -----------------------------------------------------------------------
  function tick() {
    var d = new Date();
    setText($("#clock"), pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds()));
    var now = performance.now();
    if (conn.ws && now - conn.lastMessage > STALL_MS) {
      conn.ws.close(4000, "no data"); // a half-open link or a hung handshake: start over
    }
    if (conn.status !== "connected") return; // figures freeze while we cannot see the daemon
    ticking.forEach(function (t) {
      setText(t.node, duration(t.seconds + (now - t.at) / 1000));
    });
    Object.keys(agentTicks).forEach(function (id) {
      var t = agentTicks[id];
      var li = document.querySelector('#agents [data-agent="' + cssEscape(id) + '"]');
      if (li) setText(field(li, "state_time"), duration(t.seconds + (now - t.at) / 1000));
    });
  }

  // ---- connection ------------------------------------------------------------------------
  var conn = {
    token: null,
    ws: null,
    status: "starting",
    attempts: 0,
    everConnected: false,
    retryAt: 0,
    retryTimer: null,
    lastMessage: 0,
    lastSnapshot: null,
    lastSnapshotClock: "",
  };

  function tokenFromFragment() {
    var hash = window.location.hash.replace(/^#/, "");
    if (!hash) return null;
    var params = new URLSearchParams(hash);
    var t = params.get("token") || params.get("access_token");
    return t ? t.trim() || null : null;
  }

  function eventsUrl(token) {
    var url = new URL("v1/events", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.hash = "";
    url.search = "?access_token=" + encodeURIComponent(token) + "&types=snapshot,agent,call";
    return url.toString();
  }

  function setStatus(status) {
    conn.status = status;
    document.body.setAttribute("data-status", status);
    var labels = {
      "no-token": "No token",
      connecting: "Connecting",
      connected: "Live",
      disconnected: "Disconnected",
    };
    setText($("#conn-text"), labels[status] || status);
    var noToken = status === "no-token";
    if (noToken) showExampleLink();
    $("#help").hidden = !noToken;
    $("#board").hidden = noToken || conn.lastSnapshot === null;
    $("#banner").hidden = status !== "disconnected";
    document.body.classList.toggle("stale", status === "disconnected");
  }

  function showExampleLink() {
    // The example is this page's own address (whatever host and port it was served from).
    var here = window.location.protocol + "//" + window.location.host + window.location.pathname;
    setText($("#help-link span"), here);
  }

  function updateBanner() {
    if (conn.status !== "disconnected") return;
    var secs = Math.max(0, Math.ceil((conn.retryAt - Date.now()) / 1000));
    var parts = [];
    if (!conn.everConnected) parts.push("Cannot reach the daemon: check the token and that it is running.");
    else if (conn.lastSnapshot) parts.push("Figures below are frozen since " + conn.lastSnapshotClock + ".");
    parts.push(secs > 0 ? "Reconnecting in " + secs + " s" : "Reconnecting…");
    setText($("#banner-text"), parts.join(" "));
  }

  function scheduleReconnect() {
    var base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * Math.pow(2, conn.attempts));
    var delay = Math.round(base * (0.75 + Math.random() * 0.5));
    conn.attempts += 1;
    conn.retryAt = Date.now() + delay;
    clearTimeout(conn.retryTimer);
    conn.retryTimer = setTimeout(connect, delay);
    updateBanner();
  }

  function onMessage(ev) {
    var msg;
    try {
      msg = JSON.parse(ev.data);
    } catch (e) {
      return; // not ours to fix; the next snapshot will do
    }
    conn.lastMessage = performance.now();
    if (msg.type === "snapshot") {
      conn.attempts = 0;
      conn.everConnected = true;
      conn.lastSnapshot = msg;
      var d = new Date();
      conn.lastSnapshotClock = pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
      render(msg);
      if (conn.status !== "connected") setStatus("connected");
    } else if (msg.type === "agent" && msg.agent && conn.lastSnapshot) {
      updateAgent(msg.agent);
    }
  }

  function connect() {
    clearTimeout(conn.retryTimer);
    if (!conn.token) return;
    if (conn.status !== "disconnected") setStatus("connecting");
    var ws;
    try {
      ws = new WebSocket(eventsUrl(conn.token));
    } catch (e) {
      setStatus("disconnected");
      scheduleReconnect();
      return;
    }
    conn.ws = ws;
    conn.lastMessage = performance.now();
    ws.onmessage = function (ev) {
      if (conn.ws === ws) onMessage(ev);
    };
    ws.onclose = function () {
      if (conn.ws !== ws) return;
      conn.ws = null;
      setStatus("disconnected");
      scheduleReconnect();
    };
  }

  function start() {
    if (conn.ws) {
      var old = conn.ws;
      conn.ws = null;
      old.close(1000, "token changed");
    }
    clearTimeout(conn.retryTimer);
    conn.token = tokenFromFragment();
    conn.attempts = 0;
    conn.everConnected = false;
    if (!conn.token) {
      setStatus("no-token");
      return;
    }
    setStatus("connecting");
    connect();
  }

  window.addEventListener("hashchange", start);
  setInterval(function () {
    tick();
    updateBanner();
  }, 250);
  start();
  tick();

  // Pure helpers, for the curious in a console.
  window.wallboard = { duration: duration, percent: percent, slStatus: slStatus, abandonStatus: abandonStatus };
})();
