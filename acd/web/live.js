/* acd-dialer: what the wallboard and the agent desktop share (loaded before either).
 *
 * Figures as text (durations, truncated percents, the dash for none), DOM helpers that touch
 * the page only when a value changed, a JSON request helper, and Link: a WebSocket to
 * the daemon that reconnects with exponential back-off (1 s doubling to 30 s, with +-25%
 * jitter so that a wall of screens does not come back in step) and closes a link that has gone
 * silent (messages come once a second; ten seconds of silence is a half-open link or a hung
 * handshake). Exposed as window.acdLive.
 */
(function () {
  "use strict";

  var DASH = "\u2013";
  var EPS = 1e-9;
  var BACKOFF_FIRST_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var STALL_MS = 10000;

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

  function clock(d) {
    return pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
  }

  function text(x) {
    return x === null || x === undefined || x === "" ? DASH : String(x);
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

  function when(t, zone) {
    if (!isNum(t)) return null;
    var d = new Date(t * 1000);
    try {
      return d.toLocaleString([], { timeZone: zone || undefined, dateStyle: "short", timeStyle: "short" });
    } catch (e) {
      return d.toLocaleString();  // a zone the browser does not know: the agent's own
    }
  }

  /** Truncated (not rounded) percent, so the figure shown never crosses a threshold the
   * colour has not crossed: 0.7996 shows "79%" and is below an 80% target. */
  function percentValue(ratio, decimals) {
    var f = Math.pow(10, decimals);
    return Math.floor(ratio * 100 * f + EPS) / f;
  }

  function percent(ratio, decimals) {
    if (!isNum(ratio)) return DASH;
    decimals = decimals || 0;
    return percentValue(ratio, decimals).toFixed(decimals) + "%";
  }

  function count(n) {
    return isNum(n) ? String(Math.round(n)) : DASH;
  }

  function el(tag, cls, field) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (field) e.setAttribute("data-field", field);
    return e;
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

  function $(sel) {
    return document.querySelector(sel);
  }

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  /** A socket URL for a path relative to this page (ws: or wss: as the page is served). */
  function socketUrl(path, search) {
    var url = new URL(path, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.hash = "";
    url.search = search || "";
    return url.toString();
  }

  /**
   * opts.url()          the socket's URL, or null: not now (no token, signed out)
   * opts.onMessage(msg) each JSON message (others are dropped: the next one will do)
   * opts.onStatus(s)    "connecting" | "connected" | "disconnected"
   * opts.reconnect()    what a retry does (default: connect again)
 * opts.onRetry()      a retry is scheduled (at retryAt: the banner's countdown)
   * The page calls live() when a message shows the link works, and stop() to end it.
   */
  function Link(opts) {
    this.opts = opts;
    this.ws = null;
    this.status = "starting";
    this.attempts = 0;
    this.everConnected = false;
    this.retryAt = 0;
    this.retryTimer = null;
    this.lastMessage = 0;
  }

  Link.prototype.setStatus = function (status) {
    this.status = status;
    this.opts.onStatus(status);
  };

  Link.prototype.connect = function () {
    clearTimeout(this.retryTimer);
    var url = this.opts.url();
    if (!url) return;
    if (this.status !== "disconnected") this.setStatus("connecting");
    var self = this;
    var ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      this.setStatus("disconnected");
      this.retry();
      return;
    }
    this.ws = ws;
    this.lastMessage = performance.now();
    ws.onmessage = function (ev) {
      if (self.ws !== ws) return;
      var msg;
      try {
        msg = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      self.lastMessage = performance.now();
      self.opts.onMessage(msg);
    };
    ws.onclose = function () {
      if (self.ws !== ws) return;
      self.ws = null;
      if (!self.opts.url()) return; // ended on purpose (signed out)
      self.setStatus("disconnected");
      self.retry();
    };
  };

  Link.prototype.live = function () {
    this.attempts = 0;
    this.everConnected = true;
    if (this.status !== "connected") this.setStatus("connected");
  };

  Link.prototype.retry = function () {
    var base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * Math.pow(2, this.attempts));
    var delay = Math.round(base * (0.75 + Math.random() * 0.5));
    var self = this;
    this.attempts += 1;
    this.retryAt = Date.now() + delay;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(function () {
      if (self.opts.reconnect) self.opts.reconnect();
      else self.connect();
    }, delay);
    if (this.opts.onRetry) this.opts.onRetry();
  };

  /** Close the socket (a new token, signing out) and start counting attempts afresh. */
  Link.prototype.stop = function (reason) {
    clearTimeout(this.retryTimer);
    if (this.ws) {
      var old = this.ws;
      this.ws = null;
      old.close(1000, reason);
    }
    this.attempts = 0;
    this.everConnected = false;
  };

  /** Called from the page's tick: a silent link is closed (its onclose reconnects). */
  Link.prototype.watch = function (now) {
    if (this.ws && now - this.lastMessage > STALL_MS) this.ws.close(4000, "no data");
  };

  Link.prototype.secondsToRetry = function () {
    return Math.max(0, Math.ceil((this.retryAt - Date.now()) / 1000));
  };

  window.acdLive = {
    DASH: DASH,
    EPS: EPS,
    isNum: isNum,
    pad2: pad2,
    duration: duration,
    clock: clock,
    $: $,
    setText: setText,
    text: text,
    show: show,
    percentValue: percentValue,
    percent: percent,
    count: count,
    el: el,
    field: field,
    setStatusClass: setStatusClass,
    sync: sync,
    setOptions: setOptions,
    setFacts: setFacts,
    request: request,
    errorOf: errorOf,
    when: when,
    socketUrl: socketUrl,
    Link: Link,
  };
})();
