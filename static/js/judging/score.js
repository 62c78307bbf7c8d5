// What a score field holds, as the server will judge it (app/judging/scoring.py): shared by the score
// sheet and the live final's judge phone. Accepts "15,5" and "15.5"; shows the Vietnamese comma.
// Each input carries data-kind ("points" or "scale"), data-max and data-weight.
(function () {
  "use strict";
  var NUMBER = /^[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)$/;

  function show(value) {
    return (Math.round(value * 100) / 100).toString().replace(".", ",");
  }

  // {empty: true} | {value: n} | {message: "…"} for one field (missing is the caller's business).
  function check(input) {
    var text = input.value.trim();
    if (!text) { return { empty: true }; }
    if (!NUMBER.test(text)) { return { message: "Nhập một số, ví dụ 15,5." }; }
    var value = Number(text.replace(",", "."));
    if (!isFinite(value)) { return { message: "Nhập một số, ví dụ 15,5." }; }
    if (input.dataset.kind === "scale") {
      if (value !== Math.round(value) || value < 1 || value > 5) {
        return { message: "Chấm số nguyên từ 1 đến 5." };
      }
      return { value: value };
    }
    var max = Number(input.dataset.max || "0");
    if (value > max) { return { message: "Tối đa " + show(max) }; }
    if (value < 0) { return { message: "Không được âm (từ 0 đến " + show(max) + ")" }; }
    if (Math.round(value * 100) !== Math.round(value * 1e6) / 1e4) {
      return { message: "Tối đa 2 chữ số thập phân." };
    }
    return { value: value };
  }

  // The running total over the valid fields: {total, filled, invalid, text, note}.
  function total(inputs) {
    var sum = 0, filled = 0, invalid = 0;
    inputs.forEach(function (input) {
      var result = check(input);
      if (result.empty) { return; }
      if (result.message) { invalid += 1; return; }
      filled += 1;
      sum += result.value * Number(input.dataset.weight || "1");
    });
    return {
      total: sum, filled: filled, invalid: invalid,
      text: filled ? show(sum) : "—",
      note: invalid ? "(chưa tính " + invalid + " mục không hợp lệ)" : ""
    };
  }

  // Marks one field: the message below it (or none), aria-invalid on the input.
  function mark(input, message) {
    var box = document.getElementById("err-" + input.id.replace(/^score-/, ""));
    if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    var group = input.closest("fieldset");
    if (group) { group.classList.toggle("has-error", Boolean(message)); }
    if (box) { box.textContent = message || ""; box.hidden = !message; }
  }

  // Every field that stops the sheet from being submitted (empty, or refused by check), each marked
  // next to itself: [{input, short}] with a short text for the list above the submit button.
  function blockers(inputs) {
    var found = [];
    inputs.forEach(function (input) {
      var result = check(input);
      var message = result.empty ? "Chưa chấm tiêu chí này." : (result.message || "");
      mark(input, message);
      if (message) {
        found.push({ input: input, short: result.empty ? "chưa chấm" : message.charAt(0).toLowerCase() + message.slice(1) });
      }
    });
    return found;
  }

  // The list of blockers in `box` (an alert), each linking to its field; an empty list hides it.
  function listProblems(box, found) {
    if (!box) { return; }
    box.textContent = "";
    box.hidden = !found.length;
    if (!found.length) { return; }
    var lead = document.createElement("p");
    lead.textContent = "Còn " + found.length + " tiêu chí cần sửa hoặc chưa chấm:";
    var list = document.createElement("ul");
    found.forEach(function (item) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + item.input.id;
      link.textContent = item.input.dataset.name + " – " + item.short;
      link.addEventListener("click", function (event) {
        event.preventDefault();
        item.input.focus();
      });
      li.appendChild(link);
      list.appendChild(li);
    });
    box.appendChild(lead);
    box.appendChild(list);
  }

  // Fills a confirmation box: .confirm-total-value, and .confirm-zero listing the criteria at 0.
  function summarise(box, inputs) {
    box.querySelector(".confirm-total-value").textContent = total(inputs).text;
    var zeroBox = box.querySelector(".confirm-zero");
    var list = zeroBox.querySelector("ul");
    list.textContent = "";
    inputs.forEach(function (input) {
      if (check(input).value === 0) {
        var li = document.createElement("li");
        li.textContent = input.dataset.name;
        list.appendChild(li);
      }
    });
    zeroBox.hidden = !list.children.length;
  }

  window.ScoreCheck = {
    check: check, total: total, mark: mark, show: show,
    blockers: blockers, listProblems: listProblems, summarise: summarise
  };
})();
