// Refuse a too-large file before the form is sent, so the rest of the dossier is still saved
// (the server checks again; this only spares a long upload on a slow connection).
(function () {
  "use strict";
  function mb(bytes) { return (bytes / 1048576).toFixed(1).replace(".", ",") + " MB"; }
  document.querySelectorAll("form[data-upload-check] input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
      var file = input.files && input.files[0];
      var note = document.getElementById(input.id + "-js-error");
      if (note) { note.remove(); }
      if (file && file.size > limit) {
        var message = document.createElement("small");
        message.id = input.id + "-js-error";
        message.className = "field-error";
        message.setAttribute("role", "alert");
        message.textContent = "Tệp “" + file.name + "” nặng " + mb(file.size) + ", vượt quá giới hạn " +
          mb(limit) + ". Hãy chọn tệp nhỏ hơn; các nội dung khác vẫn được lưu.";
        input.value = "";
        input.insertAdjacentElement("afterend", message);
      }
    });
  });
})();
