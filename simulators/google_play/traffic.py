"""Generated Firefox for Android reviews in six languages, mostly 1-2 stars as the real ones are.

Written for the simulator (no data file is read): complaints about crashes, tabs, video, add-ons,
speed and updates, a few happy ones, and now and then an existing review edited (often after an
update, with a changed rating) or answered in the Play Console.
"""

from __future__ import annotations

from typing import Any

from ..base import BackgroundTraffic
from .state import DEFAULT_PACKAGE, PlayState

# Real Firefox reviews lean hard on 1 star; 3 stars are rare.
STAR_WEIGHTS = {1: 45, 2: 17, 3: 10, 4: 9, 5: 19}
LANGUAGE_WEIGHTS = {"en": 55, "de": 12, "fr": 9, "es": 10, "pt": 8, "tr": 6}

LOW = {
    "en": [
        "Keeps crashing every time I open a new tab. Was fine until the last update.",
        "Videos stop playing after a few seconds on every site. Chrome plays them fine.",
        "Where did my bookmarks go?? Updated this morning and they are all gone.",
        "Slow, laggy and eats my battery. Pages take forever to load on wifi.",
        "Why can't I install my add-ons anymore? The one I use every day is missing.",
        "The address bar moved to the bottom again and I can't find how to put it back.",
        "Sync doesn't work. Signed in on my laptop and phone, nothing shows up.",
        "Tabs keep closing by themselves when I switch apps. Lost my whole research.",
        "Downloads fail halfway every single time. Useless.",
        "Can't log in to my bank, the page just stays white.",
    ],
    "de": [
        "Stürzt ständig ab, seit dem letzten Update nicht mehr nutzbar.",
        "Meine Lesezeichen sind nach dem Update verschwunden. Bitte reparieren!",
        "Videos ruckeln und bleiben hängen, auf dem alten Handy ging alles.",
        "Viel zu langsam, Seiten laden ewig. Schade, am PC nutze ich Firefox gern.",
    ],
    "fr": [
        "Plante à chaque ouverture depuis la mise à jour. Très déçu.",
        "Impossible de retrouver mes onglets après la mise à jour, tout a disparu.",
        "Les vidéos ne se lancent plus, écran noir avec le son seulement.",
        "Trop lent et la batterie se vide en deux heures.",
    ],
    "es": [
        "Se cierra solo cada vez que abro una pestaña nueva. Antes iba bien.",
        "Perdí todos mis marcadores con la última actualización.",
        "Los videos se congelan a los pocos segundos, en Chrome funcionan.",
        "Muy lento y consume mucha batería. Lo voy a desinstalar.",
    ],
    "pt": [
        "Trava toda hora depois da atualização, não consigo nem abrir uma página.",
        "Sumiram meus favoritos! Como recupero?",
        "Os vídeos não carregam mais, fica só a tela preta.",
        "Muito lento, demora demais pra abrir qualquer site.",
    ],
    "tr": [
        "Son güncellemeden beri sürekli çöküyor, kullanılmaz halde.",
        "Yer imlerim kayboldu, nasıl geri alırım?",
        "Videolar birkaç saniye sonra donuyor.",
        "Çok yavaş, sayfalar açılmıyor.",
    ],
}
MID = {
    "en": [
        "Good browser but the new tab layout is confusing. Please add an option for the old one.",
        "Works okay, but I miss being able to pin tabs.",
        "Decent, ad blocking works great, but it is slower than it used to be.",
    ],
    "de": ["Eigentlich gut, aber die Tab-Übersicht ist unpraktisch."],
    "fr": ["Bien dans l'ensemble, mais il manque la synchronisation des onglets ouverts."],
    "es": ["Está bien, pero me gustaría poder mover la barra de direcciones arriba."],
    "pt": ["É bom, mas poderia ser mais rápido."],
    "tr": ["Güzel ama sekmeler arasında geçiş biraz yavaş."],
}
HIGH = {
    "en": [
        "Best browser on Android, uBlock Origin makes the web usable again.",
        "Fast, private and the add-ons are great. Thank you Mozilla!",
        "Switched from Chrome and never going back.",
    ],
    "de": ["Bester Browser, endlich mit Erweiterungen auf dem Handy!"],
    "fr": ["Excellent navigateur, rapide et respectueux de la vie privée."],
    "es": ["El mejor navegador, rápido y con extensiones."],
    "pt": ["Melhor navegador, leve e com extensões."],
    "tr": ["Harika bir tarayıcı, eklentiler çok işe yarıyor."],
}
EDIT_SUFFIX = {
    "en": [
        "Update: still broken after the latest version.",
        "Update: fixed after clearing the cache, thanks.",
        "Edit: it got worse with the new version.",
    ],
    "de": ["Update: immer noch kaputt.", "Nachtrag: nach dem Update geht es wieder."],
    "fr": ["Mise à jour : toujours le même problème."],
    "es": ["Actualización: sigue igual."],
    "pt": ["Atualização: continua com o mesmo problema."],
    "tr": ["Güncelleme: hâlâ aynı sorun var."],
}
CONSOLE_REPLIES = [
    "Hi, sorry about the trouble. Please visit our support forum, volunteers there can help: https://mzl.la/android-help",
    "Thanks for the feedback! We have passed it on to the team.",
]
NAMES = {
    "en": [
        "Jessica Miller",
        "Mike T",
        "A Google user",
        "Sam Patel",
        "Chris W",
        "Laura Bennett",
        "Dave",
    ],
    "de": ["Jonas Becker", "Anna Schulz", "Ein Google-Nutzer"],
    "fr": ["Camille Dubois", "Lucas Martin", "Un utilisateur de Google"],
    "es": ["María García", "Javier López", "Un usuario de Google"],
    "pt": ["João Silva", "Ana Souza", "Um usuário do Google"],
    "tr": ["Ahmet Yılmaz", "Elif Kaya", "Bir Google kullanıcısı"],
}
DEVICES = [  # codename, manufacturer, model, Android API level
    ("oriole", "Google", "Pixel 6", 34),
    ("panther", "Google", "Pixel 7", 35),
    ("a52q", "Samsung", "Galaxy A52", 34),
    ("beyond1", "Samsung", "Galaxy S10", 31),
    ("a12", "Samsung", "Galaxy A12", 31),
    ("OP515BL1", "OnePlus", "Nord CE 2", 33),
    ("RMX3363", "Realme", "GT Master", 33),
    ("joyeuse", "Xiaomi", "Redmi Note 9 Pro", 30),
    ("dubai", "Motorola", "edge 30", 34),
]
APP_VERSIONS = [
    ("125.2.0", 2015990000),
    ("126.0", 2016000000),
    ("126.0.1", 2016000100),
    ("127.0", 2016010000),
]


