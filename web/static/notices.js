// New alerts and deadline notices without a reload: every page of a logged-in user polls
// the notices feed and shows what arrived since the page (or the tab) first looked.
(function () {
  "use strict";
  var script = document.currentScript;
  var feed = script && script.dataset.feed;
  if (!feed || !window.fetch) { return; }
  var KEY = "wms.notices.after";
  var EVERY = 30000;
  var MAX_SHOWN = 5;

  function box() {
    var found = document.getElementById("live-notices");
    if (found) { return found; }
    var main = document.querySelector("main.page") || document.body;
    found = document.createElement("div");
    found.id = "live-notices";
    found.setAttribute("aria-live", "polite");
    main.insertBefore(found, main.firstChild);
    return found;
  }

  function show(notice) {
    var item = document.createElement("div");
    item.className = "flash flash-warn live-notice";
    item.setAttribute("role", "status");
    item.dataset.kind = notice.kind;
    var link = document.createElement("a");
    link.href = notice.url;
    link.textContent = notice.message;
    item.appendChild(link);
    if (notice.due_at) {
      var due = document.createElement("span");
      due.className = "muted";
      due.textContent = " · " + notice.due_at;
      item.appendChild(due);
    }
    var list = box();
    list.insertBefore(item, list.firstChild);
    while (list.children.length > MAX_SHOWN) { list.removeChild(list.lastChild); }
  }

  function poll() {
    var after = sessionStorage.getItem(KEY);
    var url = feed + "?after=" + encodeURIComponent(after === null ? "-1" : after);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        (data.notices || []).forEach(show);
        sessionStorage.setItem(KEY, String(data.last_id));
      })
      .catch(function () { /* offline: the next poll catches up */ });
  }

  poll();
  window.setInterval(poll, EVERY);
}());
