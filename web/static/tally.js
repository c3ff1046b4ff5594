/* The tally on the handheld: the receipt, then its goods (packages, products, GS1 carton
 * labels), good or damaged with a photo, corrections, closing. The table is the server's,
 * read after each scan and every few seconds.
 *
 * Only the flow lives here: the scan field, colour, sound and the offline queue are the
 * scanner component's (scanner.js); settings come from data- attributes on #hh and
 * #hh-tally, nothing inline (the Content-Security-Policy forbids it).
 */
(function () {
  "use strict";

  var S = window.WmsScanner, scanner = S.scanner;
  var parse = S.parse, load = S.load, save = S.save, csrf = S.csrf;
  var root = document.getElementById("hh");
  if (!root || !scanner || root.getAttribute("data-flow") !== "tally") { return; }
  var user = root.getAttribute("data-user") || "anonymous";
  var urls = parse(root.getAttribute("data-urls"), {});
  var T = parse(root.getAttribute("data-i18n"), {});
  var show = scanner.show, prompt = scanner.prompt, send = scanner.send,
    getJSON = scanner.getJSON, errorText = scanner.errorText, later = scanner.later,
    refocus = scanner.refocus;

  function $(id) { return document.getElementById(id); }
  function setText(id, text) { var el = $(id); if (el) { el.textContent = text; } }

  /* ---- tally: the receipt, then its goods; the table is the server's, read after each scan */
  function tallyFlow() {
    var box = $("hh-tally");
    var TKEY = "wms.hh.tally." + user;
    var RECEIPT = /^[A-Z0-9]{2,12}\/IN\/\d{4}\/\d{3,}$/i;
    var REFRESH = 10000;
    var qty = $("hh-qty"), lot = $("hh-lot"), expiry = $("hh-expiry");
    var damaged = $("hh-damaged"), correction = $("hh-correction"), reason = $("hh-reason");
    var photoInput = $("hh-photo"), choices = $("hh-choices");
    var st = { receipt: null, info: null, pending: null, photo: null, photoWait: null,
               lotFor: null, last: null, warn: null };
    var qtySet = false, lastRefresh = 0;

    qty.addEventListener("input", function () { qtySet = true; });
    /* A lot typed by hand is for whatever product comes next. */
    lot.addEventListener("input", function () { setLot(lot.value, null); });

    function el(tag, cls, text) {
      var e = document.createElement(tag);
      if (cls) { e.className = cls; }
      if (text !== undefined && text !== null) { e.textContent = text; }
      return e;
    }
    /* The lot stays until another lot is scanned or chosen (and goes only with its product). */
    function setLot(name, sku) {
      if (lot.value !== name) { lot.value = name || ""; }
      st.lotFor = name ? sku : null;
      setText("hh-lot-for", name && sku ? "· " + sku : "");
    }
    function clearQuantity() { qty.value = "1"; qtySet = false; }
    function clearFields() {
      clearQuantity(); setLot("", null); expiry.value = "";
      choices.hidden = true; choices.textContent = "";
      st.last = null; setWarn(null);
    }
    function setWarn(w) {
      st.warn = w;
      $("hh-warn").hidden = !w;
      box.classList.toggle("is-warn", !!w);
      var list = $("hh-warn-list");
      list.textContent = "";
      (w ? w.warnings : []).forEach(function (x) { list.appendChild(el("li", null, x.message)); });
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
      $("hh-again").hidden = !st.last;
      renderProgress(r);
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

    /* "x/y lines, N units": advised lines counted in full, of all advised lines. */
    function renderProgress(r) {
      var p = $("hh-tally-progress"), rows = (st.info && st.info.rows) || [];
      var advised = rows.filter(function (x) { return parseFloat(x.expected) > 0; });
      var full = advised.filter(function (x) {
        return parseFloat(x.tallied) >= parseFloat(x.expected);
      });
      p.hidden = !st.info;
      p.textContent = (T.progress || "")
        .replace("%(done)s", String(full.length)).replace("%(total)s", String(advised.length))
        .replace("%(units)s", st.info ? st.info.totals.tallied : "0");
      var next = $("hh-next");
      next.textContent = "";
      next.hidden = !(r && !r.open && r.next);
      if (r && !r.open && r.next) {
        var a = el("a", "button primary hh-wide", r.next.title);
        a.href = r.next.url;
        next.appendChild(a);
      }
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
    function sendItem(code, confirm) {
      var body = { receipt: st.receipt, item: code };
      if (qtySet && qty.value.trim()) { body.quantity = qty.value.trim(); }
      if (lot.value.trim()) { body.lot = lot.value.trim(); }
      if (lot.value.trim() && st.lotFor) { body.lot_product = st.lotFor; }
      if (confirm) { body.confirm = confirm; }
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
      setWarn(null);
      choices.hidden = true;
      return send(urls.tally, body, label, function (outcome, data) {
        if (outcome !== "err") {
          if (data && data.selected) {  // a lot barcode: it stays for its product
            setLot(data.selected.lot, data.selected.sku);
            if (data.selected.expiry) { expiry.value = ""; }
            render();
            return;
          }
          clearQuantity(); expiry.value = "";
          st.last = outcome === "ok" && data && !data.package ? code : null;
          var counted = data && !data.package && data.scans && data.scans[0];
          if (counted && counted.lot && !correction.checked) { setLot(counted.lot, counted.sku); }
          if (damaged.checked) { damaged.checked = false; reason.value = ""; removePhoto(); }
          correction.checked = false;
          render();
          if (outcome === "ok") { refresh(); }
          return;
        }
        var e = (data && data.error) || {};
        if (e.code === "confirm" && e.warnings) {
          setWarn({ code: code, warnings: e.warnings, body: body });
          show("warn", e.warnings.map(function (x) { return x.message; }).join(" · "));
          render();
          return;
        }
        if (e.code === "wrong_owner") { show("warn", e.message); }
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
                setLot(c.lot, c.sku || null);
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

    /* The amber screen: confirmed, the same scan goes again naming the warnings. */
    function confirmWarn() {
      var w = st.warn;
      if (!w) { return null; }
      setWarn(null);
      if (w.body.quantity) { qty.value = w.body.quantity; qtySet = true; }
      return sendItem(w.code, w.warnings.map(function (x) { return x.code; }));
    }
    $("hh-warn-confirm").addEventListener("click", function () { scanner.serial(confirmWarn); });
    $("hh-warn-cancel").addEventListener("click", function () {
      setWarn(null); show("info", ""); render(); later(refocus);
    });
    scanner.onConfirm(function () { return st.warn ? confirmWarn() : null; });
    $("hh-again").addEventListener("click", function () {
      var code = st.last;
      if (code) { scanner.serial(function () { return sendItem(code); }); }
    });
    $("hh-undo").addEventListener("click", function () {
      var name = st.receipt;
      if (!name) { return; }
      scanner.serial(function () {
        return send(urls.tally_undo, { receipt: name }, name, function (outcome) {
          if (outcome === "ok") { st.last = null; refresh(); }
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

  tallyFlow();
}());
