/* Dispatch pages: the board refreshing itself, copying a tracking link, and the loading
 * scanner with its offline queue.
 *
 * Plain JavaScript, nothing inline (the Content-Security-Policy forbids it); configuration
 * comes from data- attributes. The board polls a JSON endpoint that answers with the rows
 * rendered by the server's own template, so the page and the refresh never disagree.
 */
(function () {
  "use strict";

  var S = window.WmsScanner;
  var parse = S.parse, load = S.load, save = S.save, uuid = S.uuid, csrf = S.csrf;

  function $(id) { return document.getElementById(id); }

  /* ------------------------------------------------------------------ the board */

  function board() {
    var live = $("board-live"), rows = $("board-rows");
    if (!live || !rows) { return; }
    var url = live.getAttribute("data-url");
    var interval = Math.max(5, parseInt(live.getAttribute("data-interval"), 10) || 30) * 1000;
    var last = null, busy = false, timer = null;

    function signature(el) {
      var out = {};
      Array.prototype.forEach.call(el.querySelectorAll(".board-row"), function (row) {
        out[row.getAttribute("data-shipment")] = row.textContent.replace(/\s+/g, " ") +
          (row.querySelector(".pos") ? row.querySelector(".pos").getAttribute("data-x") : "");
      });
      return out;
    }

    function refresh() {
      if (busy) { return; }
      busy = true;
      live.classList.add("is-loading");
      var before = signature(rows);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) {
          var type = r.headers.get("Content-Type") || "";
          if (!r.ok || type.indexOf("application/json") < 0) { throw new Error("HTTP " + r.status); }
          return r.json();
        })
        .then(function (data) {
          live.classList.remove("is-stale");
          $("board-updated").textContent = data.updated;
          var alerts = $("board-alerts");
          if (alerts && typeof data.alerts === "number") {
            alerts.classList.toggle("has-alerts", data.alerts > 0);
            alerts.setAttribute("data-count", String(data.alerts));
          }
          if (data.html !== last) {
            last = data.html;
            rows.innerHTML = data.html;  // rendered and escaped by the server's template
            var after = signature(rows);
            Array.prototype.forEach.call(rows.querySelectorAll(".board-row"), function (row) {
              var id = row.getAttribute("data-shipment");
              if (before[id] !== undefined && before[id] !== after[id]) {
                row.classList.add("is-updated");
              }
            });
          }
        })
        .catch(function () { live.classList.add("is-stale"); })
        .then(function () { busy = false; live.classList.remove("is-loading"); });
    }

    function schedule() {
      clearInterval(timer);
      timer = setInterval(function () { if (!document.hidden) { refresh(); } }, interval);
    }
    var button = $("board-refresh");
    if (button) { button.addEventListener("click", function () { refresh(); schedule(); }); }
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { refresh(); }
    });
    schedule();
  }

  /* ------------------------------------------------------------------ copy a link */

  function copyButtons() {
    Array.prototype.forEach.call(document.querySelectorAll(".copy-button"), function (b) {
      b.addEventListener("click", function () {
        var input = $(b.getAttribute("data-copy"));
        if (!input) { return; }
        input.select();
        var done = function () { b.textContent = b.getAttribute("data-done") || b.textContent; };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(input.value).then(done, function () {
            try { document.execCommand("copy"); done(); } catch (e) { /* select is enough */ }
          });
        } else {
          try { document.execCommand("copy"); done(); } catch (e) { /* select is enough */ }
        }
      });
    });
  }

  /* ------------------------------------------------------------------ loading scanner */

  function loader() {
    var root = $("dl");
    if (!root) { return; }
    var urls = parse(root.getAttribute("data-urls"), {});
    var T = parse(root.getAttribute("data-i18n"), {});
    var user = root.getAttribute("data-user") || "anonymous";
    var QKEY = "wms.dl.queue." + user, NKEY = "wms.dl.node." + user, EKEY = "wms.dl.errors." + user;
    var scan = $("dl-scan"), form = $("dl-scan-form"), nodeSel = $("dl-node"), msg = $("dl-msg");
    var st = { mode: "load", unit: null };

    function show(kind, text) {
      msg.hidden = !text;
      msg.textContent = text || "";
      msg.className = "hh-msg hh-msg-" + kind;
      if (kind === "err" && navigator.vibrate) { navigator.vibrate([120, 60, 120]); }
    }
    function done(text) {
      var list = $("dl-done"), li = document.createElement("li");
      li.textContent = text;
      list.insertBefore(li, list.firstChild);
      while (list.children.length > 20) { list.removeChild(list.lastChild); }
    }
    function render() {
      $("dl-prompt").textContent = !nodeSel.value ? T.choose_node :
        st.mode === "unload" ? T.scan_unload : (st.unit ? T.scan_into : T.scan_unit);
      $("dl-unit").textContent = st.unit || "—";
      $("dl-into").textContent = "—";
      Array.prototype.forEach.call(document.querySelectorAll(".dl-mode"), function (b) {
        b.setAttribute("aria-pressed", b.getAttribute("data-mode") === st.mode ? "true" : "false");
      });
      var into = document.querySelector('.hh-step[data-step="into"]');
      into.hidden = st.mode === "unload";
      document.querySelector('.hh-step[data-step="unit"]').classList.toggle("is-current", !st.unit);
      into.classList.toggle("is-current", !!st.unit);
    }
    function queue() { return load(QKEY, []); }
    function renderQueue() {
      var n = queue().length;
      $("dl-queue-n").textContent = String(n);
      $("dl-queue").classList.toggle("hh-has-queue", n > 0);
      var net = $("dl-net");
      net.textContent = navigator.onLine ? T.online : T.offline;
      net.classList.toggle("hh-offline", !navigator.onLine);
    }
    function renderErrors() {
      var errs = load(EKEY, []), list = $("dl-errors-list");
      list.textContent = "";
      errs.forEach(function (e) {
        var li = document.createElement("li");
        li.textContent = e.label + ": " + e.message;
        list.appendChild(li);
      });
      $("dl-errors").hidden = errs.length === 0;
    }
    function post(body) {
      var ctl = window.AbortController ? new AbortController() : null;
      var timer = ctl ? setTimeout(function () { ctl.abort(); }, 10000) : null;
      return fetch(urls.scan, {
        method: "POST", credentials: "same-origin", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json", "Accept": "application/json",
                   "X-CSRFToken": csrf() },
        signal: ctl ? ctl.signal : undefined
      }).then(function (r) {
        clearTimeout(timer);
        var type = r.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") < 0) { return { status: r.status, session: true }; }
        return r.json().then(function (data) { return { status: r.status, data: data }; });
      }, function (err) { clearTimeout(timer); throw err; });
    }
    var flushing = false;
    function flush() {
      renderQueue();
      var q = queue();
      if (flushing || !navigator.onLine || !q.length) { return; }
      flushing = true;
      var item = q[0];
      post(item.body).then(function (res) {
        flushing = false;
        if (res.session) { show("err", T.session); return; }
        if (!res.data || res.status >= 500) { show("err", T.server); return; }
        save(QKEY, queue().filter(function (it) { return it.body.idempotency_key !== item.body.idempotency_key; }));
        if (res.status < 300) { done(T.sent + " " + (res.data.message || item.label)); }
        else {
          var errs = load(EKEY, []);
          errs.push({ label: item.label, message: (res.data.error || {}).message || "" });
          save(EKEY, errs.slice(-50));
          renderErrors();
        }
        flush();
      }, function () { flushing = false; renderQueue(); });
    }
    function send(body, label) {
      body.idempotency_key = uuid();  // the scan id: a replay is recorded once
      var item = { body: body, label: label };
      function queued() {
        var q = queue(); q.push(item); save(QKEY, q);
        show("queued", T.queued); renderQueue();
      }
      if (!navigator.onLine || queue().length) { queued(); flush(); return Promise.resolve(); }
      return post(body).then(function (res) {
        if (res.session) { queued(); show("err", T.session); return; }
        if (!res.data || res.status >= 500) { queued(); return; }
        if (res.status < 300) { show("ok", res.data.message || label); done(res.data.message || label); }
        else { show("err", ((res.data.error || {}).message) || T.server); }
      }, queued);
    }

    nodeSel.value = load(NKEY, "") || "";
    nodeSel.addEventListener("change", function () { save(NKEY, nodeSel.value); render(); scan.focus(); });
    Array.prototype.forEach.call(document.querySelectorAll(".dl-mode"), function (b) {
      b.addEventListener("click", function () {
        st.mode = b.getAttribute("data-mode"); st.unit = null; render(); show("info", ""); scan.focus();
      });
    });
    $("dl-reset").addEventListener("click", function () { st.unit = null; render(); show("info", ""); scan.focus(); });
    $("dl-send-now").addEventListener("click", flush);
    var chain = Promise.resolve();
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var code = scan.value.replace(/^\s+|\s+$/g, "");
      scan.value = "";
      if (!code) { return; }
      if (!nodeSel.value) { show("err", T.choose_node); nodeSel.focus(); return; }
      var node = nodeSel.value;
      if (st.mode === "load" && !st.unit) { st.unit = code; render(); show("info", ""); return; }
      var body, label;
      if (st.mode === "load") {
        body = { mode: "load", unit: st.unit, into: code, node: node };
        label = T.load + " " + st.unit + " → " + code;
        st.unit = null;
      } else {
        body = { mode: "unload", unit: code, node: node };
        label = T.unload + " " + code;
      }
      render();
      chain = chain.then(function () { return send(body, label); })
        .catch(function () { show("err", T.server); });
    });
    window.addEventListener("online", flush);
    window.addEventListener("offline", renderQueue);
    setInterval(function () { if (queue().length) { flush(); } }, 15000);
    render(); renderQueue(); renderErrors(); flush();
  }

  board();
  copyButtons();
  loader();
}());
