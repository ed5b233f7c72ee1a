/* acd-dialer agent desktop.
 *
 * Signs a person in (POST v1/session sets an HttpOnly cookie; the page never sees or keeps a
 * token), then opens the agent's desk WebSocket (v1/agents/ID/desk, relative to this page) and
 * renders each `desk` message in place. Actions are POSTs with the cookie (fetch sends the
 * Origin header the daemon checks). If the socket closes, a banner says so and we reconnect
 * with exponential back-off (1 s doubling to 30 s, with jitter); when the session is gone
 * (401) the sign-in form comes back.
 *
 * Stable hooks for tests:
 *   body[data-view]      starting | sign-in | desk
 *   body[data-status]    starting | connecting | connected | disconnected | signed-out
 *   body[data-desk-at]   the `at` of the desk message shown
 *   #state[data-state]   the agent's state; #pause-reason, #state-time
 *   #call-card[data-call-id], [data-offered], [data-on-hold]; #call-caller, #call-queue, ...
 *   #btn-login, #btn-ready, #btn-pause, #btn-logout, #btn-sign-out, #btn-answer, #btn-hold,
 *   #btn-resume, #btn-transfer, #btn-hangup, #btn-dispo, #btn-ready-now, #btn-dial, #btn-skip
 *   #status              the last action's outcome or error (aria-live)
 * All text is set with textContent: nothing from the daemon is parsed as HTML.
 */
