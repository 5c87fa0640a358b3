/* Findings filter: rule, severity and free text; no dependency, no network. */
(function () {
  "use strict";
  var root = document.getElementById("findings");
  var rule = root && root.querySelector("#filter-rule");
  if (!rule) { return; }  /* no findings, no filter */
  var severity = root.querySelector("#filter-severity");
  var text = root.querySelector("#filter-text");
  var count = root.querySelector("#filter-count");
  var rows = Array.prototype.slice.call(root.querySelectorAll("tbody tr"));
  function apply() {
    var r = rule.value, s = severity.value, t = text.value.toLowerCase(), shown = 0;
    rows.forEach(function (row) {
      var ok = (!r || row.getAttribute("data-rule") === r) &&
               (!s || row.getAttribute("data-severity") === s) &&
               (!t || (row.textContent + " " + (row.getAttribute("data-where") || ""))
                        .toLowerCase().indexOf(t) !== -1);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " rows shown";
  }
  rule.addEventListener("change", apply);
  severity.addEventListener("change", apply);
  text.addEventListener("input", apply);
  Array.prototype.forEach.call(document.querySelectorAll("[data-filter-rule]"), function (button) {
    button.addEventListener("click", function () {
      rule.value = button.getAttribute("data-filter-rule");
      severity.value = "";
      apply();
      root.scrollIntoView();
    });
  });
  apply();
})();
