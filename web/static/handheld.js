/* Handheld pages: scan anything, putaway and transfer, cycle count (the tally is tally.js).
 *
 * Only the flows live here. The scan field and its focus, colour, sound, idempotency keys
 * and the offline queue are the scanner component's (scanner.js); configuration comes from
 * data- attributes on #hh, nothing inline (the Content-Security-Policy forbids it). A write
 * made without network waits in the user's one queue and is sent, with its original key,
 * by whichever scanner page is open when the network is back.
 */
(function () {
  "use strict";

  var S = window.WmsScanner, scanner = S.scanner;
  var parse = S.parse, load = S.load, save = S.save;

  var root = document.getElementById("hh");
  if (!root || !scanner) { return; }
  var flow = root.getAttribute("data-flow") || "";
  var user = root.getAttribute("data-user") || "anonymous";
  var urls = parse(root.getAttribute("data-urls"), {});
  var T = parse(root.getAttribute("data-i18n"), {});
  var CKEY = "wms.hh.count." + user;
  var READ_TIMEOUT = 6000;
  var show = scanner.show, prompt = scanner.prompt, send = scanner.send, post = scanner.post,
    later = scanner.later, refocus = scanner.refocus;

  function $(id) { return document.getElementById(id); }
  function setText(id, text) { var el = $(id); if (el) { el.textContent = text; } }
  function firstMatch(info, type) {
    var m = (info && info.matches) || [];
    for (var i = 0; i < m.length; i++) { if (m[i].type === type) { return m[i]; } }
    return null;
  }

  /* A lookup; resolves null when offline or on any failure (lookups are a convenience). */
  function explain(code) {
    if (!navigator.onLine || !urls.explain) { return Promise.resolve(null); }
    return post(urls.explain, { code: code }, READ_TIMEOUT).then(function (res) {
      if (res.session) { show("err", scanner.T.session); return null; }
      return res.data && res.status < 300 ? res.data : null;
    }, function () { return null; });
  }

  /* ---- scan anything */
  function scanFlow() {
    var result = $("hh-result");
    scanner.onScan(function (code) {
      if (!navigator.onLine) { show("err", T.not_looked_up); return null; }
      result.textContent = T.looking;
      return explain(code).then(function (info) {
        if (!info) { result.textContent = ""; show("err", scanner.T.server); return; }
        result.innerHTML = info.html;  // rendered (and escaped) by the server's template
        show(info.ok ? "ok" : "err", info.verdict);
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", "?code=" + encodeURIComponent(code));
        }
      });
    });
  }

  /* ---- putaway and internal transfer */
  function moveFlow() {
    var putaway = flow === "putaway";
    var qty = $("hh-qty"), lot = $("hh-lot"), detail = $("hh-detail");
    var choices = $("hh-choices"), info = $("hh-info");
    var st = {};
    var qtySet = false;
    function clearItem() {
      st.item = null; st.itemLabel = null; st.isPackage = false;
      st.owner = null; st.status = null; st.lastDestination = null;
      qty.value = "1"; qtySet = false; lot.value = "";
      choices.hidden = true; choices.textContent = ""; info.textContent = "";
      showSuggestion(null);
    }
    /* Putaway: where the rules say the goods should go (the operator still scans it). */
    var suggestRow = $("hh-suggest-row");
    function showSuggestion(data) {
      if (!suggestRow) { return; }
      var place = data && data.suggestion;
      suggestRow.hidden = !data;
      suggestRow.classList.toggle("is-none", !!data && !place);
      setText("hh-suggest", place ? place.path + " (" + place.barcode + ")" :
        (data ? data.message : "—"));
    }
    function suggest(code) {
      if (!putaway || !urls.suggest || !navigator.onLine) { return null; }
      var body = { item: code };
      if (st.source) { body.source = st.source; }
      if (qtySet) { body.quantity = qty.value; }
      return post(urls.suggest, body, READ_TIMEOUT).then(function (res) {
        if (st.item !== code || !res.data || res.status >= 300) { return; }
        showSuggestion(res.data);
      }, function () { /* a suggestion is a convenience */ });
    }
    function reset() { st.source = null; st.sourceLabel = null; st.sourcePath = null; clearItem(); }
    qty.addEventListener("input", function () { qtySet = true; });
    function step() {
      if (!putaway && !st.source) { return "source"; }
      return st.item ? "destination" : "item";
    }
    function render() {
      var s = step();
      prompt(s === "source" ? T.scan_source : s === "item" ?
        (putaway ? T.scan_item_or_source : T.scan_item) : T.scan_destination);
      setText("hh-source", st.sourceLabel || st.source || (putaway ? T.input_area : "—"));
      setText("hh-item", st.itemLabel || st.item || "—");
      setText("hh-destination", "—");
      Array.prototype.forEach.call(document.querySelectorAll(".hh-step"), function (el) {
        el.classList.toggle("is-current", el.getAttribute("data-step") === s);
        el.classList.toggle("is-set", (el.getAttribute("data-step") === "source" && !!st.source) ||
          (el.getAttribute("data-step") === "item" && !!st.item));
      });
      detail.hidden = !st.item || st.isPackage;
    }
    function chooseButtons(list, pick) {
      choices.textContent = "";
      var p = document.createElement("p");
      p.textContent = T.choose;
      choices.appendChild(p);
      list.forEach(function (c) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "hh-choice";
        b.textContent = c.text;
        b.addEventListener("click", function () { choices.hidden = true; pick(c); later(refocus); });
        choices.appendChild(b);
      });
      choices.hidden = false;
    }
    function submit(destination) {
      var body = { item: st.item, destination: destination };
      if (st.source) { body.source = st.source; }
      if (!st.isPackage) {
        if (qtySet) { body.quantity = qty.value; }
        if (lot.value.trim()) { body.lot = lot.value.trim(); }
        if (st.owner) { body.owner = st.owner; }
        if (st.status) { body.customs_status = st.status; }
      }
      var label = (st.isPackage ? "" : (qtySet ? qty.value : "1") + " × ") +
        (st.itemLabel || st.item) + " → " + destination;
      return send(urls[flow], body, label, function (outcome, data) {
        if (outcome !== "err") { clearItem(); render(); return; }
        var e = (data && data.error) || {};
        var field = e.field || "";
        if (e.code === "choose_stock" && e.choices) {
          st.lastDestination = destination;
          chooseButtons(e.choices.map(function (c) {
            return { text: [c.lot || "—", c.owner_name, c.customs_status_title, c.quantity]
              .join(" · "), c: c };
          }), function (pick) {
            lot.value = pick.c.lot || "";
            st.owner = pick.c.owner;
            st.status = pick.c.customs_status;
            scanner.serial(function () { return submit(st.lastDestination); });
          });
        } else if (field === "item") { clearItem(); }
        else if (field === "source") { st.source = null; st.sourceLabel = null; }
        render();
      });
    }
    scanner.onScan(function (code) {
      var s = step();
      if (s === "source") {
        st.source = code;
        render();
        return explain(code).then(function (i) {
          var loc = firstMatch(i, "location");
          if (i && !loc) { st.source = null; render(); show("err", i.verdict); return; }
          if (loc) { st.sourceLabel = loc.path; st.sourcePath = loc.path; render(); }
          show("ok", "");
        });
      }
      if (s === "item") {
        clearItem();
        st.item = code;
        st.isPackage = /^(\(00\)|00)?\d{18}$/.test(code.replace(/\s/g, ""));
        render();
        return explain(code).then(function (i) {
          if (!i) { show("info", T.not_looked_up); return; }
          if (!i.ok) { clearItem(); render(); show("err", i.verdict); return; }
          var loc = firstMatch(i, "location"), pkg = firstMatch(i, "package");
          var product = firstMatch(i, "product");
          if (loc && !pkg && !product) {  // a location first: where the goods come from
            clearItem();
            st.source = code; st.sourceLabel = loc.path; st.sourcePath = loc.path;
            render(); show("ok", ""); return;
          }
          if (pkg) {
            st.isPackage = true;
            st.itemLabel = T.package + " " + pkg.sscc + (pkg.location ? " @ " + pkg.location : "");
          } else if (product) {
            st.itemLabel = product.sku;
            var parts = i.parts || {};
            if (parts.count && !qtySet) { qty.value = String(parts.count); qtySet = true; }
            if (parts.lot) { lot.value = parts.lot; }
            else if (product.track_lot) {
              var here = (product.stock || []).filter(function (row) {
                return st.sourcePath ? row.location === st.sourcePath :
                  /\/Input$/.test(row.location) && (!putaway || row.customs_status === "bonded");
              });
              var lots = [];
              here.forEach(function (row) {
                if (row.lot && lots.indexOf(row.lot) < 0) { lots.push(row.lot); }
              });
              if (lots.length === 1) { lot.value = lots[0]; }
              else if (lots.length > 1) {
                chooseButtons(lots.map(function (l) { return { text: l, lot: l }; }),
                  function (pick) { lot.value = pick.lot; });
              }
            }
            info.textContent = product.name_zh || "";
          }
          render();
          show("ok", "");
          return suggest(code);
        });
      }
      return submit(code);
    });
    $("hh-reset").addEventListener("click", function () { reset(); render(); show("info", ""); });
    /* Putaway: a waiting lot's button selects it whole (the keypad may take less). */
    Array.prototype.forEach.call(document.querySelectorAll(".hh-lot-button"), function (b) {
      b.addEventListener("click", function () {
        var sscc = b.getAttribute("data-sscc"), sku = b.getAttribute("data-sku");
        var lotName = b.getAttribute("data-lot");
        clearItem();
        st.item = sscc || sku;
        st.isPackage = !!sscc;
        st.itemLabel = sscc ? T.package + " " + sscc : sku + (lotName ? " (" + lotName + ")" : "");
        if (!sscc) {
          lot.value = lotName; qty.value = b.getAttribute("data-quantity"); qtySet = true;
          st.status = b.getAttribute("data-status");
        }
        render(); show("ok", "");
        later(refocus);
        scanner.serial(function () { return suggest(st.item); });
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll(".hh-put-all"), function (b) {
      b.addEventListener("click", function () {
        var name = b.getAttribute("data-receipt");
        if (!window.confirm(T.put_all_confirm)) { later(refocus); return; }
        b.disabled = true;
        scanner.serial(function () {
          return send(urls.putaway_all, { receipt: name }, name, function (outcome) {
            if (outcome === "ok") { setTimeout(function () { window.location.reload(); }, 900); }
            else { b.disabled = false; }
          });
        });
      });
    });
    reset();
    render();
  }

  /* ---- cycle count: kept on this device until submitted as one write */
  function countFlow() {
    var qty = $("hh-qty"), lot = $("hh-lot"), tbody = $("hh-lines");
    var resultBox = $("hh-count-result");
    var qtySet = false;
    var st = load(CKEY, null) || { location: null, label: null, lines: [] };
    qty.addEventListener("input", function () { qtySet = true; });
    function persist() { save(CKEY, st); }
    function render() {
      prompt(st.location ? T.scan_products : T.scan_location);
      setText("hh-location", st.label || st.location || "—");
      var step = document.querySelector('.hh-step[data-step="location"]');
      if (step) {
        step.classList.toggle("is-current", !st.location);
        step.classList.toggle("is-set", !!st.location);
      }
      var grouped = [], index = {};
      st.lines.forEach(function (ln) {
        var key = (ln.label || ln.code) + "\u0000" + (ln.lot || "");
        if (!(key in index)) {
          index[key] = grouped.length;
          grouped.push({ label: ln.label || ln.code, lot: ln.lot || "", qty: 0 });
        }
        grouped[index[key]].qty += parseFloat(ln.shown || ln.quantity || "1") || 0;
      });
      tbody.textContent = "";
      grouped.forEach(function (g) {
        var tr = document.createElement("tr");
        [g.label, g.lot || "—", String(Math.round(g.qty * 1000) / 1000)].forEach(function (t, i) {
          var td = document.createElement("td");
          td.textContent = t;
          if (i === 2) { td.className = "num"; }
          tr.appendChild(td);
        });
        tbody.appendChild(tr);
      });
      $("hh-lines-empty").hidden = grouped.length > 0;
    }
    function clear() { st = { location: null, label: null, lines: [] }; persist(); render(); }
    function showResult(data) {
      resultBox.textContent = "";
      var h = document.createElement("h2");
      h.textContent = data.message;
      resultBox.appendChild(h);
      var table = document.createElement("table");
      table.className = "hh-table";
      (data.lines || []).forEach(function (ln) {
        var tr = document.createElement("tr");
        [ln.sku + (ln.lot ? " · " + ln.lot : ""), ln.expected, ln.counted,
          ln.difference].forEach(function (t, i) {
          var td = document.createElement("td");
          td.textContent = t;
          if (i > 0) { td.className = "num"; }
          tr.appendChild(td);
        });
        table.appendChild(tr);
      });
      resultBox.appendChild(table);
      resultBox.hidden = false;
    }
    scanner.onScan(function (code) {
      resultBox.hidden = true;
      if (!st.location) {
        st.location = code; st.label = null; persist(); render();
        return explain(code).then(function (i) {
          var loc = firstMatch(i, "location");
          if (i && !loc) { st.location = null; persist(); render(); show("err", i.verdict); return; }
          if (loc) { st.label = loc.path; persist(); render(); }
          show("ok", "");
        });
      }
      var line = { code: code, lot: lot.value.trim() || null,
                   quantity: qtySet ? qty.value.trim() : null, label: null };
      st.lines.push(line);
      qty.value = "1"; qtySet = false; lot.value = "";
      persist(); render();
      return explain(code).then(function (i) {
        if (!i) { show("info", T.not_looked_up); return; }
        var product = firstMatch(i, "product");
        if (!i.ok || !product) {
          st.lines = st.lines.filter(function (l) { return l !== line; });
          persist(); render();
          show("err", i.ok ? i.verdict + " " + T.scan_products : i.verdict);
          return;
        }
        line.label = product.sku;
        var parts = i.parts || {};
        if (parts.lot && !line.lot) { line.lot = parts.lot; }
        if (parts.count && !line.quantity) { line.shown = String(parts.count); }
        persist(); render();
        show("ok", "");
      });
    });
    $("hh-undo").addEventListener("click", function () {
      st.lines.pop(); persist(); render(); show("info", "");
    });
    $("hh-cancel").addEventListener("click", function () {
      if (!st.lines.length || window.confirm(T.confirm_cancel)) { clear(); show("info", ""); }
    });
    $("hh-submit").addEventListener("click", function () {
      if (!st.location || !st.lines.length) { show("err", T.count_empty); return; }
      var body = { location: st.location, lines: st.lines.map(function (l) {
        var out = { code: l.code };
        if (l.lot) { out.lot = l.lot; }
        if (l.quantity) { out.quantity = l.quantity; }
        return out;
      }) };
      var label = T.counted + " " + (st.label || st.location);
      scanner.serial(function () {
        return send(urls.count, body, label, function (outcome, data) {
          if (outcome === "ok") { clear(); showResult(data); }
          else if (outcome === "queued") { clear(); }
        });
      });
    });
    render();
  }

  /* ---- the home: what waits for this user, counts read again every half minute */
  function tasksFlow() {
    var REFRESH = 30000;
    function refresh() {
      if (document.hidden || !navigator.onLine || !urls.tasks) { return; }
      scanner.getJSON(urls.tasks).then(function (res) {
        if (!res.data || res.status >= 300) { return; }
        res.data.tasks.forEach(function (t) {
          var badge = document.querySelector('.hh-task[data-task="' + t.code + '"] .hh-count');
          if (!badge) { return; }
          badge.textContent = String(t.count);
          badge.setAttribute("data-count", String(t.count));
          badge.classList.toggle("has-work", t.count > 0);
        });
        setText("hh-tasks-updated", T.updated + " " + new Date().toLocaleTimeString());
      }, function () { /* offline: the counts stay as they were */ });
    }
    setInterval(refresh, REFRESH);
    document.addEventListener("visibilitychange", refresh);
    window.addEventListener("pageshow", function (e) { if (e.persisted) { refresh(); } });
  }

  if (flow === "index") { tasksFlow(); }
  else if (flow === "scan") { scanFlow(); }
  else if (flow === "putaway" || flow === "transfer") { moveFlow(); }
  else if (flow === "count") { countFlow(); }
}());
