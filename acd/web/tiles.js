/* acd-dialer wallboard: the markup of a queue's, an agent's and a campaign's tile, built empty;
 * wallboard.js fills the [data-field] elements from each snapshot (see its header for the hooks).
 * Loaded after live.js and before wallboard.js; exposed as window.acdTiles.
 */
(function () {
  "use strict";

  var el = window.acdLive.el;

  /** A labelled figure: <div class="fig"><span class="label">..</span><span data-field>..</span></div> */
  function figure(cls, label, name) {
    var d = el("div", "fig " + cls);
    d.appendChild(el("span", "label")).textContent = label;
    d.appendChild(el("span", "value", name));
    return d;
  }

  /** A <div class=cls> of figures, each [class, label, field]. */
  function figures(cls, specs) {
    var d = el("div", cls);
    specs.forEach(function (f) {
      d.appendChild(figure(f[0], f[1], f[2]));
    });
    return d;
  }

  function createQueueTile() {
    var tile = el("article", "queue");
    var head = el("header", "q-head");
    head.appendChild(el("h3", "q-name", "name"));
    var target = el("span", "q-target");
    target.appendChild(document.createTextNode("target "));
    target.appendChild(el("span", "", "service_level_target"));
    target.appendChild(document.createTextNode(" in "));
    target.appendChild(el("span", "", "service_level_threshold"));
    head.appendChild(target);
    tile.appendChild(head);

    var big = el("div", "q-big");
    big.appendChild(figure("waiting", "Waiting", "waiting"));
    big.appendChild(figure("longest", "Longest", "longest_wait"));
    big.appendChild(figure("sl", "SL today", "service_level"));
    var iv = figure("sl-interval", "SL interval", "interval_service_level");
    var of = el("span", "sub");
    of.appendChild(el("span", "", "interval_offered"));
    of.appendChild(document.createTextNode(" offered"));
    iv.appendChild(of);
    big.appendChild(iv);
    tile.appendChild(big);

    // EWT now: the estimated wait of a caller joining now; a dash when no agent can serve.
    var small = figures("q-small", [
      ["", "Offered", "offered"],
      ["", "Answered", "answered"],
      ["abandon", "Abandoned", "abandon_rate"],
      ["", "ASA", "asa_seconds"],
      ["", "AHT", "aht_seconds"],
      ["ewt", "EWT now", "ewt_seconds"],
    ]);
    var staff = figure("staff", "In / ready", "staff");
    staff.querySelector(".value").appendChild(el("span", "", "agents_logged_in"));
    var ready = el("span", "ready-n");
    ready.appendChild(document.createTextNode(" / "));
    ready.appendChild(el("span", "", "agents_ready"));
    staff.querySelector(".value").appendChild(ready);
    small.appendChild(staff);
    tile.appendChild(small);

    var why = el("p", "q-why", "why");
    why.appendChild(el("span", "why-text", "why_text"));
    var detail = el("span", "why-detail");
    detail.appendChild(el("span", "", "ready_not_eligible"));
    detail.appendChild(document.createTextNode(" ready, not eligible"));
    function part(name, text, extra) {
      var p = el("span", "why-part", name + "_part");
      p.appendChild(document.createTextNode(" \u00b7 "));
      p.appendChild(el("span", "", name));
      p.appendChild(document.createTextNode(text));
      if (extra) p.appendChild(extra);
      return p;
    }
    var next = el("span", "why-next");
    next.appendChild(document.createTextNode(" in "));
    next.appendChild(el("span", "countdown", "next_escalation"));
    detail.appendChild(part("awaiting_escalation", " at the next escalation step", next));
    detail.appendChild(part("below_level", " below the skill level"));
    detail.appendChild(part("missing_skill", " missing a skill"));
    detail.appendChild(part("missed_offer", " let it ring out"));
    why.appendChild(detail);
    tile.appendChild(why);
    return tile;
  }

  function createAgentTile() {
    var li = el("li", "agent");
    var head = el("div", "agent-row");
    head.appendChild(el("span", "agent-name", "name"));
    head.appendChild(el("span", "agent-reason", "pause_reason"));
    head.appendChild(el("span", "agent-work", "work"));
    li.appendChild(head);
    var mid = el("div", "agent-row");
    mid.appendChild(el("span", "agent-state", "state"));
    mid.appendChild(el("span", "agent-time", "state_time"));
    li.appendChild(mid);
    var foot = el("div", "agent-figs");
    function small(label, name) {
      var s = el("span", "agent-fig");
      s.appendChild(el("span", "", name));
      s.appendChild(el("span", "label")).textContent = label;
      return s;
    }
    foot.appendChild(small(" calls", "calls_today"));
    foot.appendChild(small(" AHT", "aht"));
    foot.appendChild(small(" occ.", "occupancy"));
    li.appendChild(foot);
    return li;
  }

  function createCampaignTile() {
    var tile = el("article", "campaign");
    var head = el("header", "c-head");
    head.appendChild(el("h3", "c-name", "name"));
    head.appendChild(el("span", "c-mode", "mode"));
    var paused = el("span", "c-paused", "paused");
    paused.textContent = "Paused";
    head.appendChild(paused);
    tile.appendChild(head);
    tile.appendChild(
      figures("c-figs", [
        ["", "Dialed", "dialed"],
        ["", "Hit rate", "hit_rate"],
        ["", "Connects/agent-h", "connects_per_hour"],
        ["ab", "Abandoned 24 h", "abandonment_24h"],
        ["ab", "Abandoned 30 d", "abandonment_30d"],
        ["", "Leads left", "leads_left"],
      ])
    );
    return tile;
  }

  window.acdTiles = { queue: createQueueTile, agent: createAgentTile, campaign: createCampaignTile };
})();
