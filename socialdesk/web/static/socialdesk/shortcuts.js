// Keyboard shortcuts (AG8): a whole Play session from the keyboard. "?" shows them.
// Single-key shortcuts can be turned off in My settings (WCAG 2.1.4): the page then says
// data-shortcuts="off" and only the keys with a modifier (Ctrl+Enter) and Esc remain.
(function () {
  const typing = (el) => el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  const click = (selector) => { const el = document.querySelector(selector); if (el) { el.click(); return true; } return false; };
  // A field may sit in a folded disclosure (the options on a phone): unfold it first.
  const reveal = (el) => { for (let d = el.closest("details"); d; d = d.parentElement?.closest("details")) d.open = true; };
  const focus = (selector) => { const el = document.querySelector(selector); if (el) { reveal(el); el.focus(); return true; } return false; };
  const singleKeysOn = () => document.body.dataset.shortcuts !== "off";

  const keys = {
    "p": () => click("form[action$='/start'] button, form[action$='/play/next'] button"),  // Play, or Deal next
    "s": () => click(".playbar form[action$='/play/skip'] button"),
    "x": () => click(".playbar form[action$='/play/stop'] button, form[action$='/play/stop'] button"),
    "r": () => focus("#composer textarea[name=text]"),
    "n": () => focus(".note-form textarea"),
    "t": () => focus("#tag-input"),
    "h": () => focus("#hold-select"),
    "c": () => focus("#close-select"),
    "k": () => focus("#clipping-picker"),
    "l": () => click("article.msg.in form[action*='/like/'] button"),
    "e": () => { const d = document.querySelector("#escalate"); if (d) { reveal(d); d.open = true; return focus("#escalate-note"); } return false; },
    "1": () => click("button[name=sentiment][value=positive]"),
    "2": () => click("button[name=sentiment][value=neutral]"),
    "3": () => click("button[name=sentiment][value=negative]"),
    "?": () => toggleHelp(),
  };

  function toggleHelp(force) {
    const help = document.getElementById("shortcut-help");
    if (!help) return false;
    help.hidden = force === undefined ? !help.hidden : !force;
    return true;
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      toggleHelp(false);
      if (typing(document.activeElement)) document.activeElement.blur();
      return;
    }
    // In the reply field: Ctrl+Enter replies, Ctrl+Shift+Enter replies and closes (asks the reason).
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && document.activeElement?.matches("#composer textarea")) {
      event.preventDefault();
      click(event.shiftKey ? "#composer button[name=then][value=close]" : "#composer button[name=then][value=none]");
      return;
    }
    if (!singleKeysOn() || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const action = keys[event.key];
    if (action && action()) event.preventDefault();
  });
})();
