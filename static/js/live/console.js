// The chair's console (templates/live/console.html). Every command form is posted with fetch and the
// page re-renders from the JSON console state it answers; the state is also polled every second
// (judges submitting, the vote tally). Without this script the forms post and redirect back.
// Sections show or hide by the flags below — the template computes the same flags (keep in step).
(function () {
  "use strict";
  var root = document.getElementById("live-console");
  var dataEl = document.getElementById("console-state");
  if (!root || !dataEl || !window.LiveTimer) { return; }

  var commandUrl = root.dataset.commandUrl;
  var stateUrl = root.dataset.stateUrl;
  var csrf = root.dataset.csrf;
  var $ = function (id) { return document.getElementById(id); };
  var STATUS_WORDS = { todo: "Chưa mở", draft: "Đang chấm", submitted: "Đã nộp" };

  var state = JSON.parse(dataEl.textContent);
  var offset = LiveTimer.offset(state.server_now);
  var drawn = {};  // section → the JSON it was last drawn from (rebuild only what changed)
  var epoch = 0;  // bumped when a command's answer is applied: older poll answers are dropped

  // --- drawing ---------------------------------------------------------------------------------

  function flags(s) {
    var onStage = Boolean(s.current) && (s.phase === "pitch" || s.phase === "qa");
    var paused = onStage && s.timer.paused !== null;
    var waiting = s.order.filter(function (t) { return t.state === "waiting"; });
    var tally = Array.isArray(s.tally) ? s.tally : [];
    return {
      onStage: onStage,
      idle: !onStage,
      pitch: onStage && s.phase === "pitch",
      qa: onStage && s.phase === "qa",
      running: onStage && !paused,
      paused: paused,
      canStart: !onStage && waiting.length > 0,
      editable: s.phase === "ready" && waiting.length === s.order.length,
      seed: Boolean(s.seed),
      reasonForm: onStage || waiting.length > 0,
      pickTeam: !onStage && waiting.length > 0,
      hasSheets: onStage && s.sheets.length > 0,
      finished: s.phase === "finished",
      notReleased: s.phase === "finished" && !s.released,
      released: Boolean(s.released),
      canReveal: Boolean(s.released) && s.reveal_level < s.levels,
      vote: Boolean(s.vote && s.vote.enabled),
      voteOpen: Boolean(s.vote && s.vote.enabled && s.vote.open),
      voteClosed: Boolean(s.vote && s.vote.enabled && !s.vote.open),
      tally: tally.length > 0,
      _waiting: waiting,
      _tally: tally
    };
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.append(child); } });
    return node;
  }

  function hidden(name, value) { return el("input", { type: "hidden", name: name, value: String(value) }); }

  function commandForm(fields, label, cls, ariaLabel, group) {
    var form = el("form", { method: "post", action: commandUrl, "class": "command-form", "data-command": "" });
    form.append(hidden("csrf_token", csrf));
    Object.keys(fields).forEach(function (key) { form.append(hidden(key, fields[key])); });
    var button = el("button", { type: "submit", text: label });
    if (cls) { button.className = cls; }
    if (ariaLabel) { button.setAttribute("aria-label", ariaLabel); button.dataset.key = ariaLabel; }
    if (group) { button.dataset.group = group; }
    form.append(button);
    return form;
  }

  function changed(section, value) {
    var json = JSON.stringify(value);
    if (drawn[section] === json) { return false; }
    drawn[section] = json;
    return true;
  }

  // Rebuilding a list loses the keyboard focus: put it back on the button with the same name, or
  // on the same team's other button (a team moved to the top has no "Lên" any more).
  var pressed = null;  // the button whose command is under way (disabled meanwhile, so not focused)
  function keepFocus(rebuild) {
    var active = pressed || document.activeElement;
    var key = active && active.dataset ? active.dataset.key : null;
    var group = active && active.dataset ? active.dataset.group : null;
    rebuild();
    var again = null;
    root.querySelectorAll("[data-key]").forEach(function (node) {
      if (node.dataset.key === key) { again = node; }
      if (!again && group && node.dataset.group === group) { again = node; }
    });
    if (key && again) { again.focus(); }
  }

  function setText(id, text) {
    var node = $(id);
    if (node && node.textContent !== text) { node.textContent = text; }
  }

  function sheetWord(sheet) {
    if (sheet.status === "submitted") { return "submitted"; }
    return sheet.status === "draft" || sheet.opened ? "draft" : "todo";
  }

  function drawOrder(s, f) {
    var reasons = {};
    (s.slots || []).forEach(function (slot) { reasons[slot.entry_id] = slot.reason; });
    if (!changed("order", [s.order, f.editable, reasons])) { return; }
    var ids = s.order.map(function (t) { return t.entry_id; });
    var list = $("c-order");
    keepFocus(function () {
      list.replaceChildren.apply(list, s.order.map(function (team, i) {
        var main = el("span", { "class": "order-main" }, [
          el("span", { "class": "entry-code", text: team.code }), document.createTextNode(" " + team.title)
        ]);
        if (reasons[team.entry_id]) {
          main.append(el("small", { "class": "order-reason", text: "Lý do: " + reasons[team.entry_id] }));
        }
        var item = el("li", { "class": "order-item slot-" + team.state }, [
          el("span", { "class": "order-pos", text: String(team.position) }),
          main,
          el("span", { "class": "slot-badge slot-badge-" + team.state, text: team.state_label })
        ]);
        if (f.editable) {
          var moves = el("span", { "class": "order-moves" });
          if (i > 0) {
            var up = ids.slice();
            up.splice(i - 1, 2, ids[i], ids[i - 1]);
            moves.append(commandForm({ action: "order", order: up.join(",") }, "Lên",
              "secondary outline small-button", "Đưa " + team.code + " lên", team.code));
          }
          if (i < ids.length - 1) {
            var down = ids.slice();
            down.splice(i, 2, ids[i + 1], ids[i]);
            moves.append(commandForm({ action: "order", order: down.join(",") }, "Xuống",
              "secondary outline small-button", "Đưa " + team.code + " xuống", team.code));
          }
          item.append(moves);
        }
        return item;
      }));
    });
  }

  function drawSheets(s) {
    if (!changed("sheets", s.sheets)) { return; }
    var body = $("c-sheets");
    keepFocus(function () {
      body.replaceChildren.apply(body, s.sheets.map(function (sheet) {
        var word = sheetWord(sheet);
        var status = el("td", {}, [el("span", { "class": "sheet-status sheet-" + word, text: STATUS_WORDS[word] })]);
        if (sheet.nudged && word !== "submitted") {
          status.append(document.createTextNode(" "), el("small", { "class": "muted", text: "Đã nhắc" }));
        }
        var action = el("td");
        if (word !== "submitted") {
          action.append(commandForm({ action: "nudge", judge_id: sheet.judge_id }, "Nhắc",
            "secondary small-button", "Nhắc " + sheet.name));
        }
        return el("tr", {}, [el("td", { text: sheet.name }), status, action]);
      }));
    });
    var done = s.sheets.filter(function (x) { return x.status === "submitted"; }).length;
    setText("c-sheets-count", done + "/" + s.sheets.length + " giám khảo đã nộp phiếu.");
  }

  function drawNoShowPick(f, onStage) {
    var select = $("c-noshow-entry");
    var hiddenEntry = $("c-onstage-entry");
    hiddenEntry.disabled = !onStage;
    select.disabled = onStage;
    if (!changed("pick", f._waiting)) { return; }
    var chosen = select.value;
    select.replaceChildren.apply(select, f._waiting.map(function (team) {
      return el("option", { value: String(team.entry_id), text: team.position + ". " + team.code + " – " + team.title });
    }));
    if (f._waiting.some(function (t) { return String(t.entry_id) === chosen; })) { select.value = chosen; }
  }

  function drawTally(f) {
    if (!changed("tally", f._tally)) { return; }
    var body = $("c-tally");
    body.replaceChildren.apply(body, f._tally.map(function (row) {
      return el("tr", {}, [
        el("td", {}, [el("span", { "class": "entry-code", text: row.code }), document.createTextNode(" " + row.title)]),
        el("td", { "class": "num", text: String(row.votes) })
      ]);
    }));
  }

  function render(s) {
    var f = flags(s);
    root.querySelectorAll("[data-when]").forEach(function (node) {
      var show = Boolean(f[node.dataset.when]);
      if (node.hidden === show) { node.hidden = !show; }
    });
    setText("c-phase", s.phase_label + (f.paused ? " · Tạm dừng" : ""));
    var cur = s.current;
    if (f.onStage) {
      setText("c-pos", String(cur.position));
      setText("c-total", String(s.total));
      setText("c-code", cur.code);
      setText("c-title", cur.title);
      setText("c-team", [cur.leader, cur.organisation].filter(Boolean).join(" · "));
      setText("c-phase-label", s.phase_label);
      $("c-onstage-entry").value = String(cur.entry_id);
    }
    var next = f._waiting[0];
    setText("c-idle", s.phase === "finished" ? "Mọi đội đã thi xong."
      : next ? "Đội tiếp theo: " + next.code + " – " + next.title : "");
    setText("c-seed-value", s.seed || "");
    setText("c-reveal-count", "Đã công bố " + s.reveal_level + "/" + s.levels + " giải");
    setText("c-revealed", (s.reveal.levels || []).map(function (lv) { return lv.name; }).join(", "));
    setText("c-vote-state", f.voteOpen ? "Đang mở bình chọn." : "Bình chọn đang đóng.");
    drawOrder(s, f);
    drawSheets(s);
    drawNoShowPick(f, f.onStage);
    drawTally(f);
    tick();
  }

  function tick() {
    LiveTimer.render($("c-timer"), state.timer, offset, $("c-timer-note"));
  }

  function apply(s) {
    state = s;
    offset = LiveTimer.offset(s.server_now);
    render(s);
  }

  // --- commands ----------------------------------------------------------------------------------

  // An error shows next to the form that caused it: in the form, else in its panel, else at the top.
  function errorBox(form) {
    var panel = form.closest("section, details");
    return form.querySelector("[data-error]") || (panel && panel.querySelector("[data-error]")) || $("c-error");
  }

  function showError(form, message) {
    root.querySelectorAll("[data-error]").forEach(function (box) { box.textContent = ""; });
    if (message) { errorBox(form).textContent = message; }
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-command")) { return; }
    event.preventDefault();
    var submitter = event.submitter || form.querySelector("button[type=submit]");
    var data = new FormData(form);
    if (submitter && submitter.name) { data.set(submitter.name, submitter.value); }
    var action = data.get("action");
    if (submitter) { submitter.disabled = true; pressed = submitter; }
    fetch(form.getAttribute("action") || commandUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          var error = new Error(body.message || "Không thực hiện được lệnh (lỗi " + response.status + ").");
          error.status = response.status;
          throw error;
        }
        return body;
      });
    }).then(function (body) {
      epoch += 1;
      showError(form, "");
      if (action === "close" || action === "no_show") { $("c-reason").value = ""; }
      if (action === "draw") { $("c-seed-input").value = ""; }
      apply(body);
      pressed = null;
    }).catch(function (error) {
      showError(form, error.status ? error.message : "Mất kết nối: lệnh chưa được gửi. Thử lại.");
      if (error.status === 422 && (action === "close" || action === "no_show")) { $("c-reason").focus(); }
    }).then(function () {
      pressed = null;
      if (submitter) { submitter.disabled = false; }
    });
  });

  // --- polling -----------------------------------------------------------------------------------

  var delay = 1000;
  function poll() {
    var mine = epoch;
    fetch(stateUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (s) {
        delay = 1000;
        setText("c-net", "");
        if (mine === epoch) { apply(s); }
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000);
        setText("c-net", "Mất kết nối – đang thử lại…");
      })
      .then(function () { window.setTimeout(poll, delay); });
  }

  render(state);
  window.setInterval(tick, 250);
  window.setTimeout(poll, delay);
})();
