/* Returns centre handheld pages: bulk receiving into a consolidation batch, and grading.
 *
 * Only the two flows live here: the scan field, colour and sound, idempotency keys and the
 * offline queue are the scanner component's (scanner.js), so a parcel scanned without
 * network is received once, whichever scanner page sends it later.
 */
(function () {
  "use strict";

  var S = window.WmsScanner, scanner = S.scanner;
  var root = document.getElementById("hh");
  if (!root || !scanner) { return; }
  var flow = root.getAttribute("data-flow") || "";
  var urls = S.parse(root.getAttribute("data-urls"), {});
  var T = S.parse(root.getAttribute("data-i18n"), {});
  function $(id) { return document.getElementById(id); }

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
    var batchEl = $("rt-batch"), arrive = $("rt-arrive"), undo = $("rt-undo");
    function bump(el) { el.textContent = String(parseInt(el.textContent, 10) + 1); }
    /* A parcel in the list: the answer d, or (d null) a scan still waiting to be sent. */
    function add(d, label, key) {
      if (d && d.duplicate) { return; }
      var waiting = key ? list.querySelector('li[data-key="' + key + '"]') : null;
      var li = waiting || document.createElement("li");
      li.textContent = "";
      li.className = "rt-p rt-p-" + (d ? d.state : "queued");
      li.setAttribute("data-key", d ? "" : key || "");
      var b = document.createElement("b"); b.textContent = (d && d.code) || label || T.unlabelled;
      var s = document.createElement("span");
      s.textContent = d ? (d["return"] || d.state_title) : scanner.T.queued;
      li.appendChild(b); li.appendChild(s);
      if (d) { li.setAttribute("data-id", d.id); li.appendChild(removeButton(d.id)); }
      if (!waiting) { list.insertBefore(li, list.firstChild); bump(count); }
      undo.disabled = false;
      $("rt-empty").hidden = true;
      if (d && d.state === "unidentified") { bump(unknown); }
      if (d && d.batch) {
        batchEl.textContent = d.batch; batchEl.setAttribute("data-id", d.batch_id);
        arrive.disabled = false;
      }
    }
    function removeButton(id) {
      var btn = document.createElement("button");
      btn.type = "button"; btn.className = "button rt-remove"; btn.textContent = T.remove;
      btn.setAttribute("data-id", id);
      return btn;
    }
    function drop(id) {
      var li = id ? list.querySelector('li[data-id="' + id + '"]') : null;
      if (!li) { return; }
      if (li.className.indexOf("rt-p-unidentified") >= 0) {
        unknown.textContent = String(Math.max(0, parseInt(unknown.textContent, 10) - 1));
      }
      list.removeChild(li);
      count.textContent = String(Math.max(0, parseInt(count.textContent, 10) - 1));
      $("rt-empty").hidden = list.children.length > 0;
      undo.disabled = list.children.length === 0;
    }
    function arrived() {
      list.textContent = ""; count.textContent = "0"; unknown.textContent = "0";
      undo.disabled = true;
      batchEl.setAttribute("data-id", ""); arrive.disabled = true; $("rt-empty").hidden = false;
    }
    /* An unknown parcel is kept (unidentified) but sounds like an error. */
    function receive(body, label, then) {
      return scanner.send(urls.scan, body, label, function (outcome, d) {
        if (outcome === "ok") { add(d); }
        else if (outcome === "queued") { add(null, label, body.idempotency_key); }
        if (then) { then(outcome, d); }
      }, function (d) { return d.state === "unidentified" ? "err" : "ok"; });
    }
    scanner.onReplay(function (item, res) {
      if (res.status >= 300) { return; }
      if (item.url === urls.scan) { add(res.data, item.label, item.key); }
      if (item.url === urls.arrive) { arrived(); }
      if (item.url === urls.undo || item.url === urls.remove) { drop(res.data && res.data.id); }
    });
    undo.addEventListener("click", function () {
      scanner.serial(function () {
        return scanner.send(urls.undo, {}, T.undo, function (outcome, d) {
          if (outcome === "ok") { drop(d.id); }
        });
      });
    });
    list.addEventListener("click", function (e) {
      var btn = e.target.closest ? e.target.closest(".rt-remove") : null;
      if (!btn || !window.confirm(T.remove_confirm)) { return; }
      var id = btn.getAttribute("data-id");
      scanner.serial(function () {
        return scanner.send(urls.remove, { parcel: id, reason: T.misscan }, T.remove,
          function (outcome, d) { if (outcome === "ok") { drop(d.id); } });
      });
    });
    scanner.onScan(function (code) { return receive({ code: code }, code); });
    $("rt-send-unlabelled").addEventListener("click", function () {
      var notes = $("rt-notes").value.replace(/^\s+|\s+$/g, "");
      scanner.serial(function () {
        return readPhoto($("rt-photo")).then(function (photo) {
          var body = { notes: notes };
          if (photo) { body.photo = photo; }
          return receive(body, T.unlabelled, function (outcome) {
            if (outcome !== "err") {
              $("rt-notes").value = ""; $("rt-photo").value = ""; $("rt-unlabelled").open = false;
            }
          });
        });
      });
    });
    arrive.addEventListener("click", function () {
      var id = batchEl.getAttribute("data-id");
      if (!id || !window.confirm(T.arrive_confirm)) { return; }
      scanner.serial(function () {
        return scanner.send(urls.arrive, { batch: id }, batchEl.textContent, function (outcome) {
          if (outcome === "ok") { arrived(); }
        });
      });
    });
  }

  /* ---- inspection: each unit of an item may be graded on its own; the grade already
   * chosen for the item (or the unit) is highlighted. */
  function inspectFlow() {
    var box = $("rt-return"), select = $("rt-line"), unitSel = $("rt-unit"), current = null;
    var buttons = document.querySelectorAll(".rt-grade");
    function line() {
      var gnum = parseInt(select.value, 10);
      return current ? current.lines.filter(function (ln) { return ln.gnum === gnum; })[0] : null;
    }
    function highlight() {
      var ln = line(), unit = parseInt(unitSel.value, 10), chosen = ln ? ln.grade : null;
      if (ln && unit) { chosen = (ln.units[unit - 1] || {}).grade; }
      Array.prototype.forEach.call(buttons, function (btn) {
        var on = btn.getAttribute("data-grade") === chosen;
        btn.classList.toggle("rt-chosen", on);
        btn.setAttribute("aria-pressed", on ? "true" : "false");
      });
    }
    function units() {
      var ln = line(), keep = unitSel.value;
      unitSel.textContent = "";
      var all = document.createElement("option");
      all.value = ""; all.textContent = T.all_units;
      unitSel.appendChild(all);
      (ln ? ln.units : []).forEach(function (u) {
        var o = document.createElement("option");
        o.value = u.unit;
        o.textContent = T.unit.replace("%(n)s", u.unit) + (u.grade_title ? " — " + u.grade_title : "");
        unitSel.appendChild(o);
      });
      unitSel.value = keep && ln && ln.units.length >= parseInt(keep, 10) ? keep : "";
      unitSel.parentNode.querySelector('label[for="rt-unit"]').hidden =
        unitSel.hidden = !ln || ln.units.length < 2;
      highlight();
    }
    function render(d) {
      var keep = select.value;
      current = d; box.hidden = false;
      $("rt-return-name").textContent = d["return"] + " · " + d.state_title;
      $("rt-return-info").textContent = d.order + " · " + d.reason;
      select.textContent = "";
      d.lines.forEach(function (ln) {
        var o = document.createElement("option");
        o.value = ln.gnum;
        o.textContent = "#" + ln.gnum + " " + ln.sku + " × " + ln.qty +
          (ln.grade_title ? " — " + ln.grade_title : "");
        select.appendChild(o);
      });
      if (keep) { select.value = keep; }
      units();
    }
    function lookup(code) {
      return scanner.post(urls.lookup, { code: code }).then(function (res) {
        if (res.status < 300 && res.data) { render(res.data); return res.data; }
        scanner.show("err", scanner.errorText(res.data));
        return null;
      });
    }
    select.addEventListener("change", units);
    unitSel.addEventListener("change", highlight);
    scanner.onScan(function (code) {
      if (!navigator.onLine) { scanner.show("err", scanner.T.offline); return null; }
      return lookup(code).then(function (d) { if (d) { scanner.show("ok", d["return"]); } });
    });
    Array.prototype.forEach.call(buttons, function (btn) {
      btn.addEventListener("click", function () {
        if (!current) { return; }
        var gnum = select.value, grade = btn.getAttribute("data-grade"), unit = unitSel.value;
        scanner.serial(function () {
          return readPhoto($("rt-photo")).then(function (photo) {
            var body = { "return": current["return"], gnum: parseInt(gnum, 10), grade: grade,
                         reason: $("rt-reason").value };
            if (unit) { body.units = [parseInt(unit, 10)]; }
            if (photo) { body.photo = photo; }
            return scanner.send(urls.grade, body, current["return"] + " #" + gnum,
              function (outcome) {
                if (outcome !== "err") { $("rt-reason").value = ""; $("rt-photo").value = ""; }
                if (outcome === "ok") { return lookup(current["return"]); }
              });
          });
        });
      });
    });
  }

  if (flow === "receive") { receiveFlow(); } else if (flow === "inspect") { inspectFlow(); }
}());
