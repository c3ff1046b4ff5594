/* Picking and packing on the scanner: scan field, colour and sound, the offline queue.
 *
 * Same behaviour as handheld.js (which keeps its flows private): configuration from data-
 * attributes on #pick, nothing inline (the Content-Security-Policy forbids it), one scan
 * field that focus returns to, one idempotency key per write, writes waiting in
 * localStorage (per user) while the network is down and sent in order, each with its
 * original key, when it is back.
 */
(function () {
  "use strict";

  var S = window.WmsScanner;
  var parse = S.parse, load = S.load, save = S.save, uuid = S.uuid, csrf = S.csrf,
    beep = S.beep;

  var root = document.getElementById("pick");
  if (!root) { return; }
  var flow = root.getAttribute("data-flow") || "";
  var user = root.getAttribute("data-user") || "anonymous";
  var urls = parse(root.getAttribute("data-urls"), {});
  var T = parse(root.getAttribute("data-i18n"), {});
  var QKEY = "wms.pick.queue." + user;
  var EKEY = "wms.pick.errors." + user;
  var TIMEOUT = 10000;

  function $(id) { return document.getElementById(id); }
  var scan = $("hh-scan");
  var form = $("hh-scan-form");
  var promptEl = $("hh-prompt");
  var msg = $("hh-msg");

  /* ------------------------------------------------------------------ sound and colour */
  var flashTimer = null;
  function flash(kind) {
    var body = document.body;
    body.classList.remove("hh-flash-ok", "hh-flash-err", "hh-flash-queued");
    void body.offsetWidth;
    body.classList.add("hh-flash-" + kind);
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () {
      body.classList.remove("hh-flash-ok", "hh-flash-err", "hh-flash-queued");
    }, 900);
  }
  function show(kind, text) {
    if (msg) {
      msg.hidden = !text;
      msg.textContent = text || "";
      msg.className = "hh-msg hh-msg-" + kind;
    }
    if (kind === "info") { return; }
    flash(kind);
    beep(kind !== "err");
    if (kind === "err" && navigator.vibrate) { navigator.vibrate([120, 60, 120]); }
  }

  /* ------------------------------------------------------------------ focus */
  function editing(el) {
    return !!el && el !== scan && el.matches && el.matches("input, select, textarea") &&
      el.type !== "hidden" && el.type !== "checkbox";
  }
  function later(fn) { setTimeout(fn, 0); }
  function refocus() {
    if (!scan || editing(document.activeElement)) { return; }
    if (document.activeElement !== scan) { scan.focus({ preventScroll: true }); }
  }
  if (scan) {
    scan.addEventListener("blur", function () { later(refocus); });
    document.addEventListener("click", function (e) {
      if (!e.target.closest("input, select, textarea, a")) { later(refocus); }
    });
    Array.prototype.forEach.call(document.querySelectorAll(".hh-edit"), function (el) {
      el.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); el.blur(); scan.focus(); }
      });
      el.addEventListener("blur", function () { later(refocus); });
    });
    window.addEventListener("pageshow", function () { later(refocus); });
    var kbd = $("hh-keyboard");
    if (kbd) {
      kbd.addEventListener("click", function () {
        var typing = scan.getAttribute("inputmode") !== "none";
        scan.setAttribute("inputmode", typing ? "none" : "text");
        kbd.setAttribute("aria-pressed", typing ? "false" : "true");
        scan.blur();
        later(function () { scan.focus(); });
      });
    }
  }

  /* ------------------------------------------------------------------ HTTP and the queue */
  function post(url, body) {
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = ctl ? setTimeout(function () { ctl.abort(); }, TIMEOUT) : null;
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrf() },
      body: JSON.stringify(body), signal: ctl ? ctl.signal : undefined
    }).then(function (r) {
      clearTimeout(timer);
      var type = r.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0) {
        return { status: r.status, session: r.redirected || r.status < 400 };
      }
      return r.json().then(function (data) { return { status: r.status, data: data }; });
    }, function (err) { clearTimeout(timer); throw err; });
  }
  function errorText(data) {
    return data && data.error && data.error.message ? data.error.message : T.server;
  }
  function queue() { return load(QKEY, []); }
  function enqueue(item) { var q = queue(); q.push(item); save(QKEY, q); renderQueue(); }
  function dequeue(key) {
    save(QKEY, queue().filter(function (it) { return it.key !== key; }));
    renderQueue();
  }
  function addError(item, text) {
    var errs = load(EKEY, []);
    errs.push({ label: item.label, message: text, at: Date.now() });
    save(EKEY, errs.slice(-50));
    renderErrors();
  }
  function renderQueue() {
    var box = $("hh-queue");
    if (!box) { return; }
    var n = queue().length;
    box.setAttribute("data-count", String(n));
    box.classList.toggle("hh-has-queue", n > 0);
    $("hh-queue-n").textContent = String(n);
    var net = $("hh-net");
    if (net) {
      net.textContent = navigator.onLine ? T.online : T.offline;
      net.classList.toggle("hh-offline", !navigator.onLine);
    }
  }
  function renderErrors() {
    var box = $("hh-errors");
    if (!box) { return; }
    var errs = load(EKEY, []), list = $("hh-errors-list");
    list.textContent = "";
    errs.forEach(function (e) {
      var li = document.createElement("li"), what = document.createElement("b");
      what.textContent = e.label || "";
      li.appendChild(what);
      li.appendChild(document.createTextNode(" " + e.message));
      list.appendChild(li);
    });
    box.hidden = errs.length === 0;
  }
  var flushing = false;
  function flush() {
    renderQueue();
    if (flushing || !navigator.onLine) { return; }
    var q = queue();
    if (!q.length) { return; }
    flushing = true;
    var item = q[0];
    post(item.url, item.body).then(function (res) {
      flushing = false;
      if (res.session) { show("err", T.session); return; }
      if (!res.data || res.status >= 500) { show("err", T.server); return; }
      dequeue(item.key);
      if (res.status < 300) { show("ok", T.sent + " " + (res.data.message || item.label)); }
      else { addError(item, errorText(res.data)); show("err", item.label + ": " + errorText(res.data)); }
      flush();
    }, function () { flushing = false; renderQueue(); });
  }
  /* then(outcome, data): outcome "ok", "queued" or "err". */
  function send(url, body, label, then) {
    body.idempotency_key = uuid();
    var item = { key: body.idempotency_key, url: url, body: body, label: label, at: Date.now() };
    function queued() { enqueue(item); show("queued", T.queued); then("queued", null); flush(); }
    if (!navigator.onLine || queue().length) { queued(); return Promise.resolve(); }
    return post(url, body).then(function (res) {
      if (res.session) { enqueue(item); show("err", T.session); then("queued", null); return; }
      if (!res.data || res.status >= 500) { queued(); return; }
      if (res.status < 300) { show("ok", res.data.message || label); then("ok", res.data); }
      else { show("err", errorText(res.data)); then("err", res.data); }
    }, queued);
  }
  window.addEventListener("online", flush);
  window.addEventListener("offline", renderQueue);
  setInterval(function () { if (queue().length) { flush(); } }, 15000);
  if ($("hh-send-now")) { $("hh-send-now").addEventListener("click", flush); }
  if ($("hh-errors-clear")) {
    $("hh-errors-clear").addEventListener("click", function () { save(EKEY, []); renderErrors(); });
  }

  /* ------------------------------------------------------------------ scans, in order */
  var chain = Promise.resolve();
  var handler = null;
  if (form && scan) {
    form.addEventListener("submit", function (e) {
      if (!handler) { return; }
      e.preventDefault();
      var code = scan.value.replace(/^\s+|\s+$/g, "");
      scan.value = "";
      refocus();
      if (!code) { return; }
      chain = chain.then(function () { return handler(code); })
        .catch(function () { show("err", T.server); });
    });
  }
  function prompt(text) { if (promptEl) { promptEl.textContent = text; } }
  function setText(id, text) { var el = $(id); if (el) { el.textContent = text; } }
  function upper(s) { return String(s || "").toUpperCase(); }

  /* What a product scan says: {gtin, lot} from a GS1 element string, else the code. */
  function gs1(code) {
    var c = code.replace(/[()\s]/g, ""), out = { gtin: null, lot: null };
    if (/^\d{13}$/.test(c) || /^\d{8}$/.test(c) || /^\d{12}$/.test(c)) { out.gtin = c; return out; }
    var m = /^(?:\]C1)?(01|02)(\d{14})(.*)$/.exec(c);
    if (!m) { return out; }
    out.gtin = m[2];
    var rest = m[3];
    var lot = /(?:^|\u001d)10([^\u001d]+)/.exec(rest);
    if (!lot) {
      var fixed = /^(?:1[1-7]\d{6}|37\d{1,8}\u001d?|3[1-3]\d{8})*10(.+)$/.exec(rest);
      if (fixed) { lot = [null, fixed[1]]; }
    }
    if (lot) { out.lot = lot[1]; }
    return out;
  }
  function sameGtin(a, b) {
    if (!a || !b) { return false; }
    var pa = a.replace(/^0+/, ""), pb = b.replace(/^0+/, "");
    return pa === pb;
  }

  /* ---- picking a wave */
  function pickFlow() {
    var waveId = root.getAttribute("data-wave");
    var lines = parse(root.getAttribute("data-lines"), []);
    var qty = $("pick-quantity"), reason = $("pick-reason"), reasonField = $("pick-reason-field");
    var confirmBtn = $("pick-confirm");
    var st = { i: -1, location: null, product: null };
    function open(l) { return l.state === "reserved" && !l.sent; }
    function nextIndex(from) {
      for (var k = 0; k < lines.length; k++) {
        var j = (from + k) % lines.length;
        if (open(lines[j])) { return j; }
      }
      return -1;
    }
    function current() { return st.i >= 0 ? lines[st.i] : null; }
    function checkShort() {
      var l = current();
      var short = !!l && qty.value.trim() !== "" && parseFloat(qty.value) < parseFloat(l.qty);
      reasonField.hidden = !short;
      return short;
    }
    function render() {
      var l = current();
      var allDone = !l;
      $("pick-line").hidden = allDone;
      $("pick-all-done").hidden = !allDone;
      setText("pick-done", String(lines.filter(function (x) { return !open(x); }).length));
      Array.prototype.forEach.call(document.querySelectorAll(".pick-row"), function (tr) {
        var line = lines.filter(function (x) { return String(x.move) === tr.getAttribute("data-move"); })[0];
        tr.classList.toggle("is-current", !!l && line === l);
        tr.classList.toggle("state-done", !!line && !open(line));
      });
      if (allDone) { prompt(T.all_done); return; }
      var step = !st.location ? "location" : !st.product ? "product" : "quantity";
      prompt(step === "location" ? T.scan_location + ": " + l.location_barcode :
        step === "product" ? T.scan_product + ": " + l.sku : T.confirm);
      setText("pick-location", l.location + " (" + l.location_barcode + ")");
      setText("pick-product", l.sku + (l.lot ? " · " + l.lot : ""));
      setText("pick-qty", l.qty);
      setText("pick-info", l.name + (l.expiry ? " · " + l.expiry : "") + " · " + l.order);
      Array.prototype.forEach.call(document.querySelectorAll("#pick-line .hh-step"), function (el) {
        var s = el.getAttribute("data-step");
        el.classList.toggle("is-current", s === step);
        el.classList.toggle("is-set", (s === "location" && !!st.location) ||
          (s === "product" && !!st.product));
      });
      confirmBtn.disabled = !(st.location && st.product);
    }
    function select(i) {
      st = { i: i, location: null, product: null };
      var l = current();
      qty.value = l ? l.qty : "";
      reason.value = "";
      checkShort();
      render();
    }
    qty.addEventListener("input", checkShort);
    handler = function (code) {
      var l = current();
      if (!l) { show("info", T.all_done); return; }
      if (!st.location) {
        if (upper(code) === upper(l.location_barcode)) { st.location = code; render(); show("ok", ""); return; }
        for (var k = 0; k < lines.length; k++) {  // another open line's location: go there
          if (open(lines[k]) && upper(lines[k].location_barcode) === upper(code)) {
            select(k); st.location = code; render(); show("ok", ""); return;
          }
        }
        show("err", T.wrong_location + " " + l.location_barcode);
        return;
      }
      var parsed = gs1(code);
      var fits = upper(code) === upper(l.sku) || (l.gtin && (upper(code) === upper(l.gtin) ||
        sameGtin(parsed.gtin, l.gtin)));
      if (!fits) { show("err", T.wrong_product + " " + l.sku); return; }
      if (parsed.lot && l.lot && parsed.lot !== l.lot) { show("err", T.wrong_product + " " + l.sku + " · " + l.lot); return; }
      if (st.product) {  // scanned again: one more piece than the field says
        var n = parseFloat(qty.value || "0") + 1;
        if (n <= parseFloat(l.qty)) { qty.value = String(n); }
      }
      st.product = code;
      checkShort();
      render();
      show("ok", "");
    };
    confirmBtn.addEventListener("click", function () {
      var l = current();
      if (!l || !st.location || !st.product) { return; }
      var short = checkShort();
      if (short && !reason.value.trim()) { show("err", T.reason_needed); reason.focus(); return; }
      var body = { wave: waveId, move: l.move, location: st.location, product: st.product,
                   quantity: qty.value.trim() };
      if (short) { body.reason = reason.value.trim(); }
      var label = qty.value.trim() + " × " + l.sku + " @ " + l.location_barcode;
      var line = l;
      chain = chain.then(function () {
        return send(urls.pick, body, label, function (outcome) {
          if (outcome === "err") { return; }
          line.sent = true;
          line.state = "done";
          var tr = document.querySelector('.pick-row[data-move="' + line.move + '"] .pick-picked');
          if (tr) { tr.textContent = body.quantity + " / "; }
          select(nextIndex(st.i + 1 < lines.length ? st.i + 1 : 0));
          if (!current()) { show("ok", T.all_done); }
        });
      });
    });
    $("pick-skip").addEventListener("click", function () { select(nextIndex(st.i + 1)); show("info", ""); });
    $("pick-reset").addEventListener("click", function () { select(st.i); show("info", ""); });
    select(nextIndex(0));
  }

  /* ---- the packing station */
  function packFlow() {
    var orderNo = root.getAttribute("data-order");
    var state = root.getAttribute("data-state");
    var items = parse(root.getAttribute("data-items"), []);
    var seen = {};
    var packBtn = $("pack-confirm");
    var tracking = $("pack-tracking"), weight = $("pack-weight");
    function allSeen() {
      return items.every(function (it) { return (seen[it.sku] || 0) >= parseFloat(it.qty); });
    }
    function render() {
      Array.prototype.forEach.call(document.querySelectorAll(".pack-items tr[data-sku]"), function (tr) {
        var sku = tr.getAttribute("data-sku");
        var it = items.filter(function (x) { return x.sku === sku; })[0];
        if (state === "picked") { tr.querySelector(".pack-seen").textContent = String(seen[sku] || 0); }
        tr.classList.toggle("is-set", state !== "picked" || (seen[sku] || 0) >= parseFloat(it.qty));
      });
      if (packBtn) { packBtn.disabled = !allSeen(); }
      if (state === "picked") { prompt(allSeen() ? T.scan_tracking : T.scan_items); }
    }
    function go(code) { window.location.assign(urls.pack_page + "?code=" + encodeURIComponent(code)); }
    handler = function (code) {
      if (!orderNo || state !== "picked") { go(code); return; }
      if (allSeen()) {
        if (tracking) { tracking.value = code; show("ok", ""); }
        return;
      }
      var parsed = gs1(code);
      var it = items.filter(function (x) {
        return upper(code) === upper(x.sku) || (x.gtin && (code === x.gtin || sameGtin(parsed.gtin, x.gtin)));
      })[0];
      if (!it) {
        if (upper(code) === upper(orderNo)) { show("info", ""); return; }
        show("err", T.not_in_order + " " + code); return;
      }
      if ((seen[it.sku] || 0) >= parseFloat(it.qty)) { show("err", T.too_many + " " + it.sku); return; }
      seen[it.sku] = (seen[it.sku] || 0) + 1;
      render();
      show("ok", "");
    };
    function write(url, body, label) {
      chain = chain.then(function () {
        return send(url, body, label, function (outcome) {
          if (outcome === "ok") { setTimeout(function () { go(orderNo); }, 600); }
        });
      });
    }
    if (packBtn) {
      packBtn.addEventListener("click", function () {
        if (!allSeen()) { show("err", T.not_checked); return; }
        write(urls.pack, { order: orderNo, tracking_no: tracking.value.trim(),
                           weight_kg: weight.value.trim() }, orderNo + " → " + tracking.value.trim());
      });
    }
    var ship = $("pack-ship");
    if (ship) { ship.addEventListener("click", function () { ship.disabled = true; write(urls.ship, { order: orderNo }, orderNo); }); }
    var arrive = $("pack-arrive");
    if (arrive) { arrive.addEventListener("click", function () { arrive.disabled = true; write(urls.arrive, { order: orderNo }, orderNo); }); }
    if (!orderNo) { prompt(T.scan_order); }
    render();
  }

  if (flow === "pick") { pickFlow(); }
  else if (flow === "pack") { packFlow(); }

  renderQueue();
  renderErrors();
  flush();
  later(refocus);
}());
