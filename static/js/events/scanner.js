// Scanner page for check-in staff (SPEC §5): camera (vendored qr-scanner), USB/manual codes,
// search, group and walk-in check-in, undo, and an offline queue kept in localStorage.
// Every scan gets a client scan_id, so a retry or a queued scan synced twice is answered by the
// server with the first answer and never creates a second check-in.
// Offline (issue 14): a service worker (sw.js) opens this page with no network, and the event's
// ticket list kept on the device (offline-list.js) lets an offline scan show the name and catch a
// ticket scanned twice here. On sync the server stays the truth; every queued scan it answered
// differently is listed under "Khác biệt sau đồng bộ" until dismissed.

import {
  codeHash,
  deleteEndedLists,
  deleteList,
  extractCode,
  hasEnded,
  indexRows,
  loadList,
  localTime,
  looksLikeCode,
  saveList,
} from "./offline-list.js";

const root = document.getElementById("scanner");
const cfg = JSON.parse(root.dataset.config);
let csrf = root.dataset.csrf;
const $ = (id) => document.getElementById(id);
const KEY = (name) => `kndmst.${name}.${cfg.slug}`;
const RECENT_MAX = 30;
const SAME_CODE_COOLDOWN_MS = 4000;
const REQUEST_TIMEOUT_MS = 8000;
const LIST_REFRESH_MS = 60000;
const LIST_TIMEOUT_MS = 30000;
const CONFLICTS_MAX = 100;
const points = new Map(cfg.points.map((p) => [p.id, p]));

const LABELS = {
  ok: { icon: "✔", title: "Hợp lệ – mời vào", cls: "ok" },
  already_checked_in: { icon: "⚠", title: "Đã check-in trước đó", cls: "warn" },
  invalid: { icon: "✖", title: "Mã vé không hợp lệ", cls: "error" },
  revoked: { icon: "✖", title: "Vé đã bị thu hồi", cls: "error" },
  wrong_event: { icon: "✖", title: "Vé của sự kiện khác", cls: "error" },
  event_ended: { icon: "✖", title: "Sự kiện đã kết thúc", cls: "error" },
  not_registered: { icon: "✖", title: "Chưa đăng ký phiên này", cls: "error" },
  room_full: { icon: "✖", title: "Phòng đã đủ chỗ", cls: "error" },
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
let conflicts = load("conflicts", []);

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

async function api(method, url, body, timeout = REQUEST_TIMEOUT_MS) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
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
  delete box.dataset.offline;
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

function enqueue(scan, verdict) {
  queue.push(scan);
  save("queue", queue);
  remember({
    scan_id: scan.scan_id,
    code: scan.code,
    result: "queued",
    name: verdict.name || "",
    at_local: "",
    gate: scan.point_label || scan.gate,
  });
}

// --- the ticket list kept for offline use ------------------------------------------------------------
let list = null; // { record, byHash }
let listBusy = false;

function renderList() {
  const el = $("list-status");
  if (!list) {
    el.textContent = "";
    return;
  }
  const n = list.record.rows.length;
  el.textContent = `Danh sách vé trên máy: ${n.toLocaleString("vi-VN")} vé, cập nhật ${localTime(list.record.fetched_at)}`;
}

async function useList(record) {
  list = record ? { record, byHash: indexRows(record) } : null;
  renderList();
}

// Download the list (or confirm it is unchanged: 304) while online; refused after the event.
async function refreshList() {
  if (listBusy || !online()) return;
  listBusy = true;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), LIST_TIMEOUT_MS);
  try {
    const headers = { Accept: "application/json" };
    if (list && list.record.etag) headers["If-None-Match"] = list.record.etag;
    const response = await fetch(cfg.tickets, { credentials: "same-origin", headers, signal: controller.signal, cache: "no-store" });
    if (response.status === 304 && list) {
      list.record.fetched_at = Date.now();
      await saveList(list.record);
    } else if (response.ok) {
      const data = await response.json();
      if (data.csrf) csrf = data.csrf;
      const record = {
        slug: cfg.slug,
        format: data.format,
        etag: response.headers.get("ETag") || "",
        fetched_at: Date.now(),
        ends_at: data.event.ends_at,
        late_checkin: data.event.late_checkin,
        hash_chars: data.hash_chars,
        categories: data.categories,
        gates: data.gates,
        rows: data.rows,
        // Offline check-ins made on this device and not yet synced stay known after a refresh.
        local: keepUnsynced(list ? list.record.local : {}, Date.parse(data.generated_at)),
      };
      await saveList(record);
      await useList(record);
    } else if ([401, 403, 409].includes(response.status)) {
      // Not (or no longer) staff of this event, or the event has ended: no list on this device.
      await deleteList(cfg.slug);
      await useList(null);
    }
  } catch {
    /* offline or slow network: keep the copy we have */
  } finally {
    clearTimeout(timer);
    listBusy = false;
    renderList();
  }
}

