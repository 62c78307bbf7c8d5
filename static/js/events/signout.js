// Personal data the scanner kept for offline use leaves the device with its user: the offline
// ticket lists (IndexedDB) and the cached scanner pages are deleted when the logout form is sent,
// and again on any page seen signed out (a session that expired, a logout that navigated away
// before the deletion finished). The queue of unsynced scans (localStorage: codes and times) stays,
// so nothing scanned offline is lost.
(() => {
  const FLAG = "kndmst.offline-lists"; // set by offline-list.js
  const me = document.currentScript;
  function wipe() {
    try {
      localStorage.removeItem(FLAG);
      if (window.indexedDB) indexedDB.deleteDatabase("kndmst-offline");
      if (window.caches) caches.delete("kndmst-scanner-pages");
    } catch {
      /* storage disabled: nothing was kept */
    }
  }
  let flagged = false;
  try {
    flagged = localStorage.getItem(FLAG) === "1";
  } catch {
    flagged = false;
  }
  if (me && me.dataset.signedIn !== "1" && flagged) wipe();
  const logout = me && me.dataset.logout;
  for (const form of document.querySelectorAll("form")) {
    if (logout && new URL(form.action, location.href).pathname === logout) form.addEventListener("submit", wipe);
  }
})();
