// Scanner page for check-in staff (SPEC §5): camera (vendored qr-scanner), USB/manual codes,
// search, group and walk-in check-in, undo, and an offline queue kept in localStorage.
// Every scan gets a client scan_id, so a retry or a queued scan synced twice is answered by the
// server with the first answer and never creates a second check-in.

const root = document.getElementById("scanner");
const cfg = JSON.parse(root.dataset.config);
const csrf = root.dataset.csrf;
const $ = (id) => document.getElementById(id);
const KEY = (name) => `kndmst.${name}.${cfg.slug}`;
const RECENT_MAX = 30;
const SAME_CODE_COOLDOWN_MS = 4000;
const REQUEST_TIMEOUT_MS = 8000;

const LABELS = {
  ok: { icon: "✔", title: "Hợp lệ – mời vào", cls: "ok" },
  already_checked_in: { icon: "⚠", title: "Đã check-in trước đó", cls: "warn" },
  invalid: { icon: "✖", title: "Mã vé không hợp lệ", cls: "error" },
  revoked: { icon: "✖", title: "Vé đã bị thu hồi", cls: "error" },
  wrong_event: { icon: "✖", title: "Vé của sự kiện khác", cls: "error" },
  queued: { icon: "◷", title: "Đã lưu, chờ có mạng", cls: "queued" },
  failed: { icon: "✖", title: "Không gửi được", cls: "error" },
  undone: { icon: "↺", title: "Đã huỷ check-in", cls: "info" },
};

// --- storage ----------------------------------------------------------------------------------
function load(name, fallback) {
  try {
    const value = JSON.parse(localStorage.getItem(KEY(name)));
    return value ?? fallback;
  } catch {
    return fallback;
  }
}
function save(name, value) {
  localStorage.setItem(KEY(name), JSON.stringify(value));
}
let queue = load("queue", []);
let recent = load("recent", []);

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// --- network ----------------------------------------------------------------------------------
class NetworkError extends Error {}

