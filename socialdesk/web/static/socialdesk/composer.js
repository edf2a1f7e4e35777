// Live character count for the reply field, by the platform's rules (AG6, AG12).
// The server checks the same limit again (twitter-text's weighted length); this is a guide.
(function () {
  const LIGHT = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];
  const URL = /https?:\/\/[^\s]+/g;
  const EMOJI = /\p{Extended_Pictographic}/u;

  function twitterLength(text) {
    let length = 0;
    text = text.replace(URL, () => { length += 23; return ""; });
    const segments = window.Intl && Intl.Segmenter
      ? Array.from(new Intl.Segmenter().segment(text), (s) => s.segment)
      : Array.from(text);
    for (const g of segments) {
      if (EMOJI.test(g)) { length += 2; continue; }
      for (const ch of g) {
        const cp = ch.codePointAt(0);
        length += LIGHT.some(([a, b]) => cp >= a && cp <= b) ? 1 : 2;
      }
    }
    return length;
  }

  function count(platform, text) {
    return platform === "twitter" ? twitterLength(text) : Array.from(text).length;
  }

  function withMention(body, mention) {
    if (!mention || !body) return body;
    const escaped = mention.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`(?<![\\w@])${escaped}(?![\\w@])`, "i").test(body) ? body : `${mention} ${body}`;
  }

  function bind(form) {
    const area = form.querySelector("textarea[name=text]");
    const out = form.querySelector("#char-count");
    // The same count as a sentence for screen readers, in the page's language (its templates
    // come translated from the page, as data- attributes: no inline script under the CSP).
    const said = form.querySelector("#char-count-said");
    if (!area || !out) return;
    const limit = parseInt(form.dataset.limit || "0", 10);
    const picker = form.querySelector("select[name=signature]");
    const mention = form.dataset.mention || "";
    // A plain-text platform's rules, the server's own patterns (channel_rules.PLAIN_TEXT_RULES).
    let rules = [];
    try { rules = JSON.parse(form.dataset.plainText || "[]").map(([p, what]) => [new RegExp(p), what]); } catch (e) { rules = []; }
    const warning = form.querySelector("#markup-warning");
    const update = () => {
      // The signature chosen for this reply counts against the limit too.
      const signature = picker ? (picker.selectedOptions[0]?.dataset.text || "") : "";
      // The server puts the customer's @ in front when it is missing (Mastodon): count it too.
      const body = withMention(area.value.trim(), mention);
      const full = signature && body ? body + " " + signature : body;
      const n = count(form.dataset.platform, full);
      out.textContent = limit ? `${n} / ${limit}` : `${n}`;
      out.classList.toggle("over", limit > 0 && n > limit);
      if (said && limit) {
        const sentence = (n > limit ? said.dataset.over : said.dataset.within) || "";
        said.textContent = sentence.replace("{count}", n).replace("{limit}", limit).replace("{over}", n - limit);
      }
      const markup = rules.map(([re, what]) => { const m = full.match(re); return m && `${what} (“${m[0].trim().slice(0, 40)}”)`; }).find(Boolean);
      if (warning) {
        warning.hidden = !markup;
        // The sentence comes translated from the page; {platform} and {markup} are filled in here.
        const sentence = form.dataset.markupWarning || "{platform} shows replies as plain text: remove {markup} and write it as plain words.";
        warning.textContent = markup ? sentence.replace("{platform}", form.dataset.platformName || "").replace("{markup}", markup) : "";
      }
      form.querySelectorAll("button[name=then]").forEach((b) => { b.disabled = (limit > 0 && n > limit) || Boolean(markup); });
    };
    area.addEventListener("input", update);
    if (picker) picker.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("form.composer").forEach(bind));
  window.socialdeskCount = count;
})();

// Clippings, emoji and the private-message button insert into the reply field.
(function () {
  function insert(area, text) {
    const start = area.selectionStart ?? area.value.length;
    const end = area.selectionEnd ?? area.value.length;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.selectionStart = area.selectionEnd = start + text.length;
    area.dispatchEvent(new Event("input"));
    area.focus();
  }
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.querySelector("form.composer");
    if (!form) return;
    const area = form.querySelector("textarea[name=text]");
    const picker = form.querySelector("#clipping-picker");
    const clippingField = form.querySelector("input[name=clipping]");
    if (picker) {
      picker.addEventListener("change", () => {
        const option = picker.selectedOptions[0];
        if (!option || !option.value) return;
        const mention = form.dataset.mention || "";
        area.value = (mention ? mention + " " : "") + option.dataset.text;
        area.dispatchEvent(new Event("input"));
        if (clippingField) clippingField.value = option.value;  // the server warns if sent unchanged
        picker.value = "";
        area.focus();
      });
    }
    form.querySelectorAll(".emoji-btn").forEach((b) => b.addEventListener("click", () => insert(area, b.dataset.emoji)));
    const dm = form.querySelector("#dm-button");
    if (dm) dm.addEventListener("click", () => insert(area, " " + dm.dataset.link));
  });
})();

