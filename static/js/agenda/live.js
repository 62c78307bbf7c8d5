// Live counts per room for organisers: polls the JSON endpoint and redraws the table (the page
// itself is complete without JavaScript; this only keeps it fresh).
(function () {
  const root = document.getElementById("agenda-live");
  if (!root) return;
  const url = root.dataset.url;
  const tbody = document.getElementById("agenda-live-rows");
  const labels = [...root.querySelectorAll("thead th")].map((th) => th.textContent);

  function cell(label, ...parts) {
    const td = document.createElement("td");
    td.dataset.label = label;
    td.append(...parts);
    return td;
  }

  function draw(sessions) {
    tbody.replaceChildren();
    for (const s of sessions) {
      const tr = document.createElement("tr");
      const small = document.createElement("small");
      small.textContent = `${s.time} · ${s.state_label}`;
      const present = document.createElement("strong");
      present.textContent = s.present;
      tr.append(
        cell(labels[0], s.title, document.createElement("br"), small),
        cell(labels[1], s.room),
        cell(labels[2], present),
        cell(labels[3], s.registration_required ? String(s.registered) : "–"),
        cell(labels[4], String(s.waitlisted)),
        cell(labels[5], s.capacity ? String(s.capacity) : "không giới hạn"),
      );
      tbody.append(tr);
    }
  }

  async function refresh() {
    const error = document.getElementById("agenda-live-error");
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      if (data.sessions.length) draw(data.sessions);
      document.getElementById("agenda-live-updated").textContent = data.updated_at;
      error.textContent = "";
    } catch (err) {
      error.textContent = "Không cập nhật được (mất mạng?) – sẽ thử lại.";
    }
  }
  setInterval(refresh, 5000);
})();