async function api(method, url, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
    });
  } catch (err) {
    throw new NetworkError(String(err));
  } finally {
    clearTimeout(timer);
  }
  if (response.status >= 500) throw new NetworkError(`HTTP ${response.status}`);
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = {};
  }
  if (!response.ok) {
    const error = new Error(data.message || `Lỗi ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function online() {
  return navigator.onLine !== false;
}

// --- feedback: colour, sound, vibration ---------------------------------------------------------
let audio = null;
function beep(kind) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const tones = { ok: [[880, 0.12]], warn: [[660, 0.12], [660, 0.12]], error: [[220, 0.4]], queued: [[520, 0.1]] }[kind];
    let t = audio.currentTime;
    for (const [freq, dur] of tones || []) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + dur);
      t += dur + 0.08;
    }
  } catch {
    /* no audio on this device: colour and text still say it */
  }
  if (navigator.vibrate) navigator.vibrate({ ok: 80, warn: [80, 60, 80], error: 400, queued: 40 }[kind] || 0);
}

function setResult(kind, title, lines) {
  const box = $("result");
  const label = LABELS[kind] || LABELS.failed;
  box.className = `scan-result ${label.cls}`;
  box.querySelector(".scan-icon").textContent = label.icon;
  box.querySelector(".scan-title").textContent = title || label.title;
  const detail = box.querySelector(".scan-detail");
  detail.replaceChildren();
  for (const line of lines.filter(Boolean)) {
    const span = document.createElement("span");
    span.textContent = line;
    detail.append(span, document.createElement("br"));
  }
  beep(label.cls);
}

function describe(answer) {
  const a = answer.attendee || {};
  const lines = [a.name, [a.category, a.organisation].filter(Boolean).join(" · "), a.group ? `Đoàn: ${a.group}` : ""];
  if (answer.result === "already_checked_in" && answer.first_checkin) {
    const f = answer.first_checkin;
    lines.push(`Lần đầu: ${f.at_local} – ${f.gate}${f.staff ? ` – ${f.staff}` : ""}`);
  } else if (answer.result === "ok" && answer.checkin) {
    lines.push(`${answer.checkin.at_local} – ${answer.checkin.gate}`);
  } else if (answer.result === "wrong_event" && answer.event) {
    lines.push(`Sự kiện: ${answer.event.name}`);
  }
  if (answer.result !== "ok" && answer.message) lines.push(answer.message);
  return lines;
}

function showAnswer(answer) {
  const label = LABELS[answer.result] || LABELS.failed;
  setResult(answer.result, label.title, describe(answer));
}

// --- recent scans and queue ---------------------------------------------------------------------
function remember(entry) {
  const i = recent.findIndex((r) => r.scan_id === entry.scan_id);
  if (i >= 0) recent[i] = { ...recent[i], ...entry };
  else recent.unshift(entry);
  recent = recent.slice(0, RECENT_MAX);
  save("recent", recent);
  renderRecent();
}

function entryFromAnswer(scan, answer) {
  const c = answer.checkin || {};
  return {
    scan_id: scan.scan_id,
    code: scan.code,
    result: answer.result,
    name: (answer.attendee && answer.attendee.name) || "",
    at_local: (answer.first_checkin || c).at_local || "",
    gate: (answer.first_checkin || c).gate || scan.gate,
    checkin_id: c.id || null,
    undone: false,
  };
}

function renderRecent() {
  const list = $("recent");
  list.replaceChildren();
  if (!recent.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = "Chưa có lượt quét nào trên thiết bị này.";
    list.append(li);
  }
  for (const r of recent) {
    const label = LABELS[r.result] || LABELS.failed;
    const li = document.createElement("li");
    li.className = `recent ${r.undone ? "undone" : label.cls}`;
    const text = document.createElement("span");
    const who = r.name || (r.result === "queued" ? "Chưa gửi" : r.code ? `${r.code.slice(0, 12)}…` : "");
    text.textContent = `${label.icon} ${who} – ${r.undone ? "đã huỷ check-in" : label.title}${r.at_local ? ` – ${r.at_local}` : ""}${r.gate ? ` – ${r.gate}` : ""}`;
    li.append(text);
    if (r.checkin_id && !r.undone && (r.result === "ok" || r.result === "already_checked_in")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary small";
      button.textContent = "Huỷ check-in";
      button.setAttribute("aria-label", `Huỷ check-in của ${r.name}`);
      button.addEventListener("click", () => openUndo(r));
      li.append(" ", button);
    }
    list.append(li);
  }
  const n = queue.length;
  $("queue-status").textContent = n ? `${n} lượt quét đang chờ gửi${queueProblem ? ` – ${queueProblem}` : ""}` : "";
}

function renderNet() {
  const el = $("net-status");
  if (online()) {
    el.className = "net net-online";
    el.textContent = "Đang trực tuyến";
  } else {
    el.className = "net net-offline";
    el.textContent = "Mất mạng – lượt quét được lưu trên máy";
  }
}

function enqueue(scan) {
  queue.push(scan);
  save("queue", queue);
  remember({ scan_id: scan.scan_id, code: scan.code, result: "queued", name: "", at_local: "", gate: scan.gate });
  setResult("queued", LABELS.queued.title, ["Lượt quét sẽ tự gửi khi có mạng trở lại.", `Đang chờ: ${queue.length}`]);
}

let flushing = false;
let queueProblem = "";
async function flush() {
  if (flushing || !queue.length || !online()) return;
  flushing = true;
  queueProblem = "";
  let sent = 0;
  let last = null;
  try {
    while (queue.length) {
      const scan = queue[0];
      let answer;
      try {
        answer = await api("POST", cfg.api, scan);
      } catch (err) {
        if (err instanceof NetworkError) break;
        if ([400, 401, 403, 429].includes(err.status)) {
          // Logged out, session expired or rate-limited: keep every queued scan for later.
          queueProblem = err.message;
          break;
        }
        answer = { result: "failed", message: err.message };
      }
      queue.shift();
      save("queue", queue);
      remember(entryFromAnswer(scan, answer));
      last = answer;
      sent += 1;
    }
    // The panel still shows "queued" from the last offline scan: show how the sync went instead.
    if (sent && $("result").classList.contains("queued") && last) {
      const label = LABELS[last.result] || LABELS.failed;
      setResult(last.result, `Đã gửi ${sent} lượt quét chờ`, [`Lượt cuối: ${label.title}`, ...describe(last)]);
    }
  } finally {
    flushing = false;
    renderRecent();
  }
}

// --- scanning -----------------------------------------------------------------------------------
async function submitScan(code) {
  const text = (code || "").trim();
  if (!text) return;
  const scan = { scan_id: uuid(), code: text, gate: $("gate").value, scanned_at: new Date().toISOString() };
  if (!online()) {
    enqueue(scan);
    return;
  }
  try {
    const answer = await api("POST", cfg.api, scan);
    showAnswer(answer);
    remember(entryFromAnswer(scan, answer));
  } catch (err) {
    if (err instanceof NetworkError) {
      enqueue(scan);
    } else {
      setResult("failed", "Không kiểm tra được", [err.message]);
    }
  }
}

$("manual-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("manual-code");
  submitScan(input.value);
  input.value = "";
  input.focus();
});

// Camera: qr-scanner is loaded only when asked for, so the rest of the page works without it.
let scanner = null;
let lastCode = "";
let lastAt = 0;
async function toggleCamera() {
  const button = $("camera-toggle");
  const message = $("camera-message");
  if (scanner) {
    scanner.stop();
    scanner.destroy();
    scanner = null;
    button.textContent = "Bật camera";
    message.textContent = "Camera đã tắt.";
    root.classList.remove("camera-on");
    return;
  }
  message.textContent = "Đang mở camera…";
  try {
    const { default: QrScanner } = await import("../../vendor/qr-scanner/qr-scanner.min.js");
    scanner = new QrScanner(
      $("camera"),
      (result) => {
        const now = Date.now();
        if (result.data === lastCode && now - lastAt < SAME_CODE_COOLDOWN_MS) return;
        lastCode = result.data;
        lastAt = now;
        submitScan(result.data);
      },
      { returnDetailedScanResult: true, maxScansPerSecond: 8, preferredCamera: "environment" },
    );
    await scanner.start();
    root.classList.add("camera-on");
    button.textContent = "Tắt camera";
    message.textContent = "Camera đang bật – đưa mã QR vào khung hình.";
  } catch (err) {
    scanner = null;
    message.textContent = `Không mở được camera (${err && err.name ? err.name : err}). Hãy cho phép quyền camera, hoặc dùng ô nhập mã bên dưới.`;
  }
}
$("camera-toggle").addEventListener("click", toggleCamera);

// --- undo ----------------------------------------------------------------------------------------
let undoTarget = null;
function openUndo(entry) {
  undoTarget = entry;
  $("undo-who").textContent = `${entry.name} – ${entry.at_local} – ${entry.gate}`;
  $("undo-reason").value = "";
  $("undo-message").textContent = "";
  $("undo-dialog").showModal();
  $("undo-reason").focus();
}
$("undo-cancel").addEventListener("click", () => $("undo-dialog").close());
$("undo-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const reason = $("undo-reason").value.trim();
  if (reason.length < 3) {
    $("undo-message").textContent = "Vui lòng ghi lý do (ít nhất 3 ký tự).";
    return;
  }
  if (!online()) {
    $("undo-message").textContent = "Cần có mạng để huỷ check-in.";
    return;
  }
  try {
    await api("DELETE", `${cfg.undo}${undoTarget.checkin_id}`, { reason });
    for (const r of recent) if (r.checkin_id === undoTarget.checkin_id) r.undone = true;
    save("recent", recent);
    renderRecent();
    $("undo-dialog").close();
    setResult("undone", "Đã huỷ check-in", [undoTarget.name, `Lý do: ${reason}`]);
  } catch (err) {
    $("undo-message").textContent = err.message;
  }
});

// --- search ----------------------------------------------------------------------------------------
let searchTimer = null;
async function search() {
  const q = $("search-q").value.trim();
  const list = $("search-results");
  const message = $("search-message");
  if (q.length < 2) {
    list.replaceChildren();
    message.textContent = "";
    return;
  }
  if (!online()) {
    message.textContent = "Cần có mạng để tìm kiếm.";
    return;
  }
  try {
    const data = await api("GET", `${cfg.search}?q=${encodeURIComponent(q)}`);
    list.replaceChildren();
    message.textContent = data.count ? `${data.count} kết quả` : "Không tìm thấy ai.";
    for (const p of data.results) {
      const li = document.createElement("li");
      const info = document.createElement("div");
      const strong = document.createElement("strong");
      strong.textContent = p.name;
      const small = document.createElement("small");
      small.textContent = [p.category, p.organisation, p.group && `Đoàn: ${p.group}`, p.phone_tail && `SĐT …${p.phone_tail}`]
        .filter(Boolean)
        .join(" · ");
      info.append(strong, document.createElement("br"), small);
      li.append(info);
      if (p.checkin) {
        const state = document.createElement("span");
        state.className = "badge warn";
        state.textContent = `Đã vào ${p.checkin.at_local} – ${p.checkin.gate}`;
        li.append(state);
      } else if (p.code) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = "Check-in";
        button.setAttribute("aria-label", `Check-in ${p.name}`);
        button.addEventListener("click", async () => {
          await submitScan(p.code);
          search();
        });
        li.append(button);
      } else {
        const state = document.createElement("span");
        state.className = "badge";
        state.textContent = "Không có vé hiệu lực";
        li.append(state);
      }
      list.append(li);
    }
  } catch (err) {
    message.textContent = err instanceof NetworkError ? "Mất mạng – không tìm được." : err.message;
  }
}
$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  search();
});
$("search-q").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(search, 350);
});

// --- whole group -----------------------------------------------------------------------------------
const groupForm = $("group-form");
if (groupForm) {
  groupForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!online()) {
      setResult("failed", "Cần có mạng", ["Check-in cả đoàn cần kết nối mạng."]);
      return;
    }
    try {
      const data = await api("POST", cfg.group, { group: $("group-select").value, gate: $("gate").value });
      setResult(data.checked_in ? "ok" : "already_checked_in", data.checked_in ? "Đã check-in cả đoàn" : "Cả đoàn đã vào trước đó", [data.message]);
      for (const answer of data.answers.filter((a) => a.result === "ok")) {
        remember(entryFromAnswer({ scan_id: `group-${answer.checkin.id}`, code: "", gate: $("gate").value }, answer));
      }
    } catch (err) {
      setResult("failed", "Không check-in được đoàn", [err.message]);
    }
  });
}

// --- walk-in -------------------------------------------------------------------------------------
$("walkin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const message = $("walkin-message");
  message.textContent = "";
  if (!online()) {
    message.textContent = "Cần có mạng để đăng ký tại chỗ.";
    return;
  }
  const consents = {};
  for (const box of form.querySelectorAll("input[type=checkbox]")) {
    consents[box.name.replace(/^walkin-consent_/, "")] = box.checked;
  }
  const body = {
    full_name: form.full_name.value,
    phone: form.phone.value,
    organisation: form.organisation.value,
    category: form.category.value,
    consents,
    gate: $("gate").value,
    scan_id: uuid(),
  };
  try {
    const answer = await api("POST", cfg.walkin, body);
    showAnswer(answer);
    remember(entryFromAnswer({ scan_id: body.scan_id, code: "", gate: body.gate }, answer));
    form.reset();
  } catch (err) {
    message.textContent = err.message;
  }
});

// --- start -----------------------------------------------------------------------------------------
const gateSelect = $("gate");
const savedGate = localStorage.getItem(KEY("gate"));
if (savedGate && cfg.gates.includes(savedGate)) gateSelect.value = savedGate;
gateSelect.addEventListener("change", () => localStorage.setItem(KEY("gate"), gateSelect.value));
window.addEventListener("online", () => {
  renderNet();
  flush();
});
window.addEventListener("offline", renderNet);
setInterval(flush, 10000);
renderNet();
renderRecent();
flush();
$("manual-code").focus();
