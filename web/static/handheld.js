/* Handheld pages: scan anything, putaway and transfer, cycle count, tally.
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
  var parse = S.parse, load = S.load, save = S.save, csrf = S.csrf;

  var root = document.getElementById("hh");
  if (!root || !scanner) { return; }
  var flow = root.getAttribute("data-flow") || "";
  var user = root.getAttribute("data-user") || "anonymous";
  var urls = parse(root.getAttribute("data-urls"), {});
  var T = parse(root.getAttribute("data-i18n"), {});
  var CKEY = "wms.hh.count." + user;
  var READ_TIMEOUT = 6000;
  var show = scanner.show, prompt = scanner.prompt, send = scanner.send, post = scanner.post,
    getJSON = scanner.getJSON, errorText = scanner.errorText, later = scanner.later,
    refocus = scanner.refocus;

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
                  /\/Input$/.test(row.location);
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

  /* ---- tally: the receipt, then its goods; the table is the server's, read after each scan */
  function tallyFlow() {
    var box = $("hh-tally");
    var TKEY = "wms.hh.tally." + user;
    var RECEIPT = /^[A-Z0-9]{2,12}\/IN\/\d{4}\/\d{3,}$/i;
    var REFRESH = 10000;
    var qty = $("hh-qty"), lot = $("hh-lot"), expiry = $("hh-expiry");
    var damaged = $("hh-damaged"), correction = $("hh-correction"), reason = $("hh-reason");
    var photoInput = $("hh-photo"), choices = $("hh-choices");
    var st = { receipt: null, info: null, pending: null, photo: null, photoWait: null };
    var qtySet = false, lastRefresh = 0;

    qty.addEventListener("input", function () { qtySet = true; });

    function el(tag, cls, text) {
      var e = document.createElement(tag);
      if (cls) { e.className = cls; }
      if (text !== undefined && text !== null) { e.textContent = text; }
      return e;
    }
    function clearFields() {
      qty.value = "1"; qtySet = false; lot.value = ""; expiry.value = "";
      choices.hidden = true; choices.textContent = "";
    }
    function setPending(code) {
      st.pending = code;
      $("hh-pending").hidden = !code;
      setText("hh-pending-code", code ? code + " — " + T.send_again : "");
    }

    /* ------------------------------------------------ photo: uploaded at once, never queued */
    function photoState(text, src) {
      $("hh-photo-state").hidden = !text;
      setText("hh-photo-text", text || "");
      var img = $("hh-photo-preview");
      if (img.src && img.src.indexOf("blob:") === 0) { URL.revokeObjectURL(img.src); }
      if (src) { img.src = src; img.hidden = false; }
      else { img.removeAttribute("src"); img.hidden = true; }
    }
    function removePhoto() { st.photo = null; st.photoWait = null; photoState(null, null); }
    photoInput.addEventListener("change", function () {
      var file = photoInput.files && photoInput.files[0];
      photoInput.value = "";
      later(refocus);
      if (!file) { return; }
      if (!navigator.onLine) { removePhoto(); show("err", T.photo_offline); return; }
      var data = new FormData();
      data.append("photo", file);
      st.photo = null;
      photoState(T.photo_sending, null);
      st.photoWait = fetch(urls.tally_photo, {
        method: "POST", credentials: "same-origin", body: data,
        headers: { "X-CSRFToken": csrf(), "Accept": "application/json" }
      }).then(function (r) {
        return r.json().then(function (d) { return { status: r.status, data: d }; });
      }).then(function (res) {
        st.photoWait = null;
        if (res.status >= 300) { removePhoto(); show("err", errorText(res.data)); return; }
        st.photo = res.data.photo;
        photoState(T.photo_ready, URL.createObjectURL(file));
        show("ok", res.data.message);
      }, function () {
        removePhoto();
        show("err", navigator.onLine ? scanner.T.server : T.photo_offline);
      });
    });
    $("hh-photo-remove").addEventListener("click", function () { removePhoto(); later(refocus); });

    /* ------------------------------------------------ what the page shows */
    function render() {
      var r = st.info && st.info.receipt;
      prompt(!st.receipt ? T.scan_receipt : correction.checked ? T.scan_goods_back : T.scan_goods);
      setText("hh-receipt", (r && r.name) || st.receipt || "—");
      var step = document.querySelector('.hh-step[data-step="receipt"]');
      step.classList.toggle("is-current", !st.receipt);
      step.classList.toggle("is-set", !!st.receipt);
      $("hh-tally-form").hidden = !st.receipt || (r && !r.open);
      $("hh-change").hidden = !st.receipt;
      $("hh-damage").hidden = !damaged.checked;
      $("hh-correction-note").hidden = !correction.checked;
      box.classList.toggle("is-correction", correction.checked);
      box.classList.toggle("is-damaged", damaged.checked);
      box.setAttribute("data-state", r ? r.state : "");
      var info = $("hh-receipt-info");
      info.textContent = "";
      if (r) {
        info.appendChild(el("span", "hh-badge " + (r.open ? "ok" : "err"), r.state_title));
        info.appendChild(document.createTextNode(" " + r.owner + " · " + r.supplier));
      }
      renderTable();
      renderRecent();
      renderDiscrepancies(st.info ? st.info.discrepancies : [], r && r.links);
    }

    function renderTable() {
      var card = $("hh-progress-card"), table = $("hh-progress-table");
      var data = st.info;
      card.hidden = !data;
      Array.prototype.slice.call(table.tBodies).forEach(function (b) { table.removeChild(b); });
      if (!data) { return; }
      data.rows.forEach(function (row) {
        var tb = el("tbody", "hh-tally-row is-" + row.status);
        if (row.difference !== "0" || row.status === "unexpected" || row.status === "wrong_lot") {
          tb.classList.add("hh-diff");
        }
        tb.setAttribute("data-sku", row.sku);
        tb.setAttribute("data-lot", row.lot || "");
        var head = el("tr", "hh-line-head"), td = el("td");
        td.colSpan = 3;
        td.appendChild(el("b", null, row.sku));
        if (row.lot) { td.appendChild(document.createTextNode(" · " + T.lot + " " + row.lot)); }
        if (row.status === "unexpected" || row.status === "wrong_lot") {
          td.appendChild(document.createTextNode(" "));
          td.appendChild(el("span", "hh-badge err", row.status_title));
        }
        if (row.sscc && row.sscc.length) {
          td.appendChild(el("br"));
          td.appendChild(el("code", "hh-sscc", row.sscc.join(" ")));
        }
        head.appendChild(td);
        tb.appendChild(head);
        var nums = el("tr");
        nums.appendChild(el("td", "num hh-expected", row.expected));
        var tallied = el("td", "num hh-tallied");
        tallied.appendChild(el("b", null, row.tallied));
        nums.appendChild(tallied);
        nums.appendChild(el("td", "num hh-damaged" + (row.damaged !== "0" ? " has-damage" : ""),
                            row.damaged));
        tb.appendChild(nums);
        table.appendChild(tb);
      });
      if (data.rows.length > 1) {
        var total = el("tbody", "hh-total"), tr = el("tr");
        tr.appendChild(el("td", "num", data.totals.expected));
        tr.appendChild(el("td", "num", data.totals.tallied));
        tr.appendChild(el("td", "num", data.totals.damaged));
        total.appendChild(tr);
        table.appendChild(total);
      }
      $("hh-progress-empty").hidden = data.rows.length > 0;
      var r = data.receipt;
      $("hh-close").hidden = !r.closable || box.getAttribute("data-can-close") !== "true";
      var links = $("hh-links");
      links.textContent = "";
      if (r.links && r.links.desk) {
        var a = el("a", null, T.receipt_page + " " + r.name);
        a.href = r.links.desk;
        links.appendChild(a);
      }
      if (r.links && r.links.discrepancies_pdf) {
        links.appendChild(document.createTextNode(" · "));
        var pdf = el("a", null, T.discrepancy_pdf);
        pdf.href = r.links.discrepancies_pdf;
        links.appendChild(pdf);
      }
      links.hidden = !links.firstChild;
    }

    function renderRecent() {
      var list = $("hh-recent"), recent = (st.info && st.info.recent) || [];
      list.textContent = "";
      recent.forEach(function (s) {
        var li = el("li", s.condition === "damaged" ? "is-damaged" : null);
        li.appendChild(el("span", "muted", s.at + " "));
        li.appendChild(document.createTextNode(s.quantity + " × " + s.sku +
          (s.lot ? " (" + s.lot + ")" : "")));
        if (s.condition === "damaged") {
          li.appendChild(document.createTextNode(" · " + T.damaged +
            (s.reason ? ": " + s.reason : "")));
        }
        if (s.photo) {
          li.appendChild(document.createTextNode(" · "));
          var a = el("a", null, T.photo);
          a.href = s.photo; a.target = "_blank"; a.rel = "noopener";
          li.appendChild(a);
        }
        li.appendChild(el("span", "muted", " · " + T.by + " " + s.by));
        list.appendChild(li);
      });
      $("hh-recent-card").hidden = !recent.length;
    }

    function renderDiscrepancies(list, links) {
      var card = $("hh-discrepancies"), out = $("hh-discrepancy-list");
      var closed = !!(links && links.discrepancies_pdf);
      card.hidden = !closed;
      out.textContent = "";
      if (!closed) { return; }
      if (!list || !list.length) { out.appendChild(el("p", "muted", T.no_discrepancies)); return; }
      list.forEach(function (d) {
        var p = el("p", "hh-disc is-" + d.kind);
        p.appendChild(el("span", "hh-badge err", d.kind_title));
        p.appendChild(document.createTextNode(" "));
        p.appendChild(el("b", null, d.sku));
        if (d.lot) { p.appendChild(document.createTextNode(" · " + T.lot + " " + d.lot)); }
        p.appendChild(el("span", "muted", T.expected + " " + d.expected + " · " +
          (d.kind === "damaged" ? T.damaged : T.counted) + " " + d.tallied));
        out.appendChild(p);
      });
    }

    /* ------------------------------------------------ reads */
    function refresh() {
      var name = st.receipt;
      if (!name || !navigator.onLine) { return Promise.resolve(null); }
      lastRefresh = Date.now();
      return getJSON(urls.tally_progress + "?receipt=" + encodeURIComponent(name))
        .then(function (res) {
          if (st.receipt !== name) { return null; }
          if (res.session) { show("err", scanner.T.session); return null; }
          if (res.data && res.status < 300) {
            st.info = res.data;
            setText("hh-updated", T.updated + " " + new Date().toLocaleTimeString());
            render();
          }
          return res;
        }, function () { return null; });
    }
    function chooseReceipt(code, quiet) {
      st.receipt = code; st.info = null;
      save(TKEY, code);
      setPending(null); clearFields(); render();
      if (!navigator.onLine) { show("info", T.not_looked_up); return null; }
      return refresh().then(function (res) {
        if (!res || !res.data) { return; }
        if (res.status >= 300) {
          st.receipt = null; save(TKEY, null); render();
          show("err", errorText(res.data));
          return;
        }
        var r = res.data.receipt;
        st.receipt = r.name; save(TKEY, r.name); render();
        if (!r.open) { show("err", r.message); }
        else if (!quiet) { show("ok", ""); }
      });
    }
    setInterval(function () {
      if (st.receipt && !document.hidden && Date.now() - lastRefresh > REFRESH - 500) { refresh(); }
    }, REFRESH);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && st.receipt) { refresh(); }
    });
    window.addEventListener("online", function () { if (st.receipt) { refresh(); } });
    scanner.onReplay(function (item) {
      if (st.receipt && (item.url === urls.tally || item.url === urls.tally_close)) { refresh(); }
    });

    /* ------------------------------------------------ writes */
    function fieldFor(name) {
      return { lot: lot, expiry_date: expiry, quantity: qty, damage_reason: reason }[name] || null;
    }
    function sendItem(code) {
      var body = { receipt: st.receipt, item: code };
      if (qtySet && qty.value.trim()) { body.quantity = qty.value.trim(); }
      if (lot.value.trim()) { body.lot = lot.value.trim(); }
      if (expiry.value) { body.expiry_date = expiry.value; }
      if (correction.checked) { body.correction = true; }
      if (damaged.checked) {
        body.damaged = true;
        body.damage_reason = reason.value.trim();
        if (st.photo) { body.photo = st.photo; }
      }
      var label = (correction.checked ? "− " : "") + (body.quantity ? body.quantity + " × " : "") +
        code + " → " + st.receipt;
      setPending(null);
      choices.hidden = true;
      return send(urls.tally, body, label, function (outcome, data) {
        if (outcome !== "err") {
          clearFields();
          if (damaged.checked) { damaged.checked = false; reason.value = ""; removePhoto(); }
          correction.checked = false;
          render();
          if (outcome === "ok") { refresh(); }
          return;
        }
        var e = (data && data.error) || {};
        var field = fieldFor(e.field);
        if (e.field === "receipt") { refresh(); }
        if (e.field === "photo") { removePhoto(); }
        if (field) {
          setPending(code);
          if (e.code === "choose_lot" && e.choices && e.choices.length) {
            choices.textContent = "";
            choices.appendChild(el("p", null, T.choose));
            e.choices.forEach(function (c) {
              var b = el("button", "hh-choice", c.lot + (c.expiry ? " · " + c.expiry : ""));
              b.type = "button";
              b.addEventListener("click", function () {
                lot.value = c.lot;
                choices.hidden = true;
                later(refocus);
                scanner.serial(function () {
                  return st.pending ? sendItem(st.pending) : null;
                });
              });
              choices.appendChild(b);
            });
            choices.hidden = false;
          } else {
            later(function () { field.focus(); });
          }
        }
        render();
      });
    }
    function resend() {
      if (!st.pending) { return; }
      var code = st.pending;
      scanner.serial(function () { return sendItem(code); });
    }
    [qty, lot, expiry, reason].forEach(function (f) {
      f.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && st.pending) { resend(); }
      });
    });
    $("hh-retry").addEventListener("click", resend);
    $("hh-pending-drop").addEventListener("click", function () {
      setPending(null); choices.hidden = true; later(refocus);
    });
    damaged.addEventListener("change", function () {
      if (damaged.checked) { correction.checked = false; }
      else { reason.value = ""; removePhoto(); }
      render();
      if (damaged.checked && !reason.value) { reason.focus(); } else { later(refocus); }
    });
    correction.addEventListener("change", function () { render(); later(refocus); });
    $("hh-change").addEventListener("click", function () {
      st.receipt = null; st.info = null; save(TKEY, null);
      setPending(null); clearFields(); render(); show("info", "");
    });
    $("hh-close").addEventListener("click", function () {
      var name = st.receipt;
      if (!name || !window.confirm(T.confirm_close)) { later(refocus); return; }
      scanner.serial(function () {
        return send(urls.tally_close, { receipt: name }, name, function (outcome, data) {
          if (outcome === "ok") { refresh(); }
          else if (outcome === "err") { refresh(); }
        });
      });
    });

    scanner.onScan(function (code) {
      if (!st.receipt || (RECEIPT.test(code) && code.toUpperCase() !== st.receipt.toUpperCase())) {
        return chooseReceipt(code.toUpperCase(), false);
      }
      if (RECEIPT.test(code)) { return refresh(); }
      var wait = st.photoWait;
      return (wait || Promise.resolve()).then(function () { return sendItem(code); });
    });

    var start = box.getAttribute("data-receipt") || load(TKEY, null);
    render();
    if (start) { chooseReceipt(String(start).toUpperCase(), true); }
  }

  if (flow === "scan") { scanFlow(); }
  else if (flow === "putaway" || flow === "transfer") { moveFlow(); }
  else if (flow === "count") { countFlow(); }
  else if (flow === "tally") { tallyFlow(); }
}());
