// Score sheet: show the running weighted total while the judge types (the server checks everything;
// the sheet works without this script). Accepts the Vietnamese decimal comma.
(function () {
  "use strict";
  var form = document.querySelector("form.score-sheet");
  var output = document.getElementById("sheet-total");
  if (!form || !output) { return; }
  var inputs = form.querySelectorAll("input.score-input");
  function update() {
    var total = 0, filled = 0, bad = false;
    inputs.forEach(function (input) {
      var text = input.value.trim().replace(",", ".");
      if (!text) { return; }
      var value = Number(text);
      if (!isFinite(value)) { bad = true; return; }
      filled += 1;
      total += value * Number(input.dataset.weight || "1");
    });
    if (bad) { output.textContent = "?"; return; }
    output.textContent = filled ? (Math.round(total * 100) / 100).toString().replace(".", ",") : "—";
  }
  inputs.forEach(function (input) { input.addEventListener("input", update); });
  update();

  // Leaving the page with typed but unsaved scores asks first (the browser shows its own message).
  var dirty = Boolean(document.getElementById("sheet-error"));  // refused save: typing not kept yet
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
