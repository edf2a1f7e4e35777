// Behaviour that used to sit in the templates' inline handlers, which the Content Security
// Policy forbids (script only from the desk's own files). Delegated from the document, so it
// also works for fragments htmx swaps in.
(function () {
  "use strict";

  // A filter checkbox sends its form as soon as it changes (the queue's left panel).
  document.addEventListener("change", function (event) {
    var box = event.target.closest && event.target.closest("[data-autosubmit]");
    if (box && box.form) {
      if (box.form.requestSubmit) box.form.requestSubmit();
      else box.form.submit();
    }
  });

  // A field shown to be copied (a new API token) is selected whole when it takes the focus.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) {
      event.target.select();
    }
  });

  // "Select all" ticks or unticks every box its selector names (the queue's bulk actions).
  document.addEventListener("click", function (event) {
    var all = event.target.closest && event.target.closest("[data-select-all]");
    if (all) {
      document.querySelectorAll(all.dataset.selectAll).forEach(function (box) {
        box.checked = all.checked;
      });
      return;
    }
    // A suggested article's link or clipping's text goes into the reply field.
    var insert = event.target.closest && event.target.closest("[data-insert]");
    if (insert) {
      var field = document.getElementById("id_text");
      if (!field) return;
      field.value = (field.value ? field.value.replace(/\s*$/, " ") : "") + insert.dataset.insert;
      field.dispatchEvent(new Event("input"));
      field.focus();
    }
  });
})();
