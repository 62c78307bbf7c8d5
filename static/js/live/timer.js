// The live final's countdown, shared by the console, the projector and the judges' page.
// The server sends a phase's timer as {started: ms|null, paused: ms|null, seconds} plus its own clock
// (`server_now`, ms); the client counts down locally against that clock, so every screen shows the
// same time whatever its own clock says:
//   remaining = seconds − ((paused ?? server now) − started) / 1000
// Usage:
//   var offset = LiveTimer.offset(state.server_now);          // on every fresh state
//   LiveTimer.render(clockEl, state.timer, offset, noteEl);    // every 250 ms
// The clock shows "mm:ss" counting down, then "00:00" and "+mm:ss" (overtime) in red ("Hết giờ").
(function () {
  "use strict";

  function offset(serverNow) {
    return typeof serverNow === "number" ? serverNow - Date.now() : 0;
  }

  function remaining(timer, offsetMs) {
    if (!timer || timer.started === null || timer.started === undefined) { return null; }
    var now = timer.paused !== null && timer.paused !== undefined ? timer.paused : Date.now() + (offsetMs || 0);
    return timer.seconds - (now - timer.started) / 1000;
  }

  function two(n) { return n < 10 ? "0" + n : String(n); }

  function clock(total) { return two(Math.floor(total / 60)) + ":" + two(total % 60); }

  function format(left) {
    if (left === null || left === undefined || !isFinite(left)) { return "--:--"; }
    if (left > 0) { return clock(Math.ceil(left - 1e-6)); }
    var over = Math.floor(-left + 1e-6);
    return (over > 0 ? "+" : "") + clock(over);
  }

  function render(el, timer, offsetMs, noteEl) {
    var left = remaining(timer, offsetMs);
    var text = format(left);
    if (el.textContent !== text) { el.textContent = text; }
    var over = left !== null && left <= 0;
    var paused = Boolean(timer && timer.paused !== null && timer.paused !== undefined && left !== null);
    el.classList.toggle("overtime", over);
    el.classList.toggle("paused", paused);
    if (noteEl) {
      var words = [];
      if (over) { words.push("Hết giờ"); }
      if (paused) { words.push("Đang tạm dừng"); }
      var note = words.join(" · ");
      if (noteEl.textContent !== note) { noteEl.textContent = note; }
    }
    return left;
  }

  window.LiveTimer = { offset: offset, remaining: remaining, format: format, render: render };
})();
