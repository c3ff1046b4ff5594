/* Returns centre handheld pages: bulk receiving into a consolidation batch, and grading.
 *
 * Same habits as handheld.js (one scan field that focus returns to, colour and sound for ok
 * and error, nothing inline because of the Content-Security-Policy). Every write carries an
 * idempotency key made here; when the network is down writes wait in localStorage (per user)
 * and are sent in order with their original keys, so a parcel is received once.
 */
(function () {
  "use strict";

  var S = window.WmsScanner;
  var parse = S.parse, load = S.load, save = S.save, uuid = S.uuid, csrf = S.csrf,
    beep = S.beep;
  var root = document.getElementById("hh");
  if (!root) { return; }
  var flow = root.getAttribute("data-flow") || "";
  var user = root.getAttribute("data-user") || "anonymous";
  var urls = parse(root.getAttribute("data-urls"), {});
  var T = parse(root.getAttribute("data-i18n"), {});
  var QKEY = "wms.rt.queue." + user, EKEY = "wms.rt.errors." + user;
  function $(id) { return document.getElementById(id); }
  var scan = $("hh-scan"), form = $("hh-scan-form"), msg = $("hh-msg");

  /* sound and colour */
  var timer = null;
  function show(kind, text) {
    msg.hidden = !text; msg.textContent = text || ""; msg.className = "hh-msg hh-msg-" + kind;
    if (kind === "info") { return; }
    document.body.classList.remove("hh-flash-ok", "hh-flash-err", "hh-flash-queued");
    void document.body.offsetWidth;
    document.body.classList.add("hh-flash-" + kind);
    clearTimeout(timer);
    timer = setTimeout(function () {
      document.body.classList.remove("hh-flash-ok", "hh-flash-err", "hh-flash-queued");
    }, 900);
    beep(kind !== "err");
    if (kind === "err" && navigator.vibrate) { navigator.vibrate([120, 60, 120]); }
  }

  /* focus */
  function editing(el) { return !!el && el !== scan && el.matches && el.matches("input, select, textarea"); }
  function refocus() { if (!editing(document.activeElement)) { scan.focus({ preventScroll: true }); } }
  function later(fn) { setTimeout(fn, 0); }
  scan.addEventListener("blur", function () { later(refocus); });
  document.addEventListener("click", function (e) {
    if (!e.target.closest("input, select, textarea, a, summary")) { later(refocus); }
  });
  var kbd = $("hh-keyboard");
  kbd.addEventListener("click", function () {
    var typing = scan.getAttribute("inputmode") !== "none";
    scan.setAttribute("inputmode", typing ? "none" : "text");
    kbd.setAttribute("aria-pressed", typing ? "false" : "true");
    scan.blur(); later(function () { scan.focus(); });
  });

  /* HTTP and the offline queue */
  function post(url, body) {
    var ctl = window.AbortController ? new AbortController() : null;
    var t = ctl ? setTimeout(function () { ctl.abort(); }, 10000) : null;
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body), signal: ctl ? ctl.signal : undefined
    }).then(function (r) {
      clearTimeout(t);
      if ((r.headers.get("Content-Type") || "").indexOf("application/json") < 0) {
        return { status: r.status, session: true };
      }
      return r.json().then(function (d) { return { status: r.status, data: d }; });
    }, function (e) { clearTimeout(t); throw e; });
  }
  function errorText(d) { return d && d.error && d.error.message ? d.error.message : T.server; }
  function queue() { return load(QKEY, []); }
  function renderQueue() {
    var n = queue().length, box = $("hh-queue");
    box.classList.toggle("hh-has-queue", n > 0);
    $("hh-queue-n").textContent = String(n);
    $("hh-net").textContent = navigator.onLine ? T.online : T.offline;
    $("hh-net").classList.toggle("hh-offline", !navigator.onLine);
  }
  function renderErrors() {
    var errs = load(EKEY, []), list = $("hh-errors-list");
    list.textContent = "";
    errs.forEach(function (e) {
      var li = document.createElement("li"); li.textContent = e.label + ": " + e.message; list.appendChild(li);
    });
    $("hh-errors").hidden = !errs.length;
  }
  var handlers = {};  // what a flow does with an answer: handlers[kind](data, item)
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
      save(QKEY, queue().filter(function (it) { return it.key !== item.key; }));
      if (res.status < 300) {
        if (handlers[item.kind]) { handlers[item.kind](res.data, item); }
        show("ok", T.sent + " " + (res.data.message || item.label));
      } else {
        var errs = load(EKEY, []);
        errs.push({ label: item.label, message: errorText(res.data) });
        save(EKEY, errs.slice(-50)); renderErrors();
        show("err", item.label + ": " + errorText(res.data));
      }
      flush();
    }, function () { flushing = false; renderQueue(); });
  }
  /* A write, sent now or queued; then(outcome, data). */
  function send(kind, body, label, then) {
    body.idempotency_key = uuid();
    var item = { key: body.idempotency_key, kind: kind, url: urls[kind], body: body, label: label };
    function queued() {
      var q = queue(); q.push(item); save(QKEY, q); renderQueue();
      show("queued", T.queued); if (then) { then("queued", null); }
      flush();
    }
    if (!navigator.onLine || queue().length) { queued(); return Promise.resolve(); }
    return post(item.url, body).then(function (res) {
      if (res.session || !res.data || res.status >= 500) { queued(); return; }
      if (res.status < 300) {
        if (handlers[kind]) { handlers[kind](res.data, item); }
        show(res.data.state === "unidentified" ? "err" : "ok", res.data.message || label);
        if (then) { then("ok", res.data); }
      } else {
        show("err", errorText(res.data));
        if (then) { then("err", res.data); }
      }
    }, queued);
  }
  window.addEventListener("online", flush);
  window.addEventListener("offline", renderQueue);
  setInterval(function () { if (queue().length) { flush(); } }, 15000);
  $("hh-send-now").addEventListener("click", flush);
  $("hh-errors-clear").addEventListener("click", function () { save(EKEY, []); renderErrors(); });

  var chain = Promise.resolve(), handler = null;
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var code = scan.value.replace(/^\s+|\s+$/g, "");
    scan.value = ""; refocus();
    if (!code || !handler) { return; }
    chain = chain.then(function () { return handler(code); }).catch(function () { show("err", T.server); });
  });

  function readPhoto(input) {
    var file = input && input.files && input.files[0];
    if (!file) { return Promise.resolve(null); }
    return new Promise(function (resolve) {
      var r = new FileReader();
      r.onload = function () { resolve(r.result); };
      r.onerror = function () { resolve(null); };
      r.readAsDataURL(file);
    });
  }

  /* ---- bulk receiving */
  function receiveFlow() {
    var list = $("rt-parcels"), count = $("rt-count"), unknown = $("rt-unknown");
    var batchEl = $("rt-batch"), arrive = $("rt-arrive");
    function add(d, label) {
      if (d && d.duplicate) { return; }
      var li = document.createElement("li");
      li.className = "rt-p rt-p-" + (d ? d.state : "queued");
      var b = document.createElement("b"); b.textContent = (d && d.code) || label || T.unlabelled;
      var s = document.createElement("span"); s.textContent = d ? (d["return"] || d.state_title) : T.queued;
      li.appendChild(b); li.appendChild(s);
      list.insertBefore(li, list.firstChild);
      $("rt-empty").hidden = true;
      count.textContent = String(parseInt(count.textContent, 10) + 1);
      if (d && d.state === "unidentified") { unknown.textContent = String(parseInt(unknown.textContent, 10) + 1); }
      if (d && d.batch) { batchEl.textContent = d.batch; batchEl.setAttribute("data-id", d.batch_id); arrive.disabled = false; }
    }
    handlers.scan = function (d) { add(d); };
    handlers.arrive = function () {
      list.textContent = ""; count.textContent = "0"; unknown.textContent = "0";
      batchEl.setAttribute("data-id", ""); arrive.disabled = true; $("rt-empty").hidden = false;
    };
    handler = function (code) {
      return send("scan", { code: code }, code, function (outcome) {
        if (outcome === "queued") { add(null, code); }
      });
    };
    $("rt-send-unlabelled").addEventListener("click", function () {
      var notes = $("rt-notes").value.replace(/^\s+|\s+$/g, "");
      chain = chain.then(function () {
        return readPhoto($("rt-photo")).then(function (photo) {
          var body = { notes: notes };
          if (photo) { body.photo = photo; }
          return send("scan", body, T.unlabelled, function (outcome) {
            if (outcome !== "err") { $("rt-notes").value = ""; $("rt-photo").value = ""; $("rt-unlabelled").open = false; }
          });
        });
      });
    });
    arrive.addEventListener("click", function () {
      var id = batchEl.getAttribute("data-id");
      if (!id || !window.confirm(T.arrive_confirm)) { return; }
      chain = chain.then(function () { return send("arrive", { batch: id }, batchEl.textContent); });
    });
  }

  /* ---- inspection */
  function inspectFlow() {
    var box = $("rt-return"), select = $("rt-line"), current = null;
    function render(d) {
      current = d; box.hidden = false;
      $("rt-return-name").textContent = d["return"] + " · " + d.state_title;
      $("rt-return-info").textContent = d.order + " · " + d.reason;
      select.textContent = "";
      d.lines.forEach(function (ln) {
        var o = document.createElement("option");
        o.value = ln.gnum;
        o.textContent = "#" + ln.gnum + " " + ln.sku + " × " + ln.qty + (ln.grade_title ? " — " + ln.grade_title : "");
        select.appendChild(o);
      });
    }
    handler = function (code) {
      if (!navigator.onLine) { show("err", T.offline); return null; }
      return post(urls.lookup, { code: code }).then(function (res) {
        if (res.status < 300 && res.data) { render(res.data); show("ok", res.data["return"]); }
        else { show("err", errorText(res.data)); }
      });
    };
    handlers.grade = function () {};
    Array.prototype.forEach.call(document.querySelectorAll(".rt-grade"), function (btn) {
      btn.addEventListener("click", function () {
        if (!current) { return; }
        var gnum = select.value, grade = btn.getAttribute("data-grade");
        chain = chain.then(function () {
          return readPhoto($("rt-photo")).then(function (photo) {
            var body = { "return": current["return"], gnum: parseInt(gnum, 10), grade: grade,
                         reason: $("rt-reason").value };
            if (photo) { body.photo = photo; }
            return send("grade", body, current["return"] + " #" + gnum, function (outcome, d) {
              if (outcome === "ok") {
                $("rt-reason").value = ""; $("rt-photo").value = "";
                var li = document.createElement("li"); li.textContent = d.message;
                $("hh-done").insertBefore(li, $("hh-done").firstChild);
              }
            });
          });
        });
      });
    });
  }

  if (flow === "receive") { receiveFlow(); } else if (flow === "inspect") { inspectFlow(); }
  renderQueue(); renderErrors(); flush(); later(refocus);
}());
