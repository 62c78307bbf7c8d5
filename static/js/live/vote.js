// Audience vote page (SPEC §4): sends the vote to the JSON API (the page also works as a plain form
// without JS) and follows the vote window by polling the stage's public state every 3 s with its
// ETag, so the button turns on when the organisers open the vote and off when they close it.
// A vote is an upsert keyed by the ticket, so resending it after a dropped connection is harmless.
(function () {
  const root = document.getElementById("vote");
  const form = document.getElementById("vote-form");
  if (!root || !form) return;
  const $ = (id) => document.getElementById(id);
  const button = $("vote-submit");
  const result = $("vote-result");
  const windowBox = $("vote-window");
  const POLL_MS = 3000;
  const LABELS = {
    open: "Bình chọn đang mở.",
    not_open: "Bình chọn chưa mở. Trang sẽ tự cho phép bình chọn khi ban tổ chức mở.",
    closed: "Bình chọn đã đóng. Cảm ơn bạn đã tham gia!",
    disabled: "Vòng thi này không có bình chọn của khán giả.",
  };
  const OFFLINE = "Mất kết nối – đang thử lại…";
  let windowState = root.dataset.window;
  let sending = false;

  function say(text, kind) {
    const p = document.createElement("p");
    p.className = `flash flash-${kind}`;
    p.textContent = text;
    result.replaceChildren(p);
  }

  function showWindow(next) {
    windowState = next;
    windowBox.textContent = LABELS[next] || "";
    windowBox.className = `flash ${next === "open" ? "flash-success" : "flash-warning"}`;
    button.disabled = sending || next !== "open";
  }

  // --- sending a vote -------------------------------------------------------------------------
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function send(body) {
    for (let attempt = 0; attempt < 4; attempt += 1) {
      try {
        const response = await fetch(root.dataset.api, {
          method: "POST",
          credentials: "same-origin",
          cache: "no-store",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(body),
        });
        let answer = {};
        try {
          answer = await response.json();
        } catch (err) {
          answer = {};
        }
        if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
        return { ok: response.ok, answer };
      } catch (err) {
        say(OFFLINE, "warning");
        await sleep(1500 * 2 ** attempt);
      }
    }
    return null;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;
    const ticket = $("vote-ticket").value.trim();
    const chosen = form.querySelector("input[name=entry_id]:checked");
    if (!ticket) {
      say("Nhập mã vé của bạn (in dưới mã QR trên vé).", "error");
      $("vote-ticket").focus();
      return;
    }
    if (!chosen) {
      say("Chọn một đội trong danh sách.", "error");
      return;
    }
    sending = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    say("Đang gửi bình chọn…", "info");
    const outcome = await send({ ticket, entry_id: Number(chosen.value) });
    sending = false;
    button.removeAttribute("aria-busy");
    showWindow(windowState);
    if (outcome === null) {
      say("Không gửi được bình chọn. Kiểm tra kết nối mạng rồi bấm “Gửi bình chọn” lần nữa.", "error");
    } else if (outcome.ok) {
      say(outcome.answer.message || "Đã ghi nhận bình chọn của bạn.", "success");
    } else {
      say(outcome.answer.message || "Không ghi nhận được bình chọn.", "error");
      const code = outcome.answer.error || "";
      if (code === "vote_closed") showWindow("closed");
      if (code === "vote_not_open") showWindow("not_open");
    }
  });

  // --- following the window -------------------------------------------------------------------
  let etag = null;
  let delay = POLL_MS;

  function applyState(s) {
    const vote = s.vote || {};
    let next;
    if (!vote.enabled) next = "disabled";
    else if (vote.open) next = "open";
    else next = windowState === "open" || windowState === "closed" ? "closed" : "not_open";
    showWindow(next);
    const absent = new Set((s.order || []).filter((t) => t.state === "no_show").map((t) => String(t.entry_id)));
    for (const input of form.querySelectorAll("input[name=entry_id]")) {
      const isAbsent = absent.has(input.value);
      input.disabled = isAbsent;
      if (isAbsent) input.checked = false;
      const badge = input.parentElement.querySelector(".no-show-badge");
      if (badge) badge.hidden = !isAbsent;
    }
  }

  async function poll() {
    try {
      const headers = { Accept: "application/json" };
      if (etag) headers["If-None-Match"] = etag;
      const response = await fetch(root.dataset.state, { cache: "no-store", headers });
      if (response.status === 200) {
        etag = response.headers.get("ETag");
        applyState(await response.json());
      } else if (response.status !== 304) {
        throw new Error(`HTTP ${response.status}`);
      } else if (windowBox.textContent === OFFLINE) {
        showWindow(windowState);
      }
      delay = POLL_MS;
    } catch (err) {
      windowBox.textContent = OFFLINE;
      windowBox.className = "flash flash-warning";
      delay = Math.min(delay * 2, 30000);
    }
    setTimeout(poll, delay);
  }

  setTimeout(poll, POLL_MS);
})();
