// Keeps what is typed into the dossier form in this browser until the server has it: if a save never
// arrives (file too large, network drop on a mountain road), the next visit offers to restore it.
// The server stamps the form with the version it saved last; a newer version means our copy arrived.
(function () {
  "use strict";
  var form = document.querySelector("form[data-draft-key]");
  if (!form || !window.localStorage) { return; }
  var key = "kndmst-draft:" + form.getAttribute("data-draft-key");
  var version = form.getAttribute("data-saved-version");

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.name !== "next" && !el.disabled &&
        ["file", "submit", "button", "hidden"].indexOf(el.type) === -1;
    });
  }
  function snapshot() {
    var values = {};
    fields().forEach(function (el) { values[el.name] = el.type === "checkbox" ? el.checked : el.value; });
    return values;
  }
  function read() {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function write() {
    try { window.localStorage.setItem(key, JSON.stringify({ version: version, values: snapshot() })); } catch (e) { /* full or private mode */ }
  }
  function differs(values) {
    return fields().some(function (el) {
      if (!(el.name in values)) { return false; }
      return el.type === "checkbox" ? el.checked !== values[el.name] : el.value !== values[el.name];
    });
  }
  function restore(values) {
    fields().forEach(function (el) {
      if (!(el.name in values)) { return; }
      if (el.type === "checkbox") { el.checked = values[el.name]; } else { el.value = values[el.name]; }
    });
  }

  var stored = read();
  if (stored && stored.version !== version) {
    window.localStorage.removeItem(key);  // saved since then: the server has it
    stored = null;
  }
  if (stored && differs(stored.values)) {
    var box = document.createElement("div");
    box.className = "flash flash-warning draft-restore";
    box.setAttribute("role", "status");
    var text = document.createElement("p");
    text.textContent = "Có nội dung bạn đã gõ trên thiết bị này nhưng chưa được lưu lên hệ thống.";
    var yes = document.createElement("button");
    yes.type = "button";
    yes.textContent = "Khôi phục nội dung chưa lưu";
    var no = document.createElement("button");
    no.type = "button";
    no.className = "secondary";
    no.textContent = "Bỏ qua";
    yes.addEventListener("click", function () { restore(stored.values); box.remove(); write(); });
    no.addEventListener("click", function () { window.localStorage.removeItem(key); box.remove(); });
    box.appendChild(text);
    box.appendChild(yes);
    box.appendChild(document.createTextNode(" "));
    box.appendChild(no);
    form.parentNode.insertBefore(box, form);
  }
  form.addEventListener("input", write);
  form.addEventListener("change", write);
})();
