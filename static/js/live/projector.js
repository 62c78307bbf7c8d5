// The hall's projector (templates/live/projector.html): polls the public state every second with the
// version it holds (If-None-Match → 304 while nothing changed), redraws on a new version, and ticks the
// countdown locally every 250 ms against the server's clock. On a failed poll it keeps the last
// picture and retries with back-off.
(function () {
  "use strict";
  var root = document.getElementById("projector");
  var dataEl = document.getElementById("projector-state");
  if (!root || !dataEl || !window.LiveTimer) { return; }

  var stateUrl = root.dataset.stateUrl;
  var $ = function (id) { return document.getElementById(id); };
  var state = JSON.parse(dataEl.textContent);
  var offset = LiveTimer.offset(state.server_now);
  var tag = null;
  var drawn = {};

  function el(tag, cls, text, children) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    (children || []).forEach(function (child) { if (child) { node.append(child); } });
    return node;
  }

  function setText(id, text) {
    var node = $(id);
    if (node && node.textContent !== text) { node.textContent = text; }
  }

  function changed(section, value) {
    var json = JSON.stringify(value);
    if (drawn[section] === json) { return false; }
    drawn[section] = json;
    return true;
  }

  function onStage(s) { return Boolean(s.current) && (s.phase === "pitch" || s.phase === "qa"); }

  function view(s) { return s.reveal.released ? "reveal" : onStage(s) ? "stage" : "order"; }

  function code(text) { return el("span", "pj-code", text); }

  function award(a, big) {
    var title = el("p", "pj-award-title");
    if (a.code) { title.append(code(a.code), document.createTextNode(" ")); }
    title.append(document.createTextNode(a.title || ""));
    var who = [a.leader, a.organisation].filter(Boolean).join(" · ");
    var meta = [];
    if (big && a.track) { meta.push(a.track); }
    if (big && a.score) { meta.push("Điểm " + String(a.score).replace(".", ",")); }
    return el("li", "pj-award", "", [
      title,
      who ? el("p", "pj-award-team", who) : null,
      meta.length ? el("p", "pj-award-meta", meta.join(" · ")) : null
    ]);
  }

  function level(lv, big) {
    return el("section", big ? "pj-level pj-newest" : "pj-level", "", [
      el("h2", "pj-level-name", lv.name),
      el("ul", "pj-awards", "", lv.awards.map(function (a) { return award(a, big); }))
    ]);
  }

  function drawLevels(s) {
    var levels = s.reveal.levels || [];
    if (!changed("levels", levels)) { return; }
    var box = $("pj-levels");
    var parts = [];
    if (levels.length) {
      parts.push(level(levels[levels.length - 1], true));
      if (levels.length > 1) {
        parts.push(el("div", "pj-earlier", "", levels.slice(0, -1).map(function (lv) { return level(lv, false); })));
      }
    }
    box.replaceChildren.apply(box, parts);
    $("pj-reveal-wait").hidden = levels.length > 0;
  }

  function drawOrder(s) {
    // Between two teams the next one is marked (before the first start the whole order is news).
    var next = s.phase === "ready" ? null : s.order.filter(function (t) { return t.state === "waiting"; })[0];
    var nextId = next ? next.entry_id : null;
    if (!changed("order", [s.order, nextId])) { return; }
    var list = $("pj-order-list");
    list.replaceChildren.apply(list, s.order.map(function (team) {
      var isNext = team.entry_id === nextId;
      return el("li", "pj-slot pj-slot-" + team.state + (isNext ? " pj-next" : ""), "", [
        el("span", "pj-slot-pos", String(team.position)),
        el("span", "pj-slot-main", "", [code(team.code), document.createTextNode(" " + team.title)]),
        el("span", "pj-slot-state", isNext ? "Tiếp theo" : team.state_label)
      ]);
    }));
  }

  function drawVote(s) {
    var open = Boolean(s.vote && s.vote.open);
    var box = $("pj-vote");
    var img = $("pj-qr");
    box.hidden = !open;
    root.classList.toggle("pj-with-vote", open);
    if (open && !img.getAttribute("src")) { img.setAttribute("src", box.dataset.qrSrc); }
  }

  function render(s) {
    var v = view(s);
    root.classList.remove("pj-view-reveal", "pj-view-stage", "pj-view-order");
    root.classList.add("pj-view-" + v);
    $("pj-stage").hidden = v !== "stage";
    $("pj-order").hidden = v !== "order";
    $("pj-reveal").hidden = v !== "reveal";
    setText("pj-round", s.round);
    setText("pj-phase", s.phase_label);
    var cur = s.current;
    if (cur) {
      setText("pj-pos", "Đội thi số " + cur.position + "/" + s.total);
      setText("pj-code", cur.code);
      setText("pj-title", cur.title);
      setText("pj-team", [cur.leader, cur.organisation].filter(Boolean).join(" · "));
    }
    setText("pj-timer-phase", s.phase_label);
    var finished = s.phase === "finished";
    setText("pj-order-heading", finished ? "Các đội đã thi xong" : "Thứ tự thi");
    setText("pj-order-note", finished ? "Hội đồng giám khảo đang tổng hợp kết quả." : "");
    setText("pj-method", s.reveal.method || "");
    drawOrder(s);
    drawLevels(s);
    drawVote(s);
    tick();
  }

  function tick() {
    LiveTimer.render($("pj-clock"), onStage(state) ? state.timer : null, offset, $("pj-note"));
  }

  var delay = 1000;
  function poll() {
    var headers = { Accept: "application/json" };
    if (tag) { headers["If-None-Match"] = tag; }
    fetch(stateUrl, { cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        tag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (s) {
        delay = 1000;
        setText("pj-net", "");
        if (s) {
          state = s;
          offset = LiveTimer.offset(s.server_now);
          render(s);
        }
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000);
        setText("pj-net", "Mất kết nối – đang thử lại…");
      })
      .then(function () { window.setTimeout(poll, delay); });
  }

  render(state);
  window.setInterval(tick, 250);
  window.setTimeout(poll, delay);
})();