function keepUnsynced(local, generated) {
  // Queued scans, and check-ins made after the server built this list (a few seconds of leeway).
  const pending = new Set(queue.map((s) => s.scan_id));
  const since = Number.isNaN(generated) ? Infinity : generated - 5000;
  return Object.fromEntries(Object.entries(local || {}).filter(([, v]) => pending.has(v.scan_id) || v.at > since));
}

// What the device can say about a scan with no network: { result, title, lines, name, queue }.
async function offlineVerdict(scan, point) {
  const code = extractCode(scan.code);
  if (!looksLikeCode(code)) {
    return { result: "invalid", title: "Mã vé không hợp lệ", lines: ["Không đọc được mã vé: kiểm tra lại hoặc tìm theo tên khi có mạng."], queue: false };
  }
  const hash = list ? await codeHash(code, list.record.hash_chars) : null;
  const row = hash ? list.byHash.get(hash) : null;
  const who = row ? [row.name, [row.category, row.organisation].filter(Boolean).join(" · "), row.group ? `Đoàn: ${row.group}` : ""] : [];
  const pendingLine = `Đang chờ gửi: ${queue.length + 1}`;
  if (!list || !hash) {
    return { result: "queued", title: LABELS.queued.title, lines: ["Lượt quét sẽ tự gửi khi có mạng trở lại.", pendingLine], queue: true, offline: "unknown" };
  }
  if (!row) {
    return {
      result: "queued",
      title: "Chưa có trong danh sách tải về",
      lines: ["Chưa có trong danh sách tải về — sẽ kiểm tra khi có mạng.", pendingLine],
      queue: true,
      offline: "unknown",
    };
  }
  if (point.kind !== "gate") {
    // Session registrations and room capacity are not in the list: the server decides on sync.
    return { result: "queued", title: LABELS.queued.title, lines: [...who, "Sẽ kiểm tra đăng ký phiên khi có mạng.", pendingLine], queue: true, offline: "unknown", name: row.name };
  }
  const mine = list.record.local[hash];
  if (mine) {
    return { result: "already_checked_in", title: "Đã check-in (trên máy này)", lines: [...who, `Đã check-in (trên máy này, lúc ${localTime(mine.at)} – ${mine.gate})`], queue: false, name: row.name };
  }
  if (row.at) {
    return {
      result: "already_checked_in",
      title: LABELS.already_checked_in.title,
      lines: [...who, `Lần đầu: ${localTime(row.at)} – ${row.gate} (theo danh sách tải lúc ${localTime(list.record.fetched_at)})`],
      queue: false,
      name: row.name,
    };
  }
  list.record.local[hash] = { at: Date.parse(scan.scanned_at), gate: scan.gate, scan_id: scan.scan_id };
  saveList(list.record).catch(() => {});
  return { result: "ok", title: "Hợp lệ – mời vào (ngoại tuyến)", lines: [...who, "Mất mạng: lượt quét được lưu và sẽ gửi khi có mạng.", pendingLine], queue: true, offline: "ok", name: row.name };
}

async function scanOffline(scan, point) {
  const verdict = await offlineVerdict(scan, point);
  if (verdict.queue) {
    enqueue({ ...scan, offline: verdict.offline, name: verdict.name || "" }, verdict);
  } else {
    remember({ scan_id: scan.scan_id, code: scan.code, result: verdict.result, name: verdict.name || "", at_local: localTime(Date.parse(scan.scanned_at)), gate: point.label });
  }
  setResult(verdict.result, verdict.title, verdict.lines);
  return verdict.result === "ok" || verdict.result === "already_checked_in";
}

