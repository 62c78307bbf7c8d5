// The event's ticket list kept on the device for offline scans (IndexedDB, one record per event):
// hashes of the ticket codes with name, category, organisation, delegation and check-in state, as
// downloaded from GET /api/v1/events/<slug>/tickets (never phones or emails, never the codes).
// Offline, a scan shows who it is and a ticket scanned twice on this device is caught; the server
// still decides every queued scan when the network is back.
// The lists are deleted at logout (signout.js) and once their event has ended.

export const DB_NAME = "kndmst-offline"; // also named in signout.js
export const FLAG = "kndmst.offline-lists"; // set while lists may exist, so signout.js knows
const STORE = "lists";
const CODE_RE = /^[a-z2-7]{39}$/;
const LATE_KEEP_MS = 24 * 3600 * 1000; // an event allowing late check-in: its list is kept a day more

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let opening = null;
function openDb() {
  if (!("indexedDB" in window)) return Promise.reject(new Error("no IndexedDB"));
  if (!opening) {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "slug" });
    opening = request(req).then((db) => {
      // signout.js deletes the database: let it, and open again next time.
      db.onversionchange = () => {
        db.close();
        opening = null;
      };
      return db;
    });
    opening.catch(() => {
      opening = null;
    });
  }
  return opening;
}

async function store(mode) {
  const db = await openDb();
  return db.transaction(STORE, mode).objectStore(STORE);
}

export async function loadList(slug) {
  try {
    return (await request((await store("readonly")).get(slug))) || null;
  } catch {
    return null;
  }
}

export async function saveList(record) {
  localStorage.setItem(FLAG, "1");
  await request((await store("readwrite")).put(record));
}

export async function deleteList(slug) {
  try {
    await request((await store("readwrite")).delete(slug));
  } catch {
    /* nothing stored */
  }
}

export function hasEnded(record, now = Date.now()) {
  const ends = Date.parse(record.ends_at || "");
  if (Number.isNaN(ends)) return false;
  return now > ends + (record.late_checkin ? LATE_KEEP_MS : 0);
}

// Lists of events that have ended are removed from the device.
export async function deleteEndedLists(now = Date.now()) {
  try {
    const all = await request((await store("readonly")).getAll());
    for (const record of all) if (hasEnded(record, now)) await deleteList(record.slug);
  } catch {
    /* no database yet */
  }
}

// The candidate ticket code in what a camera or USB scanner produced (as tickets.extract_code does).
export function extractCode(scanned) {
  let text = (scanned || "").normalize("NFKC").trim();
  if (!text) return "";
  if (text.includes("/")) {
    let path;
    try {
      path = new URL(text).pathname;
    } catch {
      path = text.split("?")[0];
    }
    try {
      path = decodeURIComponent(path);
    } catch {
      /* keep it encoded */
    }
    const segments = path.split("/").filter(Boolean);
    text = segments.length ? segments[segments.length - 1] : "";
  }
  return text.replace(/[\s-]/g, "").toLowerCase();
}

export function looksLikeCode(code) {
  return CODE_RE.test(code);
}

// SHA-256 of the code, in hex, shortened as the server does (null where WebCrypto is missing).
export async function codeHash(code, chars) {
  if (!(window.crypto && crypto.subtle)) return null;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(code));
  return [...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .slice(0, chars);
}

// The downloaded rows by hash: { name, category, organisation, group, at (ms or null), gate }.
export function indexRows(record) {
  const byHash = new Map();
  for (const [hash, name, category, organisation, group, at, gate] of record.rows) {
    byHash.set(hash, {
      name,
      category: record.categories[category] || "",
      organisation,
      group,
      at: at == null ? null : at * 1000,
      gate: gate == null ? "" : record.gates[gate] || "",
    });
  }
  return byHash;
}

// "14:05:09 20/10/2024" in Vietnam's time, as the server writes times.
export function localTime(ms) {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Ho_Chi_Minh",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hourCycle: "h23",
  }).formatToParts(new Date(ms));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.hour}:${p.minute}:${p.second} ${p.day}/${p.month}/${p.year}`;
}
