/* Picking and packing on the scanner: only the two flows live here. The scan field, colour
 * and sound, idempotency keys and the offline queue are the scanner component's
 * (scanner.js); configuration comes from data- attributes on #pick, nothing inline (the
 * Content-Security-Policy forbids it).
 */
(function () {
  "use strict";

  var S = window.WmsScanner, scanner = S.scanner, parse = S.parse;
  var root = document.getElementById("pick");
  if (!root || !scanner) { return; }
  var flow = root.getAttribute("data-flow") || "";
  var urls = parse(root.getAttribute("data-urls"), {});
  var T = parse(root.getAttribute("data-i18n"), {});
  var show = scanner.show, prompt = scanner.prompt, send = scanner.send;

  function $(id) { return document.getElementById(id); }
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
    var stepField = $("pick-step"), undoBtn = $("pick-undo");
    var confirmBtn = $("pick-confirm");
    var st = { i: -1, location: null, product: null, scans: [] };
    var units = parseFloat($("pick-units").textContent || "0") || 0;
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
      undoBtn.disabled = !st.scans.length;
    }
    function select(i) {
      st = { i: i, location: null, product: null, scans: [] };
      var l = current();
      qty.value = l ? "0" : "";
      stepField.value = "1";
      reason.value = "";
      checkShort();
      render();
    }
    qty.addEventListener("input", checkShort);
    scanner.onScan(function (code) {
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
      /* Each scan takes the keypad's quantity, never more than is reserved. */
      var step = parseFloat(stepField.value || "1");
      if (!(step > 0)) { show("err", T.step_invalid); return; }
      var have = parseFloat(qty.value || "0") || 0, want = parseFloat(l.qty);
      if (have >= want) { show("err", T.pick_full + " " + l.sku); return; }
      var add = Math.min(step, want - have);
      qty.value = String(have + add);
      st.scans.push(add);
      stepField.value = "1";
      st.product = code;
      checkShort();
      render();
      show("ok", "");
    });
    undoBtn.addEventListener("click", function () {
      var last = st.scans.pop();
      if (last === undefined) { return; }
      var left = (parseFloat(qty.value || "0") || 0) - last;
      qty.value = String(left > 0 ? left : 0);
      if (!st.scans.length) { st.product = null; }
      checkShort(); render(); show("info", T.undone);
    });
    function confirm() {
      var l = current();
      if (!l || !st.location || !st.product) { return; }
      var short = checkShort();
      if (short && !reason.value.trim()) { show("err", T.reason_needed); reason.focus(); return; }
      var body = { wave: waveId, move: l.move, location: st.location, product: st.product,
                   quantity: qty.value.trim() };
      if (short) { body.reason = reason.value.trim(); }
      var label = qty.value.trim() + " × " + l.sku + " @ " + l.location_barcode;
      var line = l;
      scanner.serial(function () {
        return send(urls.pick, body, label, function (outcome) {
          if (outcome === "err") { return; }
          line.sent = true;
          line.state = "done";
          units += parseFloat(body.quantity) || 0;
          setText("pick-units", String(units));
          var tr = document.querySelector('.pick-row[data-move="' + line.move + '"] .pick-picked');
          if (tr) { tr.textContent = body.quantity; }
          select(nextIndex(st.i + 1 < lines.length ? st.i + 1 : 0));
          if (!current()) { show("ok", T.all_done); }
        });
      });
    }
    confirmBtn.addEventListener("click", confirm);
    scanner.onConfirm(function () { if (!confirmBtn.disabled) { confirm(); } });
    $("pick-skip").addEventListener("click", function () { select(nextIndex(st.i + 1)); show("info", ""); });
    $("pick-reset").addEventListener("click", function () { select(st.i); show("info", ""); });
    select(nextIndex(0));
  }

  /* ---- the packing station */
  function packFlow() {
    var orderNo = root.getAttribute("data-order");
    var state = root.getAttribute("data-state");
    var items = parse(root.getAttribute("data-items"), []);
    var seen = {}, history = [];
    var packBtn = $("pack-confirm"), undoBtn = $("pack-undo");
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
      if (undoBtn) { undoBtn.disabled = !history.length; }
      var full = items.filter(function (it) { return (seen[it.sku] || 0) >= parseFloat(it.qty); });
      var units = items.reduce(function (n, it) { return n + (seen[it.sku] || 0); }, 0);
      setText("pack-progress", (T.progress || "").replace("%(done)s", String(full.length))
        .replace("%(total)s", String(items.length)).replace("%(units)s", String(units)));
      if (state === "picked") { prompt(allSeen() ? T.scan_tracking : T.scan_items); }
    }
    function go(code) { window.location.assign(urls.pack_page + "?code=" + encodeURIComponent(code)); }
    scanner.onScan(function (code) {
      if (!orderNo || state !== "picked") { go(code); return; }
      if (allSeen()) {
        if (tracking) {
          tracking.value = code;
          show("ok", T.waybill_scanned + " " + code + (weight && !weight.value.trim() ? " · " + T.weigh : ""));
          if (weight && !weight.value.trim()) { weight.focus(); }
        }
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
      history.push(it.sku);
      render();
      show("ok", "");
    });
    function write(url, body, label) {
      scanner.serial(function () {
        return send(url, body, label, function (outcome, data) {
          if (outcome === "ok") {
            setTimeout(function () {
              window.location.assign(urls.pack_page + "?code=" + encodeURIComponent(orderNo) +
                "&done=" + encodeURIComponent((data && data.state) || ""));
            }, 900);
          }
        });
      });
    }
    if (undoBtn) {
      undoBtn.addEventListener("click", function () {
        var sku = history.pop();
        if (sku === undefined) { return; }
        seen[sku] -= 1;
        render(); show("info", T.undone);
      });
    }
    scanner.onConfirm(function () { if (packBtn && !packBtn.disabled) { packBtn.click(); } });
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
}());
