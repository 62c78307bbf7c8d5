// Score sheet: mark each score as it is typed (out of range, not a number), keep the running total
// over the valid scores only, report every unscored criterion at once on "Nộp phiếu", and confirm
// with a summary (total, criteria at zero) before the sheet locks. The server checks everything and
// the sheet works without this script (it then shows the summary as a page of its own).
(function () {
  "use strict";
  var form = document.querySelector("form.score-sheet");
  var output = document.getElementById("sheet-total");
  var check = window.ScoreCheck;
  if (!form || !output || !check) { return; }
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input.score-input"));
  var note = form.querySelector(".sheet-total-note");
  var problems = form.querySelector(".sheet-problems");
  var dialog = form.querySelector("dialog.sheet-confirm");

  function update() {
    var sum = check.total(inputs);
    output.textContent = sum.text;
    if (note) { note.textContent = sum.note; note.hidden = !sum.note; }
  }

  inputs.forEach(function (input) {
    input.addEventListener("input", function () {
      check.mark(input, check.check(input).message || "");
      update();
      check.listProblems(problems, []);
    });
  });
  update();

  if (dialog && typeof dialog.showModal === "function") {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || button.value !== "submit") { return; }
      event.preventDefault();
      var found = check.blockers(inputs);
      check.listProblems(problems, found);
      if (found.length) { return; }
      check.summarise(dialog, inputs);
      dialog.showModal();
    });
    dialog.querySelector(".confirm-back").addEventListener("click", function () { dialog.close(); });
  }

  // Leaving the page with typed but unsaved scores asks first (the browser shows its own message).
  var dirty = Boolean(document.getElementById("sheet-error"));  // refused save: typing not kept yet
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) { dirty = false; }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
