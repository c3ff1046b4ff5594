// A customs code <select data-filter>: a search box before it narrows the options to those
// whose code or name holds what is typed (Chinese or English), so 240 countries stay usable.
(function () {
  "use strict";
  function attach(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "code-filter";
    box.setAttribute("aria-label", select.getAttribute("data-filter"));
    box.placeholder = select.getAttribute("data-filter");
    box.setAttribute("aria-controls", select.id);
    select.parentNode.insertBefore(box, select);
    var options = Array.prototype.slice.call(select.options);
    box.addEventListener("input", function () {
      var needle = box.value.trim().toLowerCase();
      var first = null;
      options.forEach(function (option) {
        var show = !needle || option.value === "" ||
          option.text.toLowerCase().indexOf(needle) !== -1;
        option.hidden = !show;
        option.disabled = !show && !option.selected;
        if (show && option.value !== "" && first === null) { first = option; }
      });
      var current = select.options[select.selectedIndex];
      if (first !== null && (!current || current.hidden)) { select.value = first.value; }
    });
  }
  document.querySelectorAll("select[data-filter]").forEach(attach);
})();
