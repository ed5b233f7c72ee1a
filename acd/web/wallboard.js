/* acd-dialer wallboard.
 *
 * Reads the access token from the URL fragment (#token=...), opens the daemon's WebSocket
 * (v1/events, relative to this page) and renders each `snapshot` message in place. `agent`
 * messages update one agent between snapshots; times in state tick locally. If the socket
 * closes, a banner says so and we reconnect with exponential back-off and jitter.
 *
 * Stable hooks for tests and for anyone scraping the page:
 *   body[data-status]          starting | no-token | connecting | connected | disconnected
 *   body[data-snapshot-time]   the `time` of the snapshot shown
 *   [data-queue=NAME]          one tile per queue, [data-sl] and [data-sl-interval] its colours;
 *                              [data-field=...] hold the figures (see createQueueTile)
 *   li[data-agent=ID]          one tile per agent; [data-field=state|state_time|pause_reason|
 *                              work|calls_today|aht|occupancy]
 *   [data-campaign=NAME]       one tile per campaign; #campaigns-section is hidden when empty
 *   [data-state-count=STATE]   header counts by agent state
 * All text is set with textContent: names from the config are never parsed as HTML.
 */
(function () {
  "use strict";

  var L = window.acdLive; // live.js: shared figures, DOM helpers and the socket
  var DASH = L.DASH, EPS = L.EPS, isNum = L.isNum, pad2 = L.pad2, duration = L.duration;
  var $ = L.$, setText = L.setText, percentValue = L.percentValue, percent = L.percent;
  var count = L.count, el = L.el, field = L.field, setStatusClass = L.setStatusClass;
  var sync = L.sync;
  var createQueueTile = window.acdTiles.queue; // tiles.js: each tile's markup
  var createAgentTile = window.acdTiles.agent;
  var createCampaignTile = window.acdTiles.campaign;
  // Agent states and their labels come with each snapshot (agent_state_labels, in the order
  // shown), so the page knows every state the daemon has.
  var STATE_LABELS = {};
  var SL_AMBER_POINTS = 5; // amber within 5 points below target, red further below
  var CAMPAIGN_ABANDON_RED = 3.0; // percent, the regulatory ceiling
  var CAMPAIGN_ABANDON_AMBER = 2.5;

  // ---- formatting ------------------------------------------------------------------------
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

  // ---- rendering -------------------------------------------------------------------------
  var ticking = []; // {node, seconds, at, down} for figures that move between snapshots
  var agentTicks = {}; // agent id -> {seconds, at}
  var lastAgents = {}; // agent id -> the agent as the last snapshot gave it
  // States in which an agent works on a queue's call or for a campaign.
  var WORKING = { ringing: 1, on_call: 1, wrap_up: 1, reserved: 1, dialing: 1 };

  /** "2026-03-02T09:00:00-05:00" and 15 -> "09:00–09:15" (the center's own clock). */
  function intervalLabel(iv) {
    if (!iv || typeof iv.local !== "string" || !isNum(iv.minutes)) return "";
    var m = /T(\d\d):(\d\d)/.exec(iv.local);
    if (!m) return "";
    var start = Number(m[1]) * 60 + Number(m[2]);
    var end = (start + iv.minutes) % 1440;
    return m[1] + ":" + m[2] + DASH + pad2(Math.floor(end / 60)) + ":" + pad2(end % 60);
  }

  function setCount(root, name, n) {
    setText(field(root, name), count(n));
    var part = field(root, name + "_part");
    if (part) part.hidden = !(n > 0);
  }

  function updateQueueTile(tile, q, at) {
    var agents = q.agents || {};
    var last = q.last_interval || {};
    var why = q.why_waiting || {};
    setText(field(tile, "name"), String(q.name));
    setText(field(tile, "service_level_target"), percent(q.service_level_target, 0));
    var threshold = q.service_level_threshold_seconds;
    setText(field(tile, "service_level_threshold"), isNum(threshold) ? threshold + " s" : DASH);

    var waiting = field(tile, "waiting");
    setText(waiting, count(q.waiting));
    setStatusClass(waiting.parentNode, "level-", q.waiting > 0 ? "active" : "idle");
    var longest = field(tile, "longest_wait");
    setText(longest, duration(q.longest_wait_seconds));
    var over = q.waiting > 0 && isNum(threshold) && q.longest_wait_seconds > threshold;
    setStatusClass(longest.parentNode, "level-", over ? "over" : q.waiting > 0 ? "normal" : "idle");
    if (q.waiting > 0 && isNum(q.longest_wait_seconds)) {
      ticking.push({ node: longest, seconds: q.longest_wait_seconds, at: at });
    }

    setText(field(tile, "ewt_seconds"), duration(q.ewt_seconds));

    var status = slStatus(q.service_level, q.service_level_target);
    setStatusClass(tile, "sl-", status);
    tile.setAttribute("data-sl", status);
    setText(field(tile, "service_level"), percent(q.service_level, 0));
    var ivStatus = slStatus(last.service_level, q.service_level_target);
    var iv = field(tile, "interval_service_level");
    setStatusClass(iv.parentNode, "sl-", ivStatus);
    tile.setAttribute("data-sl-interval", ivStatus);
    setText(iv, percent(last.service_level, 0));
    setText(field(tile, "interval_offered"), count(last.offered));

    setText(field(tile, "offered"), count(q.offered));
    setText(field(tile, "answered"), count(q.answered));
    setText(field(tile, "abandon_rate"), percent(q.abandon_rate, 1));
    setText(field(tile, "asa_seconds"), duration(q.asa_seconds));
    setText(field(tile, "aht_seconds"), duration(q.aht_seconds));
    setText(field(tile, "agents_logged_in"), count(agents.logged_in));
    setText(field(tile, "agents_ready"), count(agents.ready));

    // Why callers wait: nothing to say, busy agents, or ready agents the calls cannot go to.
    var explain = q.waiting > 0 && (why.ready_not_eligible > 0 || why.missed_offer > 0);
    var whyNode = field(tile, "why");
    setStatusClass(whyNode, "why-", q.waiting > 0 ? (explain ? "alert" : "busy") : "idle");
    var text = "No caller waiting";
    if (q.waiting > 0) text = explain ? "" : "Callers wait: every eligible agent is busy";
    setText(field(tile, "why_text"), text);
    tile.querySelector(".why-detail").hidden = !explain;
    setText(field(tile, "ready_not_eligible"), count(why.ready_not_eligible));
    setCount(tile, "awaiting_escalation", why.awaiting_escalation);
    setCount(tile, "below_level", why.below_level);
    setCount(tile, "missing_skill", why.missing_skill);
    setCount(tile, "missed_offer", why.missed_offer);
    var next = field(tile, "next_escalation");
    setText(next, duration(why.next_escalation_seconds));
    tile.querySelector(".why-next").hidden = !isNum(why.next_escalation_seconds);
    if (explain && isNum(why.next_escalation_seconds)) {
      ticking.push({ node: next, seconds: why.next_escalation_seconds, at: at, down: true });
    }
    tile.title =
      "Offered " + count(q.offered) + ", answered " + count(q.answered) +
      ", abandoned " + count(q.abandoned) + "; last interval: offered " + count(last.offered) +
      ", answered " + count(last.answered) + ", ASA " + duration(last.asa_seconds);
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
    var working = WORKING[state] === 1;
    var work = field(li, "work");
    var campaign = working && a.campaign ? String(a.campaign) : "";
    setText(work, campaign || (working && a.queue ? String(a.queue) : ""));
    setStatusClass(work, "work-", campaign ? "campaign" : "queue");
    setText(field(li, "calls_today"), count(a.calls_today));
    setText(field(li, "aht"), duration(a.aht_seconds));
    setText(field(li, "occupancy"), percent(a.occupancy, 0));
    var time = field(li, "state_time");
    setText(time, duration(a.state_seconds));
    if (isNum(a.state_seconds)) agentTicks[a.id] = { seconds: a.state_seconds, at: at };
    else delete agentTicks[a.id];
  }

  function updateCampaignTile(tile, c) {
    setText(field(tile, "name"), String(c.name));
    setText(field(tile, "mode"), c.mode ? String(c.mode) : DASH);
    field(tile, "paused").hidden = c.paused !== true;
    tile.classList.toggle("is-paused", c.paused === true);
    setText(field(tile, "dialed"), count(c.dialed));
    setText(field(tile, "hit_rate"), percent(c.hit_rate, 0));
    setText(field(tile, "connects_per_hour"), isNum(c.connects_per_hour) ? c.connects_per_hour.toFixed(1) : DASH);
    setText(field(tile, "leads_left"), count(c.leads_left));
    ["abandonment_24h", "abandonment_30d"].forEach(function (name) {
      var node = field(tile, name);
      setText(node, percent(c[name], 1));
      var status = abandonStatus(c[name]);
      setStatusClass(node.parentNode, "ab-", status);
      if (name === "abandonment_24h") tile.setAttribute("data-abandonment", status);
    });
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
    document.body.setAttribute("data-snapshot-time", String(snap.time));
    var iv = intervalLabel(snap.interval);
    setText($("#interval"), iv ? "last interval " + iv : "");

    var queues = Array.isArray(snap.queues) ? snap.queues : [];
    sync($("#queues"), queues, "data-queue", function (q) { return q.name; },
      createQueueTile, function (tile, q) { updateQueueTile(tile, q, at); });
    $("#queues-empty").hidden = queues.length > 0;

    var agents = Array.isArray(snap.agents) ? snap.agents : [];
    agentTicks = {};
    lastAgents = {};
    agents.forEach(function (a) { lastAgents[a.id] = a; });
    sync($("#agents"), agentOrder(agents), "data-agent", function (a) { return a.id; },
      createAgentTile, function (li, a) { updateAgentTile(li, a, at); });
    $("#agents-empty").hidden = agents.length > 0;
    var loggedIn = agents.filter(function (a) { return a.state !== "logged_out"; }).length;
    setText($("#agents-count"), agents.length ? loggedIn + " of " + agents.length + " logged in" : "");
    // Many agents: smaller tiles, so the whole roster stays on the screen.
    var board = $("#board");
    board.classList.toggle("many-agents", loggedIn > 30);
    board.classList.toggle("crowd", loggedIn > 60);

    var states = snap.agent_states || {};
    renderStateCounts(states);

    var campaigns = Array.isArray(snap.campaigns) ? snap.campaigns : [];
    sync($("#campaigns"), campaigns, "data-campaign", function (c) { return c.name; },
      createCampaignTile, updateCampaignTile);
    $("#campaigns-section").hidden = campaigns.length === 0;
    document.body.classList.toggle("with-campaigns", campaigns.length > 0);
  }

  /** An agent message between snapshots: its state now, its figures as the last snapshot had
   * them (what it works on is only shown in the states that have work). */
  function updateAgent(a) {
    var li = document.querySelector('#agents [data-agent="' + cssEscape(String(a.id)) + '"]');
    if (!li) return;
    var merged = Object.assign({}, lastAgents[a.id] || {}, a);
    lastAgents[a.id] = merged;
    updateAgentTile(li, merged, performance.now());
  }

  function cssEscape(s) {
    return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&");
  }

  // ---- local clock -----------------------------------------------------------------------
  function tick() {
    var d = new Date();
    setText($("#clock"), L.clock(d));
    var now = performance.now();
    link.watch(now);
    if (link.status !== "connected") return; // figures freeze while we cannot see the daemon
    ticking.forEach(function (t) {
      var moved = (now - t.at) / 1000;
      setText(t.node, duration(t.down ? Math.max(0, t.seconds - moved) : t.seconds + moved));
    });
    Object.keys(agentTicks).forEach(function (id) {
      var t = agentTicks[id];
      var li = document.querySelector('#agents [data-agent="' + cssEscape(id) + '"]');
      if (li) setText(field(li, "state_time"), duration(t.seconds + (now - t.at) / 1000));
    });
  }

  // ---- connection ------------------------------------------------------------------------
  var COOKIE = "(session cookie)";
  var conn = { token: null, lastSnapshot: null, lastSnapshotClock: "" };
  var link = new L.Link({
    url: function () {
      return conn.token ? eventsUrl(conn.token) : null;
    },
    onMessage: onMessage,
    onStatus: showStatus,
    onRetry: updateBanner,
  });

  function tokenFromFragment() {
    var hash = window.location.hash.replace(/^#/, "");
    if (!hash) return null;
    var params = new URLSearchParams(hash);
    var t = params.get("token") || params.get("access_token");
    return t ? t.trim() || null : null;
  }

  function eventsUrl(token) {
    // A signed-in supervisor's session cookie rides along with the handshake.
    var auth = token === COOKIE ? "" : "access_token=" + encodeURIComponent(token) + "&";
    return L.socketUrl("v1/events", "?" + auth + "types=snapshot,agent,call");
  }

  function setStatus(status) {
    link.status = status;
    showStatus(status);
  }

  function showStatus(status) {
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
    if (link.status !== "disconnected") return;
    var secs = link.secondsToRetry();
    var parts = [];
    if (!link.everConnected) parts.push("Cannot reach the daemon: check the token and that it is running.");
    else if (conn.lastSnapshot) parts.push("Figures below are frozen since " + conn.lastSnapshotClock + ".");
    parts.push(secs > 0 ? "Reconnecting in " + secs + " s" : "Reconnecting…");
    setText($("#banner-text"), parts.join(" "));
  }

  function onMessage(msg) {
    if (msg.type === "snapshot") {
      conn.lastSnapshot = msg;
      conn.lastSnapshotClock = L.clock(new Date());
      render(msg);
      link.live();
    } else if (msg.type === "agent" && msg.agent && conn.lastSnapshot) {
      updateAgent(msg.agent);
    }
  }

  function start() {
    link.stop("token changed");
    conn.token = tokenFromFragment();
    if (!conn.token) {
      // Signed in (the supervisor's console)? The session cookie stands for the token.
      fetch("v1/session", { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (who) {
        if (who && (who.role === "supervisor" || who.role === "admin")) {
          conn.token = COOKIE;
          setStatus("connecting");
          link.connect();
        } else {
          setStatus("no-token");
        }
      }, function () { setStatus("no-token"); });
      return;
    }
    setStatus("connecting");
    link.connect();
  }

  window.addEventListener("hashchange", start);
  window.addEventListener("acd-signed-in", start);
  setInterval(function () {
    tick();
    updateBanner();
  }, 250);
  start();
  tick();

  // Pure helpers, for the curious in a console.
  window.wallboard = { duration: duration, percent: percent, slStatus: slStatus, abandonStatus: abandonStatus };
})();