// --- differences after sync ------------------------------------------------------------------------
function renderConflicts() {
  const box = $("conflicts");
  const ul = $("conflict-list");
  ul.replaceChildren();
  for (const c of conflicts) {
    const li = document.createElement("li");
    li.className = "conflict";
    const strong = document.createElement("strong");
    strong.textContent = c.name || `${(c.code || "").slice(0, 12)}…`;
    const was = document.createElement("span");
    was.textContent = `Trên máy (${c.scanned_local} – ${c.gate}): ${c.offline_title}`;
    const now = document.createElement("span");
    now.textContent = `Máy chủ: ${c.server_title}${c.server_detail ? ` – ${c.server_detail}` : ""}`;
    li.append(strong, document.createElement("br"), was, document.createElement("br"), now);
    ul.append(li);
  }
  box.hidden = conflicts.length === 0;
}

function noteConflict(scan, answer) {
  const changed = scan.offline === "ok" ? answer.result !== "ok" : scan.offline === "unknown" && answer.result !== "ok";
  if (!changed) return;
  const first = answer.first_checkin;
  const label = LABELS[answer.result] || LABELS.failed;
  conflicts.unshift({
    scan_id: scan.scan_id,
    code: scan.code,
    name: (answer.attendee && answer.attendee.name) || scan.name || "",
    gate: scan.point_label || scan.gate,
    scanned_local: localTime(Date.parse(scan.scanned_at)),
    offline_title: scan.offline === "ok" ? "Hợp lệ (ngoại tuyến)" : "Chưa có trong danh sách tải về",
    server_title: label.title,
    server_detail: first ? `lần đầu ${first.at_local} – ${first.gate}${first.staff ? ` – ${first.staff}` : ""}` : answer.message || "",
  });
  conflicts = conflicts.slice(0, CONFLICTS_MAX);
  save("conflicts", conflicts);
  renderConflicts();
}

$("conflicts-dismiss").addEventListener("click", () => {
  conflicts = [];
  save("conflicts", conflicts);
  renderConflicts();
});

let flushing = false;
let queueProblem = "";
function body(scan) {
  return { scan_id: scan.scan_id, code: scan.code, gate: scan.gate, scanned_at: scan.scanned_at };
}
async function flush() {
  if (flushing || !queue.length || !online()) return;
  flushing = true;
  queueProblem = "";
  let sent = 0;
  let last = null;
  let csrfRetried = false;
  try {
    while (queue.length) {
      const scan = queue[0];
      let answer;
      try {
        answer = await api("POST", scan.api || cfg.api, body(scan));
      } catch (err) {
        if (err instanceof NetworkError) break;
        if (err.status === 400 && !csrfRetried) {
          // A page opened from the offline cache may hold an old CSRF token: fetch a fresh one.
          csrfRetried = true;
          await refreshList();
          continue;
        }
        if ([400, 401, 403, 429].includes(err.status)) {
          // Logged out, session expired or rate-limited: keep every queued scan for later.
          queueProblem = err.message;
          break;
        }
        answer = { result: "failed", message: err.message };
      }
      queue.shift();
      save("queue", queue);
      remember({ ...entryFromAnswer(scan, answer), gate: scan.point_label || (answer.first_checkin || answer.checkin || {}).gate || scan.gate });
      noteConflict(scan, answer);
      last = answer;
      sent += 1;
    }
    // The panel still shows an offline answer: show how the sync went instead.
    if (sent && last && $("result").dataset.offline === "1") {
      const label = LABELS[last.result] || LABELS.failed;
      setResult(last.result, `Đã gửi ${sent} lượt quét chờ`, [`Lượt cuối: ${label.title}`, ...describe(last)]);
    }
  } finally {
    flushing = false;
    renderRecent();
    if (sent) refreshList();
  }
}

// --- scanning -----------------------------------------------------------------------------------
function currentPoint() {
  return points.get($("gate").value) || cfg.points[0];
}

