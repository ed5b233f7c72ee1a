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

  var L = window.acdLive; // live.js: shared figures, DOM helpers, requests and the socket
  var DASH = L.DASH, isNum = L.isNum, duration = L.duration;
  var $ = L.$, setText = L.setText, text = L.text, show = L.show, percent = L.percent;
  var setOptions = L.setOptions, setFacts = L.setFacts, when = L.when;
  var request = L.request, errorOf = L.errorOf;
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

  function stateLabel(s) {
    return STATE_LABELS[s] || String(s || DASH).replace(/_/g, " ");
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
    link.stop("signed in");
    link.connect();
  }

  function signedOut(message) {
    me = null;
    view = null;
    link.stop("signed out");
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
    link.watch(now);
    if (link.status !== "connected") return; // figures freeze while we cannot see the daemon
    Object.keys(ticks).forEach(function (id) {
      var t = ticks[id];
      var moved = (now - t.at) / 1000;
      setText(document.getElementById(id), duration(t.down ? Math.max(0, t.seconds - moved) : t.seconds + moved));
    });
  }

  // ---- connection ------------------------------------------------------------------------
  var link = new L.Link({
    url: function () {
      return me ? L.socketUrl("v1/agents/" + encodeURIComponent(me.agent_id) + "/desk") : null;
    },
    onMessage: onMessage,
    onStatus: showStatus,
    reconnect: reconnect,
    onRetry: updateBanner,
  });

  function setStatus(status) {
    link.status = status;
    showStatus(status);
  }

  function showStatus(status) {
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
    if (link.status !== "disconnected") return;
    var secs = link.secondsToRetry();
    var parts = [];
    if (!link.everConnected) parts.push("Cannot reach the daemon.");
    else parts.push("What you see is frozen.");
    parts.push(secs > 0 ? "Reconnecting in " + secs + " s" : "Reconnecting…");
    setText($("#banner-text"), parts.join(" "));
  }

  /** Before reopening the socket, ask whether the session still holds: a 401 means sign in. */
  function reconnect() {
    if (!me) return;
    request("GET", "v1/session").then(
      function (res) {
        if (!me) return;
        if (res.status === 401) signedOut("Your session ended: sign in again.");
        else link.connect();
      },
      function () {
        if (me) link.retry();
      }
    );
  }

  function onMessage(msg) {
    if (msg.type !== "desk") return;
    link.live();
    render(msg);
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
