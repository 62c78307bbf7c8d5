// Service worker of the scanner pages (served from /su-kien/sw.js, scope /su-kien/): the scanner page
// opens and works with no network after one visit. The server prepends `self.SCANNER_SW` =
// { version, assets, page }: the version is a hash of every cached file, so a deploy installs a new
// worker, which drops the old caches.
//
// Only GET requests of the scanner pages (network first, the cached copy when offline) and of the
// listed static files (cache first) are answered here; API calls and every other page go to the
// network untouched. The cached pages are deleted at logout (signout.js).

const { version, assets, page } = self.SCANNER_SW;
const ASSETS_CACHE = `kndmst-scanner-assets-${version}`;
const PAGES_CACHE = "kndmst-scanner-pages"; // also named in signout.js
const PAGE_RE = new RegExp(page);
const NETWORK_TIMEOUT_MS = 5000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(ASSETS_CACHE)
      .then((cache) => cache.addAll(assets))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("kndmst-scanner-assets-") && name !== ASSETS_CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

async function scannerPage(request) {
  const key = new URL(request.url);
  key.search = "";
  const cache = await caches.open(PAGES_CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    // Only a real page: a redirect to the login page or an error is never kept.
    if (response.ok && response.type === "basic" && !response.redirected) {
      await cache.put(key.href, response.clone());
    }
    return response;
  } catch (err) {
    const cached = await cache.match(key.href);
    if (cached) return cached;
    throw err;
  }
}

async function asset(request) {
  const cache = await caches.open(ASSETS_CACHE);
  const cached = await cache.match(request, { ignoreSearch: false });
  if (cached) return cached;
  return fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && PAGE_RE.test(url.pathname)) {
    event.respondWith(scannerPage(request));
  } else if (assets.includes(url.pathname)) {
    event.respondWith(asset(request));
  }
});