(function () {
  "use strict";

  var DASH = "\u2013";
  var BACKOFF_FIRST_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var STALL_MS = 10000; // desk messages come once a second; silence this long means a dead link
  var EPS = 1e-9;
  var STATE_LABELS = {
    logged_out: "Logged out",
    ready: "Ready",
    ringing: "Ringing",
    on_call: "On call",
    wrap_up: "Wrap-up",
    paused: "Paused",
    reserved: "Reserved",
    dialing: "Dialing",
  };

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

  function percent(ratio) {
    if (!isNum(ratio)) return DASH;
    return Math.floor(ratio * 100 + EPS) + "%";
  }

  function text(x) {
    return x === null || x === undefined || x === "" ? DASH : String(x);
  }

  function stateLabel(s) {
    return STATE_LABELS[s] || String(s || DASH).replace(/_/g, " ");
  }

  // ---- DOM helpers -----------------------------------------------------------------------
  function $(sel) {
    return document.querySelector(sel);
  }

  function setText(node, t) {
    if (node.textContent !== t) node.textContent = t;
  }

  function show(node, on) {
    if (node.hidden === on) node.hidden = !on;
  }

  /** Options of a <select> from a list of [value, label]; the choice survives a rebuild. */
  function setOptions(select, items) {
    var key = JSON.stringify(items);
    if (select.getAttribute("data-options") === key) return;
    var keep = select.value;
    while (select.firstChild) select.removeChild(select.firstChild);
    items.forEach(function (it) {
      var o = document.createElement("option");
      o.value = it[0];
      o.textContent = it[1];
      select.appendChild(o);
    });
    if (items.some(function (it) { return it[0] === keep; })) select.value = keep;
    select.setAttribute("data-options", key);
  }

  /** A <dl> of key/value pairs, rebuilt only when they change. */
  function setFacts(dl, pairs) {
    var key = JSON.stringify(pairs);
    if (dl.getAttribute("data-facts") === key) return;
    while (dl.firstChild) dl.removeChild(dl.firstChild);
    pairs.forEach(function (p) {
      var div = document.createElement("div");
      var dt = document.createElement("dt");
      dt.textContent = p[0];
      var dd = document.createElement("dd");
      dd.textContent = text(p[1]);
      dd.setAttribute("data-field", p[0]);
      div.appendChild(dt);
      div.appendChild(dd);
      dl.appendChild(div);
    });
    dl.setAttribute("data-facts", key);
  }

  function say(message, kind) {
    var s = $("#status");
    s.className = "status-line" + (kind ? " " + kind : "");
    s.setAttribute("data-kind", kind || "info");
    setText(s, message || "");
  }

  // ---- the session and the API -----------------------------------------------------------
  var me = null; // {id, role, agent_id}
  var view = null; // the last desk message
  var ticks = {}; // node id -> {seconds, at, down}

  function setView(v) {
    document.body.setAttribute("data-view", v);
    show($("#sign-in"), v === "sign-in");
    show($("#desk"), v === "desk");
    show($("#who"), v === "desk");
  }

  /** fetch a JSON API path relative to this page; resolves {status, body}. */
  function request(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(new URL(path, window.location.href).toString(), opts).then(function (r) {
      return r.text().then(function (t) {
        var parsed = null;
        try {
          parsed = t ? JSON.parse(t) : null;
        } catch (e) {
          parsed = null;
        }
        return { status: r.status, body: parsed };
      });
    });
  }

  function errorOf(res) {
    var e = res.body && res.body.error;
    return {
      code: (e && e.code) || "http_" + res.status,
      message: (e && e.message) || "The daemon answered " + res.status,
    };
  }

  /** An action: POST it, say what happened; a lost session brings back the sign-in form. */
  function act(label, path, body) {
    say(label + "…", "busy");
    return request("POST", path, body === undefined ? {} : body).then(
      function (res) {
        if (res.status === 401) {
          signedOut("Your session ended: sign in again.");
          return null;
        }
        if (res.status >= 400) {
          say(label + ": " + errorOf(res).message, "error");
          return null;
        }
        say(label + ": done", "ok");
        return res.body || {};
      },
      function () {
        say(label + ": cannot reach the daemon", "error");
        return null;
      }
    );
  }

  function agentPath(suffix) {
    return "v1/agents/" + encodeURIComponent(me.agent_id) + "/" + suffix;
  }

  function callPath(suffix) {
    var c = view && view.call;
    return c ? "v1/calls/" + encodeURIComponent(c.id) + "/" + suffix : null;
  }

  function signedIn(who) {
    me = who;
    if (!me.agent_id) {
      signedOut("This page is for agents: " + me.id + " has no agent.");
      return;
    }
    setText($("#agent-name"), me.id);
    setView("desk");
    conn.attempts = 0;
    conn.everConnected = false;
    connect();
  }

  function signedOut(message) {
    me = null;
    view = null;
    disconnect();
    setStatus("signed-out");
    setView("sign-in");
    setText($("#sign-in-error"), message || "");
    $("#sign-in-password").value = "";
    var id = $("#sign-in-id");
    if (document.activeElement === document.body || !document.activeElement) id.focus();
  }

  function onSignIn(ev) {
    ev.preventDefault();
    var id = $("#sign-in-id").value.trim();
    var password = $("#sign-in-password").value;
    var err = $("#sign-in-error");
    if (!id || !password) {
      setText(err, "Give your id and your password.");
      err.setAttribute("data-code", "missing");
      return;
    }
    setText(err, "");
    err.removeAttribute("data-code");
    $("#btn-sign-in").disabled = true;
    request("POST", "v1/session", { id: id, password: password })
      .then(
        function (res) {
          if (res.status === 200 && res.body) {
            err.removeAttribute("data-code");
            $("#sign-in-password").value = "";
            say("Signed in as " + res.body.id, "ok");
            signedIn({ id: res.body.id, role: res.body.role, agent_id: res.body.agent_id });
            return;
          }
          var e = errorOf(res);
          err.setAttribute("data-code", e.code);
          var msg = e.message;
          if (e.code === "locked") msg = "Locked: too many failed sign-ins. " + e.message;
          setText(err, msg);
          $("#sign-in-password").value = "";
          $("#sign-in-password").focus();
        },
        function () {
          err.setAttribute("data-code", "unreachable");
          setText(err, "Cannot reach the daemon.");
        }
      )
      .then(function () {
        $("#btn-sign-in").disabled = false;
      });
  }

  function signOut() {
    request("DELETE", "v1/session").then(
      function () {
        signedOut("Signed out.");
      },
      function () {
        signedOut("Signed out.");
      }
    );
  }

  // ---- rendering -------------------------------------------------------------------------
  var WITH_CALL = { ringing: 1, on_call: 1, reserved: 1, dialing: 1 };

  function tickFrom(id, seconds, at, down) {
    if (isNum(seconds)) ticks[id] = { seconds: seconds, at: at, down: !!down };
    else delete ticks[id];
    setText(document.getElementById(id), duration(seconds));
  }

  function render(msg) {
    var at = performance.now();
    view = msg;
    document.body.setAttribute("data-desk-at", String(msg.at));
    var a = msg.agent || {};
    var state = a.state || "logged_out";
    setText($("#agent-name"), a.name ? String(a.name) : me ? me.id : "");
    var st = $("#state");
    setText(st, stateLabel(state));
    st.setAttribute("data-state", state);
    document.body.setAttribute("data-state", state);
    setText($("#pause-reason"), state === "paused" && a.pause_reason ? String(a.pause_reason) : "");
    tickFrom("state-time", a.state_seconds, at);

    var loggedOut = state === "logged_out";
    $("#btn-login").disabled = !loggedOut;
    $("#btn-ready").disabled = loggedOut || state === "ready";
    $("#btn-pause").disabled = loggedOut || (state === "paused" && !a.pending);
    $("#btn-logout").disabled = loggedOut;
    var reasons = Array.isArray(msg.pause_reasons) ? msg.pause_reasons : [];
    setOptions($("#pause-reason-select"), reasons.map(function (r) { return [String(r), String(r)]; }));

    // The call card: the offered or current call.
    var c = msg.call;
    var card = $("#call-card");
    show(card, !!c);
    if (c) {
      card.setAttribute("data-call-id", String(c.id));
      card.setAttribute("data-offered", c.offered ? "true" : "false");
      card.setAttribute("data-on-hold", c.on_hold ? "true" : "false");
      setText($("#call-title"), c.offered ? "Incoming call" : "Call");
      setText($("#call-state"), text(c.state));
      show($("#call-hold"), !!c.on_hold);
      setText($("#call-caller"), text(c.caller));
      setText($("#call-queue"), text(c.queue));
      tickFrom("call-waited", c.waiting_seconds, at, false);
      if (!c.offered) delete ticks["call-waited"]; // the wait ended when it was answered
      setText($("#call-direction"), text(c.direction));
      var cb = c.callback;
      show($("#call-callback-row"), !!cb);
      if (cb) {
        if (!cb.connected) setText($("#call-title"), "Calling back");
        setText($("#call-callback"), "asked " + (when(cb.requested_at) || DASH) + " · attempt " + String(cb.attempts));
      }
      var attrs = c.attributes || {};
      var keys = Object.keys(attrs);
      show($("#call-attributes-box"), keys.length > 0);
      setFacts($("#call-attributes"), keys.map(function (k) { return [k, attrs[k]]; }));
      renderLead($("#call-lead-box"), $("#call-lead"), $("#call-lead-name"), msg.lead);
      show($("#btn-answer"), !!c.offered);
      var connected = !c.offered;
      show($("#btn-hold"), connected && !c.on_hold);
      show($("#btn-resume"), connected && !!c.on_hold);
      $("#btn-transfer").disabled = !connected;
      $("#btn-hangup").disabled = !connected;
      var queues = Array.isArray(msg.queues) ? msg.queues : [];
      setOptions($("#transfer-queue"), queues.map(function (q) { return [String(q), String(q)]; }));
    } else {
      card.removeAttribute("data-call-id");
      delete ticks["call-waited"];
    }

    // Wrap-up.
    var wrapping = state === "wrap_up";
    show($("#wrap-card"), wrapping);
    if (wrapping) tickFrom("wrap-left", msg.wrap_left_seconds, at, true);
    else delete ticks["wrap-left"];

    // Disposition: during the call and wrap-up, when there are codes to pick.
    var codes = Array.isArray(msg.codes) ? msg.codes : [];
    var dispoFor = c && !c.offered ? String(c.id) : wrapping ? String(msg.last_call || "") : null;
    var dispoShown = codes.length > 0 && dispoFor !== null && !msg.preview;
    show($("#dispo-card"), dispoShown);
    if (dispoShown) {
      var form = $("#dispo-form");
      if (form.getAttribute("data-for") !== dispoFor) {
        form.setAttribute("data-for", dispoFor);
        setText($("#dispo-done"), "");
        $("#dispo-callback").checked = false;
      }
      var kinds = {};
      codes.forEach(function (k) { kinds[k.name] = k.kind; });
      form.kinds = kinds;
      setOptions($("#dispo-code"), [["", "Pick a code"]].concat(codes.map(function (k) {
        return [String(k.name), String(k.name) + (k.kind === "callback" ? " (callback)" : "")];
      })));
      updateCallbackBox();
    }

    // Preview.
    var p = msg.preview;
    show($("#preview-card"), !!p);
    if (p) {
      setText($("#preview-campaign"), text(p.campaign));
      var lead = p.lead || {};
      setFacts($("#preview-lead"), leadPairs(lead));
      tickFrom("preview-countdown", p.auto_dial_in_seconds, at, true);
    } else {
      delete ticks["preview-countdown"];
    }

    // My queues: who waits, and how long a caller joining now should expect to.
    var body = $("#my-queues");
    while (body.firstChild) body.removeChild(body.firstChild);
    (Array.isArray(msg.my_queues) ? msg.my_queues : []).forEach(function (q) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-queue", String(q.name));
      [text(q.name), String(q.waiting), String(q.callbacks_pending || 0),
        isNum(q.ewt_seconds) ? duration(q.ewt_seconds) : DASH].forEach(function (v, i) {
        var td = document.createElement("td");
        td.textContent = v;
        if (i === 3) td.setAttribute("data-testid", "ewt-" + String(q.name));
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });

    // Today.
    var t = msg.today || {};
    setText($("#today-answered"), isNum(t.answered) ? String(t.answered) : DASH);
    setText($("#today-aht"), duration(t.aht_seconds));
    setText($("#today-occupancy"), percent(t.occupancy));
    document.title = (a.name ? a.name + " · " : "") + stateLabel(state) + " · Agent desktop";
  }

  function when(t, zone) {
    if (!isNum(t)) return null;
    var d = new Date(t * 1000);
    try {
      return d.toLocaleString([], { timeZone: zone || undefined, dateStyle: "short", timeStyle: "short" });
    } catch (e) {
      return d.toLocaleString();  // a zone the browser does not know: the agent's own
    }
  }

  function leadPairs(lead) {
    var pairs = [
      ["Name", lead.name],
      ["Phone", lead.phone],
      ["Time zone", lead.time_zone],
      ["Attempts", lead.attempts],
      ["Last outcome", lead.last_outcome],
      ["Last attempt", when(lead.last_attempt_at, lead.time_zone)],
    ];
    // The attempts, latest first, at the lead's own wall time.
    var history = (lead.history || []).slice(-10).reverse().map(function (h) {
      return when(h.at, lead.time_zone) + "  " + (h.outcome || "?");
    });
    if (history.length) pairs.push(["History", history.join("\n")]);
    var f = lead.fields || {};
    Object.keys(f).forEach(function (k) { pairs.push([k, f[k]]); });
    return pairs;
  }

  function renderLead(box, dl, nameNode, lead) {
    show(box, !!lead);
    if (!lead) return;
    setText(nameNode, lead.lead_id !== undefined ? String(lead.lead_id) : "");
    setFacts(dl, leadPairs(lead));
  }

  function updateCallbackBox() {
    var form = $("#dispo-form");
    var code = $("#dispo-code").value;
    var kind = (form.kinds || {})[code];
    var need = kind === "callback" || $("#dispo-callback").checked;
    show($("#dispo-callback-box"), need);
    $("#dispo-callback-at").required = need;
  }

  function onDisposition(ev) {
    ev.preventDefault();
    var code = $("#dispo-code").value;
    if (!code) {
      say("Disposition: pick a code", "error");
      $("#dispo-code").focus();
      return;
    }
    var body = { disposition: code };
    if (!$("#dispo-callback-box").hidden) {
      var when = $("#dispo-callback-at").value;
      if (!when) {
        say("Disposition: give the callback time", "error");
        $("#dispo-callback-at").focus();
        return;
      }
      body.callback_at = when;
      body.callback_agent = $("#dispo-to-me").checked ? "me" : null;
    }
    act("Disposition " + code, agentPath("disposition"), body).then(function (res) {
      if (res) setText($("#dispo-done"), "Saved: " + code);
    });
  }

  function callAction(label, suffix, body) {
    var path = callPath(suffix);
    if (!path) {
      say(label + ": no call", "error");
      return;
    }
    act(label, path, body);
  }

  // ---- local clock -----------------------------------------------------------------------
  function tick() {
    var now = performance.now();
    if (conn.ws && now - conn.lastMessage > STALL_MS) {
      conn.ws.close(4000, "no data"); // a half-open link or a hung handshake: start over
    }
    if (conn.status !== "connected") return; // figures freeze while we cannot see the daemon
    Object.keys(ticks).forEach(function (id) {
      var t = ticks[id];
      var moved = (now - t.at) / 1000;
      setText(document.getElementById(id), duration(t.down ? Math.max(0, t.seconds - moved) : t.seconds + moved));
    });
  }

  // ---- connection ------------------------------------------------------------------------
  var conn = {
    ws: null,
    status: "starting",
    attempts: 0,
    everConnected: false,
    retryAt: 0,
    retryTimer: null,
    lastMessage: 0,
  };

  function deskUrl() {
    var url = new URL("v1/agents/" + encodeURIComponent(me.agent_id) + "/desk", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.hash = "";
    url.search = "";
    return url.toString();
  }

  function setStatus(status) {
    conn.status = status;
    document.body.setAttribute("data-status", status);
    var labels = {
      connecting: "Connecting",
      connected: "Live",
      disconnected: "Reconnecting",
      "signed-out": "Signed out",
    };
    setText($("#conn-text"), labels[status] || status);
    show($("#banner"), status === "disconnected");
    document.body.classList.toggle("stale", status === "disconnected");
  }

  function updateBanner() {
    if (conn.status !== "disconnected") return;
    var secs = Math.max(0, Math.ceil((conn.retryAt - Date.now()) / 1000));
    var parts = [];
    if (!conn.everConnected) parts.push("Cannot reach the daemon.");
    else parts.push("What you see is frozen.");
    parts.push(secs > 0 ? "Reconnecting in " + secs + " s" : "Reconnecting…");
    setText($("#banner-text"), parts.join(" "));
  }

  function scheduleReconnect() {
    var base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * Math.pow(2, conn.attempts));
    var delay = Math.round(base * (0.75 + Math.random() * 0.5));
    conn.attempts += 1;
    conn.retryAt = Date.now() + delay;
    clearTimeout(conn.retryTimer);
    conn.retryTimer = setTimeout(reconnect, delay);
    updateBanner();
  }

  /** Before reopening the socket, ask whether the session still holds: a 401 means sign in. */
  function reconnect() {
    if (!me) return;
    request("GET", "v1/session").then(
      function (res) {
        if (!me) return;
        if (res.status === 401) signedOut("Your session ended: sign in again.");
        else connect();
      },
      function () {
        if (me) scheduleReconnect();
      }
    );
  }

  function onMessage(ev) {
    var msg;
    try {
      msg = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    conn.lastMessage = performance.now();
    if (msg.type !== "desk") return;
    conn.attempts = 0;
    conn.everConnected = true;
    if (conn.status !== "connected") setStatus("connected");
    render(msg);
  }

  function connect() {
    clearTimeout(conn.retryTimer);
    if (!me) return;
    if (conn.status !== "disconnected") setStatus("connecting");
    var ws;
    try {
      ws = new WebSocket(deskUrl());
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
      if (!me) return;
      setStatus("disconnected");
      scheduleReconnect();
    };
  }

  function disconnect() {
    clearTimeout(conn.retryTimer);
    if (conn.ws) {
      var old = conn.ws;
      conn.ws = null;
      old.close(1000, "signed out");
    }
  }

  // ---- wiring ----------------------------------------------------------------------------
  function on(id, fn) {
    document.getElementById(id).addEventListener("click", fn);
  }

  $("#sign-in-form").addEventListener("submit", onSignIn);
  $("#dispo-form").addEventListener("submit", onDisposition);
  $("#dispo-code").addEventListener("change", updateCallbackBox);
  $("#dispo-callback").addEventListener("change", updateCallbackBox);
  on("btn-sign-out", signOut);
  on("btn-login", function () { act("Log in", agentPath("login"), { ready: true }); });
  on("btn-ready", function () { act("Ready", agentPath("ready")); });
  on("btn-ready-now", function () { act("Ready now", agentPath("ready")); });
  on("btn-pause", function () {
    act("Pause", agentPath("pause"), { reason: $("#pause-reason-select").value || "break" });
  });
  on("btn-logout", function () { act("Log out", agentPath("logout")); });
  on("btn-answer", function () { callAction("Answer", "answer"); });
  on("btn-hold", function () { callAction("Hold", "hold"); });
  on("btn-resume", function () { callAction("Resume", "resume"); });
  on("btn-transfer", function () {
    callAction("Transfer", "transfer", { queue: $("#transfer-queue").value });
  });
  on("btn-hangup", function () { callAction("Hang up", "hangup", { reason: "agent" }); });
  on("btn-dial", function () { act("Dial", agentPath("preview/dial")); });
  on("btn-skip", function () { act("Skip", agentPath("preview/skip")); });

  setInterval(function () {
    tick();
    updateBanner();
  }, 250);

  // On load: a session that survives a reload comes back with the cookie.
  request("GET", "v1/session").then(
    function (res) {
      if (res.status === 200 && res.body && res.body.id) signedIn(res.body);
      else signedOut("");
    },
    function () {
      signedOut("Cannot reach the daemon.");
    }
  );

  window.agentDesk = { duration: duration, percent: percent };
})();
