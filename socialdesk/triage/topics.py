"""What a message is about, in the desk's languages, and the KB articles and clippings that fit it.

A suggestion is only worth showing when it is about the customer's problem: a volunteer who
inserts "Mozilla VPN connection problems" under "Firefox is slow" looks careless. So help is
matched by *topic*, not by shared words: the message's topics come from a short multilingual
word list per topic, an article's topic from its title (its summary only when the title names
none), and an article is suggested only when its topic is the message's. A message that names
several topics, or none, gets nothing rather than a guess. Measured against the help Mozilla's
volunteers really gave in `docs/triage-quality.md`.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import reasons as R

# topic -> words that say a message is about it (en de fr es pt tr it nl), as regex alternatives.
TOPIC_WORDS = {
    "vpn": r"vpn",
    "crash": (
        r"crash\w*|keeps closing|closes (itself|by itself|on its own|suddenly)|force clos\w*|"
        r"abstürz\w*|stürzt|absturz|plante\w*|se ferme tout seul|se cierra|se cuelga|"
        r"fecha sozinho|çök\w*|kapanıyor|si chiude|va in crash|crasht|loopt vast|sluit vanzelf"
    ),
    "slow": (
        r"slow\w*|sluggish|laggy|lags|lagging|takes forever|heavy|freez\w*|"
        r"langsam\w*|träge|hängt|lent\w*|rame\w*|lento|lenta|lentísimo|lentidão|trava|"
        r"yavaş\w*|donuyor|lentissimo|traag"
    ),
    "bookmarks": (
        r"bookmark\w*|lesezeichen|favoris|marque-pages?|marcadores|favoritos|yer imler\w*|"
        r"segnalibri|bladwijzers?"
    ),
    "sync": r"sync\w*|synchroni\w*|sincroniz\w*|senkroniz\w*|sincronizza\w*",
    "passwords": (
        r"passwords?|logins?|passwörter|kennwort\w*|mots? de passe|contraseñas?|senhas?|"
        r"şifre\w*|parola\w*|wachtwoord\w*"
    ),
    "video": (
        r"videos?|youtube|netflix|vídeos?|vidéos?|playback|full ?screen|"
        r"plein écran|pantalla completa|tela cheia|tam ekran|schermo intero|volledig scherm"
    ),
    "addons": (
        r"add-?ons?|extensions?|erweiterung\w*|module complémentaire\w*|extensiones|"
        r"extensões|eklenti\w*|estension\w*|componenti aggiuntivi|extensies|ublock|adblock\w*"
    ),
}
_TOPIC_RE = {t: re.compile(rf"(?<!\w)({w})(?!\w)", re.IGNORECASE) for t, w in TOPIC_WORDS.items()}
# Topics that only a message naming them may get: no article about a paid product is offered to
# someone who did not mention it.
NAMED_ONLY = {"vpn"}

# At or above this confidence a suggestion is shown (docs/triage-quality.md: precision/coverage);
# SOCIALDESK_SUGGEST_CONFIDENCE overrides it.
SUGGEST_CONFIDENCE = 0.75
RELIABILITY_FILE = Path(__file__).resolve().parent / "data" / "topics.json"
# A feature request mentions a topic without asking for help with it.
_WISH = re.compile(
    r"\b(please (add|bring back|make)|would (be|love)|i wish|add an? (option|setting|way)|can you (please )?add|"
    r"bitte|s'il vous plaît|por favor|lütfen|per favore|alsjeblieft)\b",
    re.IGNORECASE,
)
WISH_FACTOR = 0.5


@cache
def topic_reliability() -> dict[str, float]:
    """{topic: how often an article on it was the help volunteers gave}, measured by `make model`
    on the training side of the Firefox reviews (training/train.py); {} before it is measured."""
    try:
        return {k: float(v) for k, v in json.loads(RELIABILITY_FILE.read_text()).items()}
    except (OSError, ValueError):
        return {}


def topic_hits(text: str) -> dict[str, list[str]]:
    """{topic: the words of `text` that named it}, in the order of TOPIC_WORDS."""
    out = {}
    for topic, pattern in _TOPIC_RE.items():
        hits = [m.group(0) for m in pattern.finditer(text)]
        if hits:
            out[topic] = hits
    return out


def message_topic(text: str, *, reliability: dict | None = None) -> tuple[str, float, list[str]]:
    """(topic, confidence, words) of a customer's message; ("", 0, []) when it names none.

    The confidence is how often help on that topic was the help volunteers gave
    (`topic_reliability`), times the topic's share of the words that named any topic ("slow to
    sync bookmarks" is less clearly about one thing than "crashes"), halved for a wish ("please
    add bookmarks folders" asks for a feature, not for help).
    """
    hits = topic_hits(text)
    if "vpn" in hits:
        # "the VPN is slow" is about the VPN, whatever else it says.
        return "vpn", 1.0, hits["vpn"]
    if not hits:
        return "", 0.0, []
    reliability = topic_reliability() if reliability is None else reliability
    total = sum(len(v) for v in hits.values())
    topic = max(hits, key=lambda t: len(hits[t]))
    confidence = reliability.get(topic, 1.0) * len(hits[topic]) / total
    if _WISH.search(text):
        confidence *= WISH_FACTOR
    return topic, confidence, hits[topic]


def doc_topic(title: str, body: str = "") -> str:
    """An article's or clipping's topic: what its title names (the first topic there), else its body's
    only topic; "" when it is about several things or none."""
    for i, text in enumerate((title, body)):
        hits = topic_hits(text)
        if "vpn" in hits:
            return "vpn"
        if len(hits) == 1 or (hits and i == 0):
            return next(iter(hits))
    return ""


@dataclass
class Doc:
    kind: str  # "kb" or "clipping"
    title: str
    url: str
    text: str
    language: str = "en"
    topic: str = ""

    def __post_init__(self):
        if not self.topic:
            self.topic = doc_topic(self.title, self.text)


@dataclass
class Match:
    doc: Doc
    confidence: float
    reason: str


def suggest(
    text: str,
    docs: list[Doc],
    *,
    language: str = "",
    threshold: float = SUGGEST_CONFIDENCE,
    limit: int = 3,
    reliability: dict | None = None,
) -> list[Match]:
    """The articles and clippings about the message's topic, in its language first (then English),
    best first; nothing when the topic is unclear (confidence below `threshold`)."""
    topic, confidence, words = message_topic(text, reliability=reliability)
    if not topic or confidence < threshold:
        return []
    fitting = [d for d in docs if d.topic == topic]
    if topic in NAMED_ONLY and not _TOPIC_RE[topic].search(text):
        return []

    def order(d: Doc) -> tuple:
        return (d.language != language, d.language != "en", d.kind != "kb", d.title)

    shown = ", ".join(f"“{w}”" for w in dict.fromkeys(w.lower() for w in words))
    out = []
    for d in sorted(fitting, key=order):
        values = {"topic": topic, "words": shown}
        if not language or d.language == language:
            out.append(Match(d, confidence, R.TOPIC_MATCH % values))
        else:
            out.append(
                Match(d, confidence, R.TOPIC_MATCH_ELSEWHERE % {**values, "code": d.language})
            )
    kb = [m for m in out if m.doc.kind == "kb"][:limit]
    clips = [m for m in out if m.doc.kind == "clipping"][:limit]
    return kb + clips


# What the volunteers' replies say when they give topic help (their replies are in English,
# French, German, Indonesian, …). A reply can give help on several topics at once.
REPLY_WORDS = {
    "crash": r"crash\w*|plant\w*|abstürz\w*",
    "slow": (
        r"cache\w*|cached|temporary files|fichiers temporaires|swift|fast as possible|slow\w*|"
        r"memperlambat|lambat"
    ),
    "addons": r"add-?ons?|extensions?|modules complémentaires|erweiterung\w*|pengaya",
    "update": (
        r"latest (version|firefox)|update your (browser|copy|firefox)|reinstall\w*|re-install\w*|"
        r"mettre à jour|memperbarui|mencopot|neu installieren|aktualisier\w*"
    ),
    "bookmarks": r"bookmark\w*|marque-pages|lesezeichen|marcadores",
    "sync": r"sync\w*",
    "passwords": r"passwords?|logins?",
    "video": r"video\w*|flash|plugin",
    "vpn": r"vpn",
}
_REPLY_RE = {t: re.compile(rf"(?<!\w)({w})(?!\w)", re.IGNORECASE) for t, w in REPLY_WORDS.items()}
# Volunteers answer a crash, a slow Firefox and a misbehaving add-on with the same help (remove
# add-ons, clear the cache, update or reinstall), and the KB articles on those three topics give
# that same help: for matching, they are one topic.
TOPIC_GROUP = {"crash": "performance", "slow": "performance", "addons": "performance"}
REPLY_GROUP = {**TOPIC_GROUP, "update": "performance"}


def reply_topics(reply: str) -> set[str]:
    """The topics a volunteer's reply gives help on (empty: a generic reply, e.g. "see the forum")."""
    return {t for t, p in _REPLY_RE.items() if p.search(reply)}


def same_help(doc_topic_: str, reply: str) -> bool:
    """Whether an article on `doc_topic_` gives the help the volunteer's reply gave: the same topic,
    or the same group of topics (TOPIC_GROUP)."""
    given = reply_topics(reply)
    return doc_topic_ in given or (
        doc_topic_ in TOPIC_GROUP
        and TOPIC_GROUP[doc_topic_] in {REPLY_GROUP.get(t) for t in given}
    )