// Returns true when the code needs no correction (the manual box may be cleared).
async function submitScan(code) {
  const text = (code || "").trim();
  if (!text) return false;
  const point = currentPoint();
  const scan = {
    scan_id: uuid(),
    code: text,
    gate: point.gate,
    api: point.api,
    point_label: point.label,
    scanned_at: new Date().toISOString(),
  };
  if (!online()) return markOffline(await scanOffline(scan, point));
  try {
    const answer = await api("POST", point.api, body(scan));
    showAnswer(answer);
    if (answer.result === "ok" && point.kind === "gate") noteLocal(scan);
    remember({ ...entryFromAnswer(scan, answer), gate: point.kind === "gate" ? entryFromAnswer(scan, answer).gate : point.label });
    return answer.result === "ok" || answer.result === "already_checked_in";
  } catch (err) {
    if (err instanceof NetworkError) return markOffline(await scanOffline(scan, point));
    setResult("failed", "Không kiểm tra được", [err.message]);
    return false;
  }
}

// An online check-in on this device: known at once, should the network drop before the next refresh.
async function noteLocal(scan) {
  if (!list) return;
  const hash = await codeHash(extractCode(scan.code), list.record.hash_chars);
  if (!hash) return;
  list.record.local[hash] = { at: Date.parse(scan.scanned_at), gate: scan.gate, scan_id: scan.scan_id };
  saveList(list.record).catch(() => {});
}

function forgetLocal(scanId) {
  if (!list) return;
  for (const [hash, v] of Object.entries(list.record.local)) if (v.scan_id === scanId) delete list.record.local[hash];
  saveList(list.record).catch(() => {});
  refreshList();
}

function markOffline(clean) {
  $("result").dataset.offline = "1";
  return clean;
}

$("manual-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("manual-code");
  const clean = await submitScan(input.value);
  // After an error the typed code stays for correction, selected so the next scan replaces it.
  if (clean) input.value = "";
  input.focus();
  if (!clean) input.select();
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
    // On a phone: the preview and the answer below it fill the screen, no scrolling to aim.
    $("camera").closest("section").scrollIntoView({ block: "start" });
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
    forgetLocal(undoTarget.scan_id);
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
    // Ask first, with the count: a mis-picked delegation checks in many people at once.
    const option = $("group-select").selectedOptions[0];
    $("group-confirm-text").textContent = `Check-in ${option.dataset.count} người của đoàn “${option.value}”?`;
    $("group-dialog").showModal();
    $("group-confirm").focus();
  });
  $("group-cancel").addEventListener("click", () => $("group-dialog").close());
  $("group-confirm-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("group-dialog").close();
    const gate = currentPoint().gate;
    try {
      const data = await api("POST", cfg.group, { group: $("group-select").value, gate });
      setResult(data.checked_in ? "ok" : "already_checked_in", data.checked_in ? "Đã check-in cả đoàn" : "Cả đoàn đã vào trước đó", [data.message]);
      for (const answer of data.answers.filter((a) => a.result === "ok")) {
        remember(entryFromAnswer({ scan_id: `group-${answer.checkin.id}`, code: "", gate }, answer));
      }
      refreshList();
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
    gate: currentPoint().gate,
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
// The scan point: a gate, or a session's room (its scans go to the agenda's API). Group check-in
// and walk-ins belong to the gates.
const gateSelect = $("gate");
const savedPoint = localStorage.getItem(KEY("gate"));
for (const id of [savedPoint, `gate:${savedPoint}`]) if (id && points.has(id)) gateSelect.value = id;
function showPointTools() {
  const atGate = currentPoint().kind === "gate";
  for (const el of document.querySelectorAll(".scan-group, .scan-walkin")) el.hidden = !atGate;
}
gateSelect.addEventListener("change", () => {
  localStorage.setItem(KEY("gate"), gateSelect.value);
  showPointTools();
});
showPointTools();
window.addEventListener("online", () => {
  renderNet();
  flush();
  refreshList();
});
window.addEventListener("offline", renderNet);
setInterval(flush, 10000);
setInterval(refreshList, LIST_REFRESH_MS);
renderNet();
renderRecent();
renderConflicts();
$("manual-code").focus();

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register(cfg.sw, { scope: cfg.sw_scope }).catch(() => {
    /* no offline start on this browser: everything else still works */
  });
}

(async () => {
  await deleteEndedLists();
  const record = await loadList(cfg.slug);
  await useList(record && record.format && !hasEnded(record) ? { ...record, local: record.local || {} } : null);
  if (online()) await refreshList();
  flush();
})();
