// The judge's phone during the live final: follow the stage (poll every second with an ETag), swap
// in the sheet of the team on stage without a reload, count the timer down, keep every keystroke in
// localStorage and save it as a draft (debounced), mark each score as it is typed and keep the total
// over the valid ones (judging/score.js, shared with the score sheet), report every unscored
// criterion at once, and submit after a confirmation step with the summary.
(function () {
  "use strict";
  var root = document.getElementById("live-judge");
  var check = window.ScoreCheck;
  if (!root || !check) { return; }
  var stateUrl = root.dataset.stateUrl;
  var sheetUrl = root.dataset.sheetUrl;
  var roundId = root.dataset.round;
  var csrf = root.dataset.csrf;
  var holder = document.getElementById("judge-sheet");
  var connection = document.getElementById("live-connection");
  var nudge = document.getElementById("live-nudge");
  var phaseEl = document.getElementById("live-phase");
  var onStageEl = document.getElementById("live-on-stage");
  var onStageTeam = document.getElementById("live-on-stage-team");
  var timerEl = document.getElementById("live-timer");
  var timerLabel = document.getElementById("live-timer-label");
  var timerValue = document.getElementById("live-timer-value");

  var POLL_MS = 1000;
  var SAVE_DELAY_MS = 800;
  var etag = "";
  var state = null;
  var offset = 0;          // server clock − this phone's clock (ms)
  var failures = 0;
  var swapping = false;

  // --- the sheet currently shown -------------------------------------------------------------------
  var sheet = null;        // {el, form, entry, version, status, saveUrl, dirty, timer, sending, retry}

  function draftKey(entry) { return "live-draft:" + roundId + ":" + entry; }

  function readDraft(entry) {
    try { return JSON.parse(window.localStorage.getItem(draftKey(entry)) || "null"); } catch (e) { return null; }
  }
  function writeDraft(entry, draft) {
    try { window.localStorage.setItem(draftKey(entry), JSON.stringify(draft)); } catch (e) { /* full or private mode */ }
  }
  function dropDraft(entry) {
    try { window.localStorage.removeItem(draftKey(entry)); } catch (e) { /* ignore */ }
  }

  function fields(form) {
    var data = {};
    form.querySelectorAll("input[name^='score-'], textarea").forEach(function (el) { data[el.name] = el.value; });
    return data;
  }
  function fill(form, data) {
    Object.keys(data || {}).forEach(function (name) {
      var el = form.elements.namedItem(name);
      if (el && "value" in el && name !== "version" && name !== "csrf_token") {
        el.value = data[name];
        if (name.indexOf("comment-") === 0 && data[name]) {
          var box = el.closest("details");
          if (box) { box.open = true; }
        }
      }
    });
  }

  function saveStatus(text, bad) {
    if (!sheet) { return; }
    var el = sheet.el.querySelector(".live-save-status");
    if (el) { el.textContent = text; el.classList.toggle("field-error", Boolean(bad)); }
  }
  function showError(message, errors) {
    if (!sheet) { return; }
    var box = sheet.el.querySelector(".live-sheet-error");
    sheet.el.querySelectorAll("[data-error-for]").forEach(function (el) {
      var text = (errors || {})[el.dataset.errorFor] || "";
      el.textContent = text;
      el.hidden = !text;
      var input = document.getElementById("score-" + el.dataset.errorFor);
      if (input) {
        if (text) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
      }
    });
    if (box) {
      box.textContent = message || "";
      box.hidden = !message;
    }
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(date) { return pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()); }

  function attach() {
    var el = holder.querySelector(".judge-sheet");
    sheet = null;
    if (!el || !el.dataset.entry) { return; }
    var form = el.querySelector("form.live-sheet");
    sheet = {
      el: el, form: form, entry: el.dataset.entry, version: el.dataset.version, status: el.dataset.status,
      saveUrl: el.dataset.saveUrl, updated: Number(el.dataset.updated || "0"),
      dirty: false, timer: null, sending: false, retry: null,
      inputs: form ? Array.prototype.slice.call(form.querySelectorAll("input.live-score")) : []
    };
    updateTotal(sheet);
    if (!form || el.dataset.status === "submitted" || !form.querySelector(".live-submit")) {
      if (el.dataset.status === "submitted") { dropDraft(sheet.entry); }
      return;
    }
    var current = sheet;
    // A draft kept on this phone that is newer than the server's copy comes back and is sent.
    var draft = readDraft(current.entry);
    if (draft && draft.at > current.updated) {
      fill(form, draft.data);
      current.inputs.forEach(function (input) { check.mark(input, check.check(input).message || ""); });
      updateTotal(current);
      current.dirty = true;
      saveStatus("Đã khôi phục phiếu chưa lưu trên máy này, đang lưu…");
      schedule(current, 50);
    } else if (draft) {
      dropDraft(current.entry);
    }
    var problems = el.querySelector(".sheet-problems");
    form.addEventListener("input", function (event) {
      if (event.target.classList && event.target.classList.contains("live-score")) {
        check.mark(event.target, check.check(event.target).message || "");
        check.listProblems(problems, []);
      }
      current.dirty = true;
      writeDraft(current.entry, { at: Date.now() + offset, data: fields(form) });
      if (updateTotal(current).invalid) {  // the server would refuse it: kept on this phone only
        window.clearTimeout(current.timer);
        saveStatus("Chưa lưu – sửa các ô được đánh dấu.", true);
        return;
      }
      saveStatus("Đang nhập…");
      schedule(current, SAVE_DELAY_MS);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = event.submitter;
      if (button && button.value === "submit") {
        var found = check.blockers(current.inputs);
        check.listProblems(problems, found);
        if (found.length) { return; }
        check.summarise(el.querySelector(".live-confirm"), current.inputs);
        confirmStep(current, true);
        return;
      }
      schedule(current, 0);
    });
    var yes = el.querySelector(".live-confirm-yes");
    var no = el.querySelector(".live-confirm-no");
    if (yes) { yes.addEventListener("click", function () { send(current, "submit"); }); }
    if (no) { no.addEventListener("click", function () { confirmStep(current, false); }); }
  }

  function confirmStep(current, show) {
    var box = current.el.querySelector(".live-confirm");
    var actions = current.el.querySelector(".live-actions");
    if (!box || !actions) { return; }
    box.hidden = !show;
    actions.hidden = show;
    if (show) { current.el.querySelector(".live-confirm-no").focus(); }
  }

  // The running total of the sheet shown, over its valid scores only; returns check.total's answer.
  function updateTotal(current) {
    var sum = check.total(current.inputs);
    var output = current.el.querySelector(".live-total-value");
    var note = current.el.querySelector(".sheet-total-note");
    if (output) { output.textContent = sum.text; }
    if (note) { note.textContent = sum.note; note.hidden = !sum.note; }
    return sum;
  }

  function schedule(current, delay) {
    window.clearTimeout(current.timer);
    current.timer = window.setTimeout(function () { send(current, "save"); }, delay);
  }

  function send(current, action) {
    if (current !== sheet) { return; }
    if (current.sending) {  // one request at a time; the latest typing goes right after
      current.pending = action === "submit" ? "submit" : (current.pending || "save");
      return;
    }
    if (action === "save" && !current.dirty) { return; }
    var data = fields(current.form);
    var sentAt = Date.now() + offset;
    data.version = current.version;
    data.action = action;
    current.sending = true;
    if (action === "submit") { saveStatus("Đang nộp phiếu…"); }
    fetch(current.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(data)
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
    }).then(function (result) {
      current.sending = false;
      var body = result.body || {};
      if (result.ok) {
        current.version = String(body.version);
        current.form.elements.namedItem("version").value = current.version;
        var draft = readDraft(current.entry);
        if (!draft || draft.at <= sentAt) { dropDraft(current.entry); current.dirty = false; }
        showError("", {});
        if (body.status === "submitted") {
          dropDraft(current.entry);
          reloadSheet();
          return;
        }
        var badge = current.el.querySelector(".live-badge .badge");
        if (badge) { badge.textContent = "Bản nháp"; badge.className = "badge warn"; }
        saveStatus("Đã lưu nháp lúc " + (body.saved_time || clock(new Date())));
      } else if (result.status === 409 && body.error === "stale_sheet") {
        // Saved from another device meanwhile: keep what was typed here, fill the blanks from the
        // server's copy, and save again on top of the current version.
        current.version = String(body.version);
        current.form.elements.namedItem("version").value = current.version;
        if (body.status === "submitted") { dropDraft(current.entry); reloadSheet(); return; }
        current.form.querySelectorAll("input[name^='score-']").forEach(function (el) {
          var id = el.name.slice(6);
          if (!el.value && body.scores && body.scores[id]) { el.value = String(body.scores[id]).replace(".", ","); }
        });
        current.dirty = true;
        writeDraft(current.entry, { at: Date.now() + offset, data: fields(current.form) });
        saveStatus("Phiếu vừa được lưu từ thiết bị khác; đã gộp với điểm trên máy này và lưu lại.");
        schedule(current, 0);
        return;
      } else {
        if (action === "submit") { confirmStep(current, false); }
        showError(body.message || "Không lưu được phiếu chấm.", body.errors || {});
        saveStatus(body.error === "sheet_invalid" ? "Chưa lưu – kiểm tra các ô được đánh dấu." :
          (body.message || "Chưa lưu."), true);
        if (body.error === "not_on_stage" || body.error === "locked") { poll(); }
        return;
      }
      if (current.pending) {
        var next = current.pending;
        current.pending = null;
        send(current, next);
      }
    }).catch(function () {
      current.sending = false;
      if (action === "submit") { confirmStep(current, false); }
      current.dirty = true;
      saveStatus("Chưa lưu – mất kết nối, sẽ tự lưu khi có mạng", true);
      window.clearTimeout(current.retry);
      current.retry = window.setTimeout(function () { send(current, "save"); }, 3000);
    });
  }

  function flushPending() {
    if (sheet && sheet.dirty && !sheet.sending) { send(sheet, "save"); }
  }

  // --- following the stage ------------------------------------------------------------------------
  function keyOf(s) {
    if (!s.current) { return "0|empty|open"; }
    var mode = s.conflict ? "conflict" : (s.sheet ? "sheet" : "unassigned");
    var locked = s.sheet && s.sheet.status === "submitted";
    return s.current.entry_id + "|" + mode + "|" + (locked ? "locked" : "open");
  }

  function reloadSheet() {
    if (swapping) { return; }
    swapping = true;
    fetch(sheetUrl, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("sheet " + response.status); }
        return response.text();
      }).then(function (html) {
        swapping = false;
        if (sheet) { window.clearTimeout(sheet.timer); window.clearTimeout(sheet.retry); }
        holder.innerHTML = html;
        attach();
      }).catch(function () {
        swapping = false;
        window.setTimeout(reloadSheet, 2000);
      });
  }

  function render(s) {
    state = s;
    phaseEl.textContent = s.phase_label;
    onStageEl.hidden = !s.current;
    onStageTeam.textContent = s.current ? "Đội " + s.current.position + "/" + s.total + " · " + s.current.code : "";
    timerEl.hidden = !s.current || !s.timer || !s.timer.started;
    var submitted = s.sheet && s.sheet.status === "submitted";
    nudge.hidden = !s.nudged || !s.sheet || submitted;
    var shown = holder.querySelector(".judge-sheet");
    if (!shown || shown.dataset.key !== keyOf(s)) { reloadSheet(); }
    tick();
  }

  function tick() {
    if (!state || !state.current || !state.timer || !state.timer.started) { return; }
    var now = state.timer.paused || (Date.now() + offset);
    var left = Math.round(state.timer.seconds - (now - state.timer.started) / 1000);
    var over = left < 0;
    var abs = Math.abs(left);
    timerLabel.textContent = (state.phase === "qa" ? "Hỏi đáp" : "Thuyết trình") +
      (state.timer.paused ? " (tạm dừng)" : "") + (over ? " – quá giờ" : " – còn lại");
    timerValue.textContent = (over ? "−" : "") + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
    timerEl.classList.toggle("over", over);
  }

  function poll() {
    window.clearTimeout(poll.timer);
    var headers = { "Accept": "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(stateUrl, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (!response.ok) { throw new Error("state " + response.status); }
        etag = response.headers.get("ETag") || "";
        return response.json();
      }).then(function (s) {
        var wasDown = failures > 0;
        failures = 0;
        connection.textContent = "";
        if (s) {
          offset = s.server_now - Date.now();
          render(s);
        }
        if (wasDown) { flushPending(); }
        poll.timer = window.setTimeout(poll, POLL_MS);
      }).catch(function () {
        failures += 1;
        connection.textContent = "Mất kết nối – đang thử lại…";
        poll.timer = window.setTimeout(poll, Math.min(POLL_MS * Math.pow(2, failures - 1), 4000));
      });
  }

  var initial = document.getElementById("live-judge-state");
  if (initial) {
    try {
      state = JSON.parse(initial.textContent);
      offset = state.server_now - Date.now();
    } catch (e) { state = null; }
  }
  attach();
  tick();
  window.setInterval(tick, 1000);
  window.addEventListener("online", function () { poll(); flushPending(); });
  poll();
})();
