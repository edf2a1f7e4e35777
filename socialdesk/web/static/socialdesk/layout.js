// Disclosures that are open on a wide screen and folded on a narrow one (the menu, the filter
// panel, the conversation's options). The page is served with them open, so it works without
// JavaScript; this runs at the end of <body>, before the first paint, to fold them on a phone.
(function () {
  document.querySelectorAll("details[data-open-from]").forEach((details) => {
    const wide = window.matchMedia(`(min-width: ${details.dataset.openFrom})`);
    const apply = () => { details.open = wide.matches; };
    apply();
    wide.addEventListener("change", apply);
  });

  // The shortcut help: a button in the menu opens it, its Close button and Esc close it.
  const help = document.getElementById("shortcut-help");
  const opener = document.getElementById("shortcut-help-button");
  if (help && opener) {
    opener.addEventListener("click", () => { help.hidden = false; help.querySelector("[data-close-help]")?.focus(); });
    help.querySelector("[data-close-help]")?.addEventListener("click", () => { help.hidden = true; opener.focus(); });
    help.addEventListener("click", (event) => { if (event.target === help) help.hidden = true; });
  }
})();
