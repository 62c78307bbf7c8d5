// The booth plan, progressively enhanced (the pages work without it):
// - allocation: picking a booth in the list moves the plan's highlight to it, and tapping a free
//   booth on the plan picks it in the list (instead of reloading the page with ?gian=);
// - positions on an uploaded plan image: "Chọn trên ảnh" then a tap on the image fills x/y in per cent.
(function () {
  "use strict";
  document.documentElement.classList.add("floor-js");

  var spots = function () { return document.querySelectorAll(".floor-box .spot"); };

  function highlight(boothId) {
    spots().forEach(function (spot) {
      var on = spot.getAttribute("data-booth-id") === boothId;
      spot.classList.toggle("chosen", on);
      var link = spot.querySelector("a");
      if (link) {
        if (on) { link.setAttribute("aria-current", "true"); } else { link.removeAttribute("aria-current"); }
      }
    });
    var picked = document.querySelector(".floor-picked");
    var select = document.querySelector("select[name=booth_id]");
    if (picked && select && select.selectedIndex >= 0) {
      picked.textContent = "Đang chọn: gian " + select.options[select.selectedIndex].text + " (còn trống)";
    }
  }

  var select = document.querySelector(".allocate-form select[name=booth_id]");
  if (select) {
    select.addEventListener("change", function () { highlight(select.value); });
    spots().forEach(function (spot) {
      var link = spot.querySelector("a");
      var id = spot.getAttribute("data-booth-id");
      if (!link || spot.classList.contains("taken")) { return; }
      link.addEventListener("click", function (event) {
        var option = select.querySelector('option[value="' + id + '"]');
        if (!option) { return; }
        event.preventDefault();
        select.value = id;
        highlight(id);
        select.focus();
      });
    });
  }

  var image = document.querySelector(".floor-image");
  var placing = null;
  document.querySelectorAll("[data-place-booth]").forEach(function (button) {
    button.addEventListener("click", function () {
      placing = button.getAttribute("data-place-booth");
      if (image) {
        image.classList.add("placing");
        image.scrollIntoView({ block: "center" });
      }
    });
  });
  if (image) {
    image.addEventListener("click", function (event) {
      if (!placing) { return; }
      event.preventDefault();
      var box = image.getBoundingClientRect();
      var x = Math.round(((event.clientX - box.left) / box.width) * 100);
      var y = Math.round(((event.clientY - box.top) / box.height) * 100);
      var clamp = function (v) { return Math.max(0, Math.min(100, v)); };
      var xInput = document.getElementById("g" + placing + "-x_percent");
      var yInput = document.getElementById("g" + placing + "-y_percent");
      if (xInput && yInput) {
        xInput.value = clamp(x);
        yInput.value = clamp(y);
        var item = document.getElementById("vi-tri-" + placing);
        if (item) {
          item.scrollIntoView({ block: "center" });
          var submit = item.querySelector("button[type=submit]");
          if (submit) { submit.focus(); }
        }
      }
      image.classList.remove("placing");
      placing = null;
    });
  }
})();