// Reply + Hold and Reply + Close need a reason (the seed: "it will ask you to select one of the
// closing options"): with none chosen yet, the button opens the reasons right under it instead
// of sending. The server asks again in the same place if this did not run.
(function () {
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.querySelector("form.composer");
    if (!form) return;
    const panels = form.querySelectorAll(".asks");
    const openers = form.querySelectorAll(".reply-buttons button[data-asks]");
    const show = (panel) => {
      panels.forEach((p) => { p.hidden = p !== panel; });
      openers.forEach((b) => b.setAttribute("aria-expanded", String(b.dataset.asks === panel?.id)));
    };
    form.querySelectorAll("button[data-asks]").forEach((button) => button.addEventListener("click", (event) => {
      const panel = document.getElementById(button.dataset.asks);
      const reason = panel && panel.querySelector("select");
      if (!reason || reason.value) return;  // a reason is chosen: send
      event.preventDefault();
      show(panel);
      reason.focus();
    }));
    form.querySelectorAll("button[data-dismiss]").forEach((button) => button.addEventListener("click", () => {
      const panel = document.getElementById(button.dataset.dismiss);
      const reason = panel && panel.querySelector("select");
      if (reason) reason.value = "";
      show(null);
      form.querySelector(`.reply-buttons button[data-asks="${button.dataset.dismiss}"]`)?.focus();
    }));
  });
})();

// Drafts: what the agent types is kept in this browser, per agent and conversation, until the
// server has accepted the reply. A session that ended, a reload, a validation error or a closed
// tab loses nothing. The server lists the conversations whose reply it accepted on <body>
// (data-sent-drafts); those drafts are forgotten. Signing out forgets all of this agent's drafts
// (a shared computer), and a draft older than a week is not offered again.
(function () {
  const PREFIX = "socialdesk:draft:";
  const WEEK = 7 * 24 * 3600 * 1000;
  const store = (() => { try { return window.localStorage; } catch (e) { return null; } })();

  function key(user, conversation) { return `${PREFIX}${user}:${conversation}`; }

  function read(k) {
    try {
      const d = JSON.parse(store.getItem(k) || "null");
      if (d && typeof d.text === "string" && Date.now() - (d.at || 0) < WEEK) return d.text;
    } catch (e) { /* a damaged entry is dropped below */ }
    store.removeItem(k);
    return null;
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!store) return;
    const user = document.body.dataset.user;
    if (!user) return;
    (document.body.dataset.sentDrafts || "").split(",").filter(Boolean).forEach((c) => store.removeItem(key(user, c)));
    document.querySelectorAll("form[data-forget-drafts]").forEach((f) => f.addEventListener("submit", () => {
      Object.keys(store).filter((k) => k.startsWith(`${PREFIX}${user}:`)).forEach((k) => store.removeItem(k));
    }));
    document.querySelectorAll("form.composer[data-conversation]").forEach((form) => {
      const area = form.querySelector("textarea[name=text]");
      if (!area) return;
      const k = key(user, form.dataset.conversation);
      const initial = area.defaultValue.trim();
      const saved = read(k);
      // Only over an untouched field: the server's own copy (after an error) wins.
      if (saved !== null && saved.trim() !== initial && area.value.trim() === initial) {
        area.value = saved;
        area.dispatchEvent(new Event("input"));
        const note = document.createElement("p");
        note.className = "hint draft-restored";
        note.setAttribute("role", "status");
        note.textContent = form.dataset.draftRestored || "Your unsent reply is back, as you left it.";
        area.insertAdjacentElement("afterend", note);
      }
      const keep = () => {
        if (area.value.trim() && area.value.trim() !== initial) store.setItem(k, JSON.stringify({ text: area.value, at: Date.now() }));
        else store.removeItem(k);
      };
      area.addEventListener("input", keep);
      keep();
    });
  });
})();
