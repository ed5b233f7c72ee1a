/*
 * The supervisor's console on the wallboard: sign in, then click an agent to force a state,
 * change skills, or listen to, whisper to or barge into the agent's call on one's own phone.
 * Requests carry the #token= of the address when there is one, the session cookie otherwise.
 */
(function () {
  "use strict";

  function $(sel) { return document.querySelector(sel); }

  function fragmentToken() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    return params.get("token") || params.get("access_token") || "";
  }

  function api(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    var token = fragmentToken();
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(path, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error((data.error && data.error.message) || r.statusText);
        return data;
      });
    });
  }

  // ---- sign-in ---------------------------------------------------------------------------
  var me = null;
  function whoami() {
    return api("GET", "v1/session").then(function (who) { me = who; return who; }, function () { return null; });
  }

  $("#signin").addEventListener("submit", function (ev) {
    ev.preventDefault();
    $("#signin-error").textContent = "";
    api("POST", "v1/session", { id: $("#signin-id").value.trim(), password: $("#signin-password").value })
      .then(function (who) {
        $("#signin-password").value = "";
        if (who.role === "agent") {
          window.location.href = "agent";  // an agent works from the desktop
          return;
        }
        whoami().then(function () { window.dispatchEvent(new Event("acd-signed-in")); });
      }, function (err) { $("#signin-error").textContent = err.message; });
  });

  // ---- the console -----------------------------------------------------------------------
  var dialog = $("#console");
  var current = null;

  function say(text) { $("#console-result").textContent = text; }

  function fill(agent) {
    current = agent.id;
    $("#console-agent").textContent = agent.name ? agent.id + " (" + agent.name + ")" : agent.id;
    $("#console-state").textContent = agent.state + (agent.pause_reason ? " · " + agent.pause_reason : "");
    $("#console-call").textContent = agent.call_id ? "on call " + agent.call_id : "";
    $("#console-skills").value = Object.keys(agent.skills || {}).map(function (k) {
      return k + ":" + agent.skills[k];
    }).join(", ");
    if (me && me.device && !$("#console-device").value) $("#console-device").value = me.device;
    say("");
  }

  function open(agentId) {
    api("GET", "v1/agents/" + encodeURIComponent(agentId)).then(function (agent) {
      fill(agent);
      if (!dialog.open) dialog.showModal();
      $("#console-ready").focus();
    }, function (err) { window.alert(err.message); });
  }

  function act(method, path, body, done) {
    // Done is said only once the console shows the agent as they now are (a refresh that
    // landed after it would overwrite what the supervisor types next).
    var url = "v1/agents/" + encodeURIComponent(current);
    api(method, url + path, body).then(function () {
      return api("GET", url).then(fill, function () {});
    }).then(function () { say(done); }, function (err) { say("Refused: " + err.message); });
  }

  $("#agents").addEventListener("click", function (ev) {
    var item = ev.target.closest("[data-agent]");
    if (item) open(item.getAttribute("data-agent"));
  });
  $("#agents").addEventListener("keydown", function (ev) {
    var item = ev.target.closest("[data-agent]");
    if (item && (ev.key === "Enter" || ev.key === " ")) {
      ev.preventDefault();
      open(item.getAttribute("data-agent"));
    }
  });
  // Agents' rows are focusable, so the console opens from the keyboard too.
  new MutationObserver(function () {
    document.querySelectorAll("#agents [data-agent]:not([tabindex])").forEach(function (li) {
      li.setAttribute("tabindex", "0");
      li.setAttribute("role", "button");
      li.setAttribute("aria-label", "Agent " + li.getAttribute("data-agent") + ": open the console");
    });
  }).observe($("#agents"), { childList: true });

  $("#console-ready").addEventListener("click", function () {
    act("POST", "/state", { state: "ready" }, "Forced ready.");
  });
  $("#console-pause").addEventListener("click", function () {
    act("POST", "/state", { state: "paused", reason: $("#console-reason").value }, "Paused.");
  });
  $("#console-logout").addEventListener("click", function () {
    act("POST", "/state", { state: "logged_out" }, "Logged out.");
  });
  $("#console-skills-save").addEventListener("click", function () {
    var skills = {};
    var bad = null;
    $("#console-skills").value.split(",").forEach(function (part) {
      part = part.trim();
      if (!part) return;
      var m = /^([^:\s]+)\s*:\s*(\d+)$/.exec(part);
      if (!m) bad = part; else skills[m[1]] = parseInt(m[2], 10);
    });
    if (bad) { say("Not name:level: " + bad); return; }
    act("PUT", "/skills", { skills: skills }, "Skills saved.");
  });
  $("#console-monitor").addEventListener("click", function () {
    act("POST", "/monitor", { mode: $("#console-mode").value, device: $("#console-device").value.trim() },
        "Monitoring: your phone rings.");
  });
  $("#console-unmonitor").addEventListener("click", function () {
    act("DELETE", "/monitor", undefined, "Monitor stopped.");
  });

  whoami();
  window.acdConsole = { open: open };

  // ---- pending callbacks: each keeps its caller's place; a waiting one can be cancelled ----
  function masked(number) {
    var n = String(number || "");
    return n.length > 4 ? "\u2022\u2022\u2022" + n.slice(-4) : n;
  }

  function renderCallbacks(body) {
    var list = $("#callbacks");
    var items = (body && Array.isArray(body.callbacks)) ? body.callbacks : [];
    $("#callbacks-section").hidden = items.length === 0;
    $("#callbacks-count").textContent = String(items.length);
    while (list.firstChild) list.removeChild(list.firstChild);
    items.forEach(function (cb) {
      var li = document.createElement("li");
      li.setAttribute("data-callback", String(cb.id));
      li.setAttribute("data-state", String(cb.state));
      var wait = typeof cb.waiting_seconds === "number" ? Math.round(cb.waiting_seconds / 60) + " min" : (cb.due_at || "");
      var parts = [cb.queue, masked(cb.number), cb.state + (cb.parked ? " (" + cb.parked + ")" : ""),
        wait, "attempts " + cb.attempts];
      if (cb.for_agent) parts.push("for " + cb.for_agent); // booked "to me" by that agent
      li.textContent = parts.join(" \u00b7 ") + " ";
      if (cb.state !== "dialing") {
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = "Cancel";
        b.setAttribute("data-cancel", String(cb.id));
        li.appendChild(b);
      }
      list.appendChild(li);
    });
  }

  function refreshCallbacks() {
    return api("GET", "v1/callbacks").then(renderCallbacks, function () {});
  }

  $("#callbacks").addEventListener("click", function (ev) {
    var id = ev.target && ev.target.getAttribute && ev.target.getAttribute("data-cancel");
    if (!id) return;
    api("DELETE", "v1/callbacks/" + encodeURIComponent(id)).then(refreshCallbacks, function (err) {
      window.alert("Refused: " + err.message);
      refreshCallbacks();
    });
  });

  refreshCallbacks();
  window.addEventListener("acd-signed-in", refreshCallbacks);
  window.setInterval(refreshCallbacks, 3000);
})();
