/* The scanner component every scanner page shares (handheld, tally, picking, packing,
 * returns, loading): the scan field and its focus, colour, sound and vibration, and the
 * offline queue with its "N waiting" bar.
 *
 * Plain JavaScript, nothing inline (the Content-Security-Policy forbids it). The markup is
 * the `scanner` macro of templates/macros.html (#hh-scanner, its strings in data-i18n);
 * each page's own script keeps only its flow and talks to window.WmsScanner.scanner.
 *
 * Writes carry an idempotency key made here, one per scan or action. When the network is
 * down they wait in localStorage, in ONE queue per user whatever page queued them; each
 * item carries its endpoint URL, so any scanner page sends them: in order, one at a time,
 * each with its original key (the server counts each once however often it arrives), and
 * only one tab at a time (a Web Lock where the browser has them).
 */
(function () {
  "use strict";

  var WRITE_TIMEOUT = 10000;
  var CONFIRM_CODE = "WMS-CONFIRM";  /* printed on the confirm sheet at every station */
  var READ_TIMEOUT = 6000;

  function parse(text, fallback) {
    try { var v = JSON.parse(text); return v === null || v === undefined ? fallback : v; }
    catch (e) { return fallback; }
  }
  function load(key, fallback) {
    try { return parse(window.localStorage.getItem(key), fallback); } catch (e) { return fallback; }
  }
  function save(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full */ }
  }
  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();  // secure contexts only (https, localhost)
    }
    var b = new Uint8Array(16), i, h = "";
    if (window.crypto && window.crypto.getRandomValues) { window.crypto.getRandomValues(b); }
    else { for (i = 0; i < 16; i++) { b[i] = Math.floor(Math.random() * 256); } }
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    for (i = 0; i < 16; i++) { h += (b[i] + 256).toString(16).slice(1); }
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" +
      h.slice(16, 20) + "-" + h.slice(20);
  }
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function later(fn) { setTimeout(fn, 0); }

  /* ------------------------------------------------------------------ sound */

  var audio = null;
  function unlockAudio() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) { return; }
    try {
      if (!audio) { audio = new AC(); }
      if (audio.state === "suspended") { audio.resume(); }
    } catch (e) { audio = null; }
  }
  function tone(freq, start, length, type) {
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.type = type;
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.25, start);
    gain.gain.exponentialRampToValueAtTime(0.001, start + length);
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start(start);
    osc.stop(start + length + 0.02);
  }
  /* A short high beep for ok, a low double buzz for an error. */
  function beep(ok) {
    unlockAudio();
    if (!audio) { return; }
    try {
      var t = audio.currentTime;
      if (ok) { tone(1760, t, 0.09, "sine"); }
      else { tone(160, t, 0.2, "square"); tone(120, t + 0.25, 0.3, "square"); }
    } catch (e) { /* no sound is not an error */ }
  }
  document.addEventListener("keydown", unlockAudio, { once: true });
  document.addEventListener("pointerdown", unlockAudio, { once: true });

  /* ------------------------------------------------------------------ HTTP */

  /* Resolves {status, data} for a JSON answer, {status, session: true} when the login page
   * came back instead; rejects on a network failure or a timeout. */
  function request(url, options, timeout) {
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = ctl ? setTimeout(function () { ctl.abort(); }, timeout) : null;
    options.credentials = "same-origin";
    options.signal = ctl ? ctl.signal : undefined;
    return fetch(url, options).then(function (r) {
      clearTimeout(timer);
      var type = r.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0) {
        return { status: r.status, session: r.redirected || r.status < 400 };
      }
      return r.json().then(function (data) { return { status: r.status, data: data }; });
    }, function (err) { clearTimeout(timer); throw err; });
  }
  function post(url, body, timeout) {
    return request(url, {
      method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrf() }
    }, timeout || WRITE_TIMEOUT);
  }
  function getJSON(url, timeout) {
    return request(url, { headers: { "Accept": "application/json" } }, timeout || READ_TIMEOUT);
  }

  /* ------------------------------------------------------------------ the component */

  function Scanner(box) {
    var self = this;
    var T = parse(box.getAttribute("data-i18n"), {});
    var user = box.getAttribute("data-user") || "anonymous";
    var QKEY = "wms.scan.queue." + user, RKEY = "wms.scan.rejected." + user;
    function $(id) { return document.getElementById(id); }
    var scan = $("hh-scan"), form = $("hh-scan-form"), promptEl = $("hh-prompt"),
      msg = $("hh-msg");
    var handler = null, confirmer = null, chain = Promise.resolve(), replayed = [],
      flushing = false;

    /* ---------------------------------------------------------------- colour and sound */
    var flashTimer = null;
    function flash(kind) {
      var body = document.body;
      body.classList.remove("hh-flash-ok", "hh-flash-err", "hh-flash-queued", "hh-flash-warn");
      void body.offsetWidth;  // restart the animation
      body.classList.add("hh-flash-" + kind);
      clearTimeout(flashTimer);
      flashTimer = setTimeout(function () {
        body.classList.remove("hh-flash-ok", "hh-flash-err", "hh-flash-queued", "hh-flash-warn");
      }, 900);
    }
    /* kind: ok, err, warn (bonded goods at risk: amber, error sound, vibration, waits for a
     * confirm), queued (saved offline), info (no colour, no sound) */
    function show(kind, text) {
      msg.hidden = !text;
      msg.textContent = text || "";
      msg.className = "hh-msg hh-msg-" + kind;
      if (kind === "info") { return; }
      flash(kind);
      var bad = kind === "err" || kind === "warn";
      beep(!bad);
      if (bad && navigator.vibrate) {
        navigator.vibrate(kind === "warn" ? [200, 80, 200, 80, 200] : [120, 60, 120]);
      }
    }

    /* ---------------------------------------------------------------- focus */
    var NOT_TYPED = ["hidden", "checkbox", "radio", "file", "button", "submit"];
    function editing(el) {
      return !!el && el !== scan && !!el.matches && el.matches("input, select, textarea") &&
        NOT_TYPED.indexOf(el.type) < 0;
    }
    function refocus() {
      if (editing(document.activeElement)) { return; }
      if (document.activeElement !== scan) { scan.focus({ preventScroll: true }); }
    }
    scan.addEventListener("blur", function () { later(refocus); });
    document.addEventListener("click", function (e) {
      if (!editing(e.target)) { later(refocus); }
    });
    Array.prototype.forEach.call(document.querySelectorAll(".hh-edit"), function (el) {
      if (el.tagName === "TEXTAREA") { return; }
      el.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); el.blur(); scan.focus(); }
      });
    });
    document.addEventListener("focusout", function (e) {
      if (editing(e.target)) { later(refocus); }
    });
    window.addEventListener("focus", function () { later(refocus); });
    window.addEventListener("pageshow", function () { later(refocus); });
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { later(refocus); }
    });
    var kbd = $("hh-keyboard");
    kbd.addEventListener("click", function () {
      var typing = scan.getAttribute("inputmode") !== "none";
      scan.setAttribute("inputmode", typing ? "none" : "text");
      kbd.setAttribute("aria-pressed", typing ? "false" : "true");
      scan.blur();
      later(function () { scan.focus(); });
    });

    /* ---------------------------------------------------------------- scans, in order */
    form.addEventListener("submit", function (e) {
      if (!handler) { return; }  // no flow here: the form goes to its action (scan page)
      e.preventDefault();
      var code = scan.value.replace(/^\s+|\s+$/g, "");
      scan.value = "";
      refocus();
      /* Enter on an empty field, or the printed confirm barcode, confirms the step. */
      if (!code || code.toUpperCase() === CONFIRM_CODE) {
        if (confirmer) { self.serial(confirmer); }
        return;
      }
      self.serial(function () { return handler(code); });
    });

    /* ---------------------------------------------------------------- the queue */
    function queue() { return load(QKEY, []); }
    function enqueue(item) { var q = queue(); q.push(item); save(QKEY, q); renderQueue(); }
    function dequeue(key) {
      save(QKEY, queue().filter(function (it) { return it.key !== key; }));
      renderQueue();
    }
    function renderQueue() {
      var n = queue().length, bar = $("hh-queue"), net = $("hh-net");
      bar.setAttribute("data-count", String(n));
      bar.classList.toggle("hh-has-queue", n > 0);
      $("hh-queue-n").textContent = String(n);
      net.textContent = navigator.onLine ? T.online : T.offline;
      net.classList.toggle("hh-offline", !navigator.onLine);
    }
    function reject(item, text) {
      var list = load(RKEY, []);
      list.push({ label: item.label, message: text, at: Date.now() });
      save(RKEY, list.slice(-50));
      renderRejected();
    }
    function renderRejected() {
      var card = $("hh-errors"), list = $("hh-errors-list"), items = load(RKEY, []);
      list.textContent = "";
      items.forEach(function (e) {
        var li = document.createElement("li"), what = document.createElement("b");
        what.textContent = e.label || "";
        li.appendChild(what);
        li.appendChild(document.createTextNode(" " + e.message));
        list.appendChild(li);
      });
      card.hidden = items.length === 0;
    }
    function errorText(data) {
      return data && data.error && data.error.message ? data.error.message : T.server;
    }

    /* Until every device has opened a scanner page once after the upgrade: the four
     * queues of the pages that kept their own (per login) join the one queue. */
    function adoptOldQueues() {
      var old = parse(box.getAttribute("data-old-queues"), null);
      if (!old || !old.login) { return; }
      ["hh", "pick", "rt", "dl"].forEach(function (prefix) {
        var key = "wms." + prefix + ".queue." + old.login, items = load(key, null);
        if (!items) { return; }
        var adopted = items.map(function (it) {
          var body = it.body || {};
          return { key: it.key || body.idempotency_key, url: it.url || old.load_url,
                   body: body, label: it.label || "", at: it.at || Date.now() };
        }).filter(function (it) { return it.key && it.url; });
        if (adopted.length) { save(QKEY, queue().concat(adopted)); }
        try { window.localStorage.removeItem(key); } catch (e) { /* nothing to do */ }
      });
    }

    /* One tab sends at a time; the others leave the queue to it. */
    function exclusive(fn) {
      if (navigator.locks && navigator.locks.request) {
        return navigator.locks.request(QKEY, { ifAvailable: true }, function (lock) {
          return lock ? fn() : null;
        });
      }
      return fn();
    }
    /* Send what waits, oldest first, one at a time; stop at the first failure. */
    function drain() {
      var item = queue()[0];
      if (!item || !navigator.onLine) { return null; }
      return post(item.url, item.body, WRITE_TIMEOUT).then(function (res) {
        if (res.session) { show("err", T.session); return null; }
        if (!res.data || res.status >= 500) { show("err", T.server); return null; }
        dequeue(item.key);
        var text = res.data.message || item.label;
        if (res.status < 300) {
          self.done(T.sent + " " + text);
          if (!queue().length) { show("ok", T.sent + " " + text); }
        } else {
          reject(item, errorText(res.data));
          show("err", item.label + ": " + errorText(res.data));
        }
        replayed.forEach(function (fn) { fn(item, res); });
        return drain();
      }, function () { renderQueue(); return null; });
    }
    function flush() {
      renderQueue();
      if (flushing || !navigator.onLine || !queue().length) { return Promise.resolve(); }
      flushing = true;
      function end() { flushing = false; renderQueue(); }
      return Promise.resolve(exclusive(drain)).then(end, end);
    }

    /* ---------------------------------------------------------------- what flows use */
    this.T = T;
    this.show = show;
    this.refocus = refocus;
    this.later = later;
    this.post = post;
    this.getJSON = getJSON;
    this.errorText = errorText;
    this.flush = flush;
    this.prompt = function (text) { promptEl.textContent = text; };
    /* The flow's scan handler: gets each scanned code, in order; may return a promise. */
    this.onScan = function (fn) { handler = fn; };
    /* The flow's confirm: Enter on an empty scan field or a scan of the confirm barcode. */
    this.onConfirm = function (fn) { confirmer = fn; };
    /* fn(item, res) for every queued write this page sent, whichever page queued it. */
    this.onReplay = function (fn) { replayed.push(fn); };
    /* Run fn after the scans and writes before it (a promise chain that survives errors). */
    this.serial = function (fn) {
      chain = chain.then(fn).catch(function () { show("err", T.server); });
      return chain;
    };
    /* A line in "Done on this device", where the page has one. */
    this.done = function (text) {
      var list = $("hh-done");
      if (!list) { return; }
      var li = document.createElement("li");
      li.textContent = text;
      list.insertBefore(li, list.firstChild);
      while (list.children.length > 20) { list.removeChild(list.lastChild); }
    };
    /* A write: sent now, or queued when offline or while older writes still wait.
     * then(outcome, data) is called with "ok", "queued" or "err" and the answer;
     * kindOf(data), if given, colours an accepted answer ("ok", or "err" for a warning). */
    this.send = function (url, body, label, then, kindOf) {
      then = then || function () {};
      body.idempotency_key = uuid();
      var item = { key: body.idempotency_key, url: url, body: body, label: label,
                   at: Date.now() };
      function queued() {
        enqueue(item);
        show("queued", T.queued);
        then("queued", null);
        flush();
      }
      if (!navigator.onLine || queue().length) { queued(); return Promise.resolve(); }
      return post(url, body, WRITE_TIMEOUT).then(function (res) {
        if (res.session) { enqueue(item); show("err", T.session); then("queued", null); return; }
        if (!res.data || res.status >= 500) { queued(); return; }
        if (res.status < 300) {
          show(kindOf ? kindOf(res.data) : "ok", res.data.message || label);
          self.done(res.data.message || label);
          then("ok", res.data);
        } else {
          show("err", errorText(res.data));
          then("err", res.data);
        }
      }, queued);
    };

    window.addEventListener("online", flush);
    window.addEventListener("offline", renderQueue);
    window.addEventListener("storage", function (e) {
      if (e.key === QKEY) { renderQueue(); }
      if (e.key === RKEY) { renderRejected(); }
    });
    setInterval(function () { if (queue().length) { flush(); } }, 15000);
    $("hh-send-now").addEventListener("click", flush);
    $("hh-errors-clear").addEventListener("click", function () {
      save(RKEY, []); renderRejected();
    });

    adoptOldQueues();
    renderQueue();
    /* After every page script has registered its hooks. */
    document.addEventListener("DOMContentLoaded", function () {
      renderRejected();
      flush();
      later(refocus);
    });
  }

  /* Keypads: a "−" and a "+" button beside a quantity field (data-keypad="-1"/"1",
   * data-for the field's id); typing a number in the field works too. */
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button[data-keypad]") : null;
    if (!b) { return; }
    var field = document.getElementById(b.getAttribute("data-for"));
    if (!field) { return; }
    var min = parseFloat(field.getAttribute("data-min") || "1");
    var now = parseFloat(field.value || "0");
    var next = (isNaN(now) ? min : now) + parseFloat(b.getAttribute("data-keypad"));
    var max = field.getAttribute("data-max");
    if (max !== null && max !== "" && next > parseFloat(max)) { next = parseFloat(max); }
    field.value = String(next < min ? min : next);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });

  var box = document.getElementById("hh-scanner");
  window.WmsScanner = { parse: parse, load: load, save: save, uuid: uuid, csrf: csrf,
                        beep: beep, post: post, getJSON: getJSON, confirmCode: CONFIRM_CODE,
                        scanner: box ? new Scanner(box) : null };
}());
