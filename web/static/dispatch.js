/* Dispatch pages: the board refreshing itself, copying a tracking link, and the loading
 * scanner's flow (scanner.js gives it the scan field and the offline queue).
 *
 * Plain JavaScript, nothing inline (the Content-Security-Policy forbids it); configuration
 * comes from data- attributes. The board polls a JSON endpoint that answers with the rows
 * rendered by the server's own template, so the page and the refresh never disagree.
 */
(function () {
  "use strict";

  var S = window.WmsScanner;
  var parse = S.parse, load = S.load, save = S.save;

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
          var markers = document.querySelector("#board-map .map-units");
          if (markers && typeof data.map_units === "string" && markers.innerHTML !== data.map_units) {
            markers.innerHTML = data.map_units;  // the server's own SVG, escaped by its template
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

  /* The scanner component (scanner.js) owns the field, colour, sound and the queue; this
   * is only the loading flow: the place, then the unit and the unit it goes into. */
  function loader() {
    var root = $("dl"), scanner = S.scanner;
    if (!root || !scanner) { return; }
    var urls = parse(root.getAttribute("data-urls"), {});
    var T = parse(root.getAttribute("data-i18n"), {});
    var user = root.getAttribute("data-user") || "anonymous";
    var NKEY = "wms.dl.node." + user;
    var nodeSel = $("dl-node");
    var st = { mode: "load", unit: null };

    function render() {
      scanner.prompt(!nodeSel.value ? T.choose_node :
        st.mode === "unload" ? T.scan_unload : (st.unit ? T.scan_into : T.scan_unit));
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

    nodeSel.value = load(NKEY, "") || "";
    nodeSel.addEventListener("change", function () {
      save(NKEY, nodeSel.value); render(); scanner.later(scanner.refocus);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".dl-mode"), function (b) {
      b.addEventListener("click", function () {
        st.mode = b.getAttribute("data-mode"); st.unit = null; render(); scanner.show("info", "");
      });
    });
    $("dl-reset").addEventListener("click", function () {
      st.unit = null; render(); scanner.show("info", "");
    });
    scanner.onScan(function (code) {
      if (!nodeSel.value) { scanner.show("err", T.choose_node); nodeSel.focus(); return null; }
      var node = nodeSel.value;
      if (st.mode === "load" && !st.unit) {
        st.unit = code; render(); scanner.show("ok", ""); return null;
      }
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
      return scanner.send(urls.scan, body, label);  // the key is the scan id: recorded once
    });
    render();
  }

  board();
  copyButtons();
  loader();
}());