class PlayTrafficGenerator(BackgroundTraffic):
    thread_name = "play-traffic"

    def __init__(self, state: PlayState, *, seed: int = 1, package: str = DEFAULT_PACKAGE):
        self.state = state
        self.package = package
        super().__init__(seed=seed)

    def _pick(self, weights: dict):
        return self.random.choices(list(weights), weights=list(weights.values()))[0]

    def one_review(self) -> dict[str, Any]:
        lang = self._pick(LANGUAGE_WEIGHTS)
        stars = self._pick(STAR_WEIGHTS)
        pool = LOW if stars <= 2 else MID if stars == 3 else HIGH
        text = self.random.choice(pool.get(lang) or pool["en"])
        codename, maker, model, api = self.random.choice(DEVICES)
        version, code = self.random.choice(APP_VERSIONS)
        review = self.state.add_review(
            author_name=self.random.choice(NAMES[lang]),
            text=text,
            star_rating=stars,
            package=self.package,
            language=lang,
            device=codename,
            android_os_version=api,
            app_version_name=version,
            app_version_code=code,
            device_metadata={
                "manufacturer": maker,
                "productName": f"{codename} ({model})",
                "deviceClass": "phone",
                "ramMb": self.random.choice([3072, 4096, 6144, 8192]),
            },
        )
        return self.state.sim_review(review)

    def one_edit(self) -> dict[str, Any] | None:
        with self.state.lock:
            candidates = [r for r in self.state.reviews.values() if r.package == self.package]
        if not candidates:
            return None
        review = self.random.choice(candidates[-50:])
        lang = review.latest.language
        suffix = self.random.choice(EDIT_SUFFIX.get(lang) or EDIT_SUFFIX["en"])
        stars = review.latest.star_rating
        stars = (
            max(1, stars - 1)
            if "fixed" not in suffix and "wieder" not in suffix
            else min(5, stars + 2)
        )
        self.state.edit_review(
            review.review_id, text=f"{review.latest.text} {suffix}", star_rating=stars
        )
        return self.state.sim_review(review)

    def generate(self, n: int) -> list[dict[str, Any]]:
        """``n`` events right now: mostly new reviews, some edits, a few Play Console replies."""
        out = []
        for _ in range(n):
            roll = self.random.random()
            if roll < 0.12 and self.state.reviews:
                edited = self.one_edit()
                if edited:
                    out.append(edited)
                    continue
            review = self.one_review()
            if roll > 0.95:
                self.state.reply(
                    review["review_id"], self.random.choice(CONSOLE_REPLIES), via="console"
                )
            out.append(review)
        return out
