// A job's page: asks the server how far the job has got (every second, then less often) and moves the
// progress bar; shows the download link or the error when it ends. Without JavaScript the page
// reloads itself every 3 s instead (<noscript> refresh).
(function () {
  "use strict";
  var box = document.querySelector("[data-job-state]");
  if (!box) { return; }
  var url = box.getAttribute("data-job-state");
  var bar = box.querySelector("progress");
  function part(name) { return box.querySelector('[data-job="' + name + '"]'); }
  function number(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "."); }
  var delay = 1000;

  function show(state) {
    // While the data is read (no total yet) the bar is indeterminate: it moves without claiming a figure.
    if (state.status === "running" && !state.total) { bar.removeAttribute("value"); } else { bar.value = state.percent; }
    bar.textContent = state.percent + "%";
    // Only the status word is a live region (Đang chờ → Đang chuẩn bị → Đã xong): the figures change
    // every second and would keep a screen reader talking.
    if (part("label").textContent !== state.label) { part("label").textContent = state.label; }
    part("percent").textContent = state.percent + "%";
    var stage = state.stage ? "– " + state.stage : "";
    if (state.stage && state.total) { stage += " (" + number(state.done) + "/" + number(state.total) + ")"; }
    part("stage").textContent = stage;
    if (state.error) { part("error").textContent = state.error; part("error").hidden = false; }
    if (state.download_url) {
      var link = part("download").querySelector("a");
      link.href = state.download_url;
      link.textContent = state.download_label;
      part("download").hidden = false;
    }
    if (state.expires_note) { part("expires").textContent = state.expires_note; part("expires").hidden = false; }
    return state.status === "done" || state.status === "failed";
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (state) {
        if (!show(state)) { delay = Math.min(delay * 1.2, 5000); setTimeout(poll, delay); }
      })
      .catch(function () { delay = Math.min(delay * 2, 15000); setTimeout(poll, delay); });
  }
  if (!box.hasAttribute("data-job-finished")) { setTimeout(poll, delay); }
}());
