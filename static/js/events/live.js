// Live counts for organisers: polls the stats endpoint and redraws the numbers and tables.
(function () {
  const root = document.getElementById("live");
  if (!root) return;
  const url = root.dataset.url;
  const $ = (id) => document.getElementById(id);

  function rows(tbody, items, cells, empty) {
    tbody.replaceChildren();
    if (!items.length) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.colSpan = 3;
      td.textContent = empty;
      tr.append(td);
      tbody.append(tr);
      return;
    }
    for (const item of items) {
      const tr = document.createElement("tr");
      for (const value of cells(item)) {
        const td = document.createElement("td");
        td.textContent = value;
        tr.append(td);
      }
      tbody.append(tr);
    }
  }

  async function refresh() {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const s = await response.json();
      $("live-checked").textContent = s.checked_in;
      $("live-registered").textContent = s.registered;
      $("live-updated").textContent = s.updated_at;
      const progress = $("live-progress");
      progress.max = s.registered || 1;
      progress.value = s.checked_in;
      rows($("live-gates"), s.by_gate, (r) => [r.gate, r.checked_in], "Chưa có ai check-in.");
      rows($("live-categories"), s.by_category, (r) => [r.category, r.checked_in, r.registered], "—");
      rows($("live-hours"), s.by_hour, (r) => [r.label, r.checked_in], "Chưa có ai check-in.");
      $("live-error").textContent = "";
    } catch (err) {
      $("live-error").textContent = "Không cập nhật được (mất mạng?) – sẽ thử lại.";
    }
  }
  setInterval(refresh, 5000);
})();
