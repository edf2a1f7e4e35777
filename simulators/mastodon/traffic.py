"""Generated toots that mention the Firefox support account, in the languages of the Fediverse.

Written for the simulator: questions and complaints about Firefox on the desktop and on Android,
some praise, and now and then a follow-up to one of our replies.
"""

from __future__ import annotations

from typing import Any

from ..base import BackgroundTraffic
from .state import BRAND_ACCOUNTS, MastodonState

SUPPORT = BRAND_ACCOUNTS[0][0]
LANGUAGE_WEIGHTS = {"en": 60, "de": 20, "fr": 10, "es": 5, "pt": 5}
TEMPLATES = {
    "en": [
        "@{a} Firefox on Linux keeps freezing when I have more than 30 tabs open. Any idea what to check?",
        "@{a} my bookmarks toolbar vanished after today's update, how do I get it back?",
        "@{a} is there a way to sync open tabs between my laptop and phone without an account?",
        "@{a} container tabs are the best thing ever, thank you!",
        "@{a} YouTube stutters in Firefox but not in other browsers. Hardware acceleration is on.",
        "Hey @{a}, Firefox asks me for my primary password every few minutes. Is that a bug?",
        "@{a} how do I stop Firefox from opening PDFs in the browser?",
    ],
    "de": [
        "@{a} Firefox startet seit dem Update nicht mehr unter Windows 11. Was kann ich tun?",
        "@{a} Wie bekomme ich meine alten Lesezeichen aus einem Backup zurück?",
        "@{a} Danke für den tollen Browser, läuft super auf meinem alten Laptop!",
    ],
    "fr": [
        "@{a} Firefox plante quand j'ouvre Google Maps, une idée ?",
        "@{a} comment exporter mes mots de passe enregistrés ?",
    ],
    "es": ["@{a} Firefox no guarda mis contraseñas desde la última actualización, ¿qué hago?"],
    "pt": ["@{a} o Firefox está consumindo muita memória no meu Mac, é normal?"],
}
FOLLOW_UPS = {
    "en": [
        "@{a} thanks, that worked!",
        "@{a} tried that, still the same problem :(",
        "@{a} which version should I have?",
    ],
    "de": ["@{a} danke, hat geklappt!", "@{a} leider immer noch dasselbe Problem."],
}
FIRST = [
    "alex",
    "sam",
    "robin",
    "kim",
    "jo",
    "lea",
    "max",
    "noor",
    "tomasz",
    "ines",
    "yuki",
    "ayla",
    "pierre",
    "lucia",
]
LAST = ["_codes", "42", "_writes", "_on_fedi", "", "_dev", "_art", "1987", "_k"]


class MastodonTrafficGenerator(BackgroundTraffic):
    thread_name = "mastodon-traffic"

    def __init__(self, state: MastodonState, *, seed: int = 1):
        self.state = state
        super().__init__(seed=seed)

    def one(self) -> dict[str, Any]:
        with self.state.lock:
            ours = [
                s
                for s in self.state.statuses.values()
                if self.state.accounts[s["account_id"]]["username"] == SUPPORT
                and s["in_reply_to_id"]
            ]
        if ours and self.random.random() < 0.25:
            reply = self.random.choice(ours[-20:])
            parent = self.state.statuses.get(reply["in_reply_to_id"])
            customer = self.state.accounts[parent["account_id"]] if parent else None
            if customer and customer["username"] != SUPPORT:
                lang = parent.get("language") or "en"
                text = self.random.choice(FOLLOW_UPS.get(lang) or FOLLOW_UPS["en"]).format(
                    a=SUPPORT
                )
                # A follow-up keeps the thread's visibility, as Mastodon's apps preselect it.
                status, _ = self.state.post(
                    customer,
                    text,
                    in_reply_to_id=reply["id"],
                    language=lang,
                    via="customer",
                    visibility=reply["visibility"],
                )
                return dict(status, username=customer["username"])
        lang = self.random.choices(
            list(LANGUAGE_WEIGHTS), weights=list(LANGUAGE_WEIGHTS.values())
        )[0]
        username = self.random.choice(FIRST) + self.random.choice(LAST)
        followers = int(self.random.paretovariate(1.2) * 40)
        customer = self.state.upsert_customer(
            username, display_name=username.split("_")[0].capitalize(), followers=followers
        )
        text = self.random.choice(TEMPLATES[lang]).format(a=SUPPORT)
        extra: dict[str, Any] = {}
        roll = self.random.random()
        if roll < 0.1:
            # Some people write to support privately: a direct status only the mentioned see.
            extra["visibility"] = "direct"
        elif roll < 0.15:
            extra["spoiler_text"] = "Firefox bug, long"
        if self.random.random() < 0.1:
            extra["media"] = [{"type": "image", "description": "Screenshot of the error message"}]
        # Apps claim the language of their interface now and then, not the one the toot is in.
        claimed = "en" if self.random.random() < 0.15 else lang
        status, _ = self.state.post(customer, text, language=claimed, via="customer", **extra)
        return dict(status, username=username)

    def generate(self, n: int) -> list[dict[str, Any]]:
        return [self.one() for _ in range(n)]
