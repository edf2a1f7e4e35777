"""Triage as pure functions: text and author in, a TriageResult with a reason for every part out.

Nothing here touches the database: the configuration (tag rules, paid products, controversial
topics, thresholds) comes in as a `TriageConfig`, so ingestion, the `socialdesk triage` command,
the benchmark and the tests all run this same code. Rules decide where rules are right (a
feature request's phrasing, a list of browsers); the trained models decide the rest.

Every value a classifier gives falls in a band (PRODUCT.md, TR): *confident* at or above
`act_confidence`, and triage acts on it (sets it, tags from rules keyed on it, prioritises by it);
*unsure* below, and triage only suggests it for an agent to confirm. What is certain by nature (a
keyword, a pattern, the author, the account, the platform's own language, a star rating) is not
a guess and acts whatever the models say. Reasons are written for a volunteer ("words like
“crash”"), not as probabilities; the numbers stay on the result for those who want them.
"""

import html
import math
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from django.conf.locale import LANG_INFO
from scipy import sparse

from . import cues, encoder, patterns
from . import reasons as R
from .textmodel import candidate_words, language_features, model, normalise, raw_features

TYPES = ["support request", "feedback", "feature request", "compliment", "app roundup", "other"]
SENTIMENTS = ["positive", "neutral", "negative"]
# Type values as the Conversation model stores them.
TYPE_CHOICE = {t: t.replace(" ", "_") for t in TYPES}
# The languages the language identifier chooses among: the seed's six, the neighbours it would
# otherwise confuse them with, and a few common ones so that "not supported" can be said.
LANGUAGES = [
    "en",
    "de",
    "fr",
    "es",
    "pt",
    "tr",
    "it",
    "nl",
    "ca",
    "pl",
    "ro",
    "sv",
    "da",
    "no",
    "id",
    "ru",
    "ar",
    "ja",
    "zh",
    "ko",
]

# The two bands of a classifier's value; the page, the activity log and the command's output use these words.
CONFIDENT = "confident"
UNSURE = "unsure"


def _shown(confidence: float) -> float:
    """A confidence to three decimals, rounded down: 0.79996 is shown as 0.799, not as 0.8 beside
    the band "unsure" that the act threshold of 0.8 gives it."""
    return math.floor(confidence * 1000 + 1e-9) / 1000


def band(confidence: float, act: float) -> str:
    return CONFIDENT if confidence >= act else UNSURE


def language_name(code: str) -> str:
    """ "German" for "de": volunteers read names, not ISO codes."""
    return LANG_INFO.get(code, {}).get("name") or {"zh": "Chinese"}.get(code, code)


def _words_like(words) -> str:
    return R.WORDS_LIKE % {"words": ", ".join(f"“{w}”" for w in words)}


@dataclass(frozen=True)
class Signal:
    kind: str  # celebrity, paid_product, controversial, unsolicited, spam, troll, attention, language_not_supported, review_priority
    label: str
    reason: str


@dataclass(frozen=True)
class TagSuggestion:
    """A tag and why. Confident tags are added to the conversation; unsure ones (a rule keyed on a
    type or language that is only a guess) are shown for an agent to add."""

    tag: str
    reason: str
    band: str = CONFIDENT


@dataclass
class TriageResult:
    type: str
    type_confidence: float
    type_reason: str
    language: str
    language_confidence: float
    language_reason: str
    sentiment: str
    sentiment_confidence: float
    sentiment_reason: str
    tags: list[TagSuggestion] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    priority: int = 0
    suggested_close_reason: str = ""
    act: float = 0.8  # the act threshold this result was banded with
    platform_language: str = ""  # what the platform said, which is not a guess of ours

    def has_signal(self, kind: str) -> bool:
        return any(s.kind == kind for s in self.signals)

    @property
    def type_band(self) -> str:
        return band(self.type_confidence, self.act)

    @property
    def sentiment_band(self) -> str:
        return band(self.sentiment_confidence, self.act)

    @property
    def language_band(self) -> str:
        return band(self.language_confidence, self.act)

    # What triage may act on: the confident values; "" where it only has a guess.
    @property
    def settled_type(self) -> str:
        return self.type if self.type_band == CONFIDENT else ""

    @property
    def settled_sentiment(self) -> str:
        return self.sentiment if self.sentiment_band == CONFIDENT else ""

    @property
    def settled_language(self) -> str:
        """The confident detection, else the platform's own word (routing uses it either way)."""
        return self.language if self.language_band == CONFIDENT else self.platform_language

    @property
    def applied_tags(self) -> list[TagSuggestion]:
        return [t for t in self.tags if t.band == CONFIDENT]

    @property
    def suggested_tags(self) -> list[TagSuggestion]:
        return [t for t in self.tags if t.band != CONFIDENT]

    def as_json(self) -> dict:
        return {
            "type": self.type,
            "type_confidence": _shown(self.type_confidence),
            "type_band": self.type_band,
            "language": self.language,
            "language_confidence": _shown(self.language_confidence),
            "language_band": self.language_band,
            "sentiment": self.sentiment,
            "sentiment_confidence": _shown(self.sentiment_confidence),
            "sentiment_band": self.sentiment_band,
            "tags": [t.tag for t in self.applied_tags],
            "suggested_tags": [t.tag for t in self.suggested_tags],
            "signals": [asdict(s) for s in self.signals],
        }


@dataclass(frozen=True)
class TriageInput:
    text: str
    followers: int = 0
    verified: bool = False
    handle: str = ""
    account: str = ""  # the brand account addressed, without @
    account_language: str = ""  # its locale's language: a prior for the detection
    platform: str = ""
    language_hint: str = ""  # what the platform says, if anything
    # What the author's app claimed (Mastodon's `language`): a hint for the detection, never a
    # language of its own, since apps often send their interface's language.
    language_claim: str = ""
    stars: int | None = None  # Google Play star rating
    likes: int = 0
    reposts: int = 0
    user_tags: tuple[str, ...] = ()  # the author's user tags (spammer, troll, ...)
    # The conversation's earlier inbound messages, oldest first: a follow-up ("still nothing")
    # is read with them when its own words say too little.
    context: tuple[str, ...] = ()
    # The author's recent messages elsewhere on the desk (repeated texts are a bot's mark).
    author_history: tuple[str, ...] = ()
    # The author's earlier conversations, newest first: the sentiment and type each was given
    # (by triage when confident, or by an agent; "" where none), and how many of them triage
    # flagged as possible spam.
    author_sentiments: tuple[str, ...] = ()
    author_types: tuple[str, ...] = ()
    author_spam: int = 0


@dataclass(frozen=True)
class TagRuleSpec:
    """A CM's tagging rule: every condition given must hold; keywords match if any one does."""

    tag: str
    keywords: tuple[str, ...] = ()
    regex: str = ""
    authors: tuple[str, ...] = ()
    account: str = ""
    type: str = ""
    language: str = ""
    name: str = ""

    def matches(self, inp: TriageInput, *, type: str, language: str) -> str | None:
        """The reason this rule tags the message, or None."""
        why = []
        if self.keywords:
            low = inp.text.lower()
            hit = next((k for k in self.keywords if _keyword_re(k.lower()).search(low)), None)
            if hit is None:
                return None
            why.append(R.MENTIONS % {"hit": hit})
        if self.regex:
            # On RE2 (linear time): a person's pattern runs on every new message. One that no longer
            # compiles is left out when the configuration is loaded; here it simply never matches.
            try:
                m = patterns.search(self.regex, inp.text)
            except patterns.PatternError:
                return None
            if m is None:
                return None
            why.append(R.MATCHES % {"pattern": self.regex, "match": m.group(0)[:40]})
        if self.authors:
            if inp.handle.lower().lstrip("@") not in {a.lower().lstrip("@") for a in self.authors}:
                return None
            why.append(R.AUTHOR % {"handle": inp.handle})
        if self.account:
            if inp.account.lower() != self.account.lower().lstrip("@"):
                return None
            why.append(R.ADDRESSED_TO % {"account": inp.account})
        if self.type:
            if type != self.type:
                return None
            why.append(R.TYPE_IS % {"type": type})
        if self.language:
            if language != self.language:
                return None
            why.append(R.LANGUAGE_IS % {"language": language_name(language)})
        if not why:
            return None
        return R.RULE % {"rule": self.name or self.tag, "conditions": ", ".join(why)}


@dataclass(frozen=True)
class TriageConfig:
    celebrity_followers: int = 100_000
    attention_threshold: int = 50  # likes + reposts
    paid_products: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("Mozilla VPN", ("mozilla vpn",)),
        ("Firefox Relay Premium", ("relay premium", "firefox relay premium")),
        ("Pocket Premium", ("pocket premium",)),
        ("MDN Plus", ("mdn plus", "mdn+")),
    )
    controversial_topics: tuple[tuple[str, tuple[str, ...]], ...] = ()
    tag_rules: tuple[TagRuleSpec, ...] = ()
    act_confidence: float = 0.8
    # Saved rules left out because their pattern no longer compiles: (rule name, why), to report.
    skipped_rules: tuple[tuple[str, str], ...] = ()


@lru_cache(maxsize=4096)
def _keyword_re(keyword: str) -> re.Pattern:
    # Whole words where the keyword starts/ends with a word character; "mdn+" still matches.
    left = r"(?<!\w)" if keyword[:1].isalnum() else ""
    right = r"(?!\w)" if keyword[-1:].isalnum() else ""
    return re.compile(left + re.escape(keyword) + right)


# --- Type rules: phrasing that says the type better than any model trained on a few hundred texts.
_FEATURE = re.compile(
    r"\b(please (add|bring back|make|support|let)|feature request|would (be|love) (nice|great|cool|awesome|it)|"
    r"(would|'d) love (a|an|to (see|have|get)|if|the option)|built-in option|(needs?|should have) an? (option|setting|way)|"
    r"i wish (firefox|you|it|there)|add an? (option|setting|button|way)|can you (please )?add|"
    r"bitte .*\b(einbauen|hinzufügen|einführen)|wäre (schön|toll|super|cool|gut),? wenn|wunsch:|"
    r"ajoutez|ce serait (bien|génial|top|super)|merci de remettre|suggestion ?:|"
    r"por favor (añadan|agreguen|vuelvan|adicionem|tragam)|sería (genial|bueno|útil)|sugerencia:|estaría bien|"
    r"seria (ótimo|legal|bom|incrível)|sugestão:|"
    r"lütfen .*(ekleyin|getirin)|olsa (harika|güzel|iyi) olurdu|öneri:|"
    r"per favore (aggiungete|rimettete)|sarebbe (bello|utile|fantastico)|suggerimento:|"
    r"voeg .*toe|zou (fijn|handig|mooi) zijn|graag een (optie|knop)|suggestie:|"
    r"könnt ihr .{0,60}(einbauen|hinzufügen)|pouvez-vous ajouter|podéis añadir|pueden (añadir|agregar)|"
    r"podem adicionar|ekleyebilir misiniz|potete aggiungere|kunnen jullie .{0,60}toevoegen)",
    re.IGNORECASE,
)
_APPS = re.compile(
    r"\b(chrome|firefox|edge|safari|opera|brave|vivaldi|duckduckgo|tor|samsung internet|signal|bitwarden|spotify|notion|zoom)\b",
    re.IGNORECASE,
)
_ROUNDUP = re.compile(
    r"\b(top \d+|best|mejores|melhores|besten|meilleurs|en iyi|ranked|roundup|recap|récap|resumen|resumo|özet|"
    r"rückblick|vs\.?|versus|gegen|contre|x|market share|marktanteil|parts de marché|cuota|participação|pazar pay)",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"\?|\b(how|why|where|help|can't|cannot|won't|doesn't|not working|wie|warum|hilfe|comment|pourquoi|aide|"
    r"cómo|por qué|ayuda|como|por que|ajuda|socorro|nasıl|neden|yardım|perché|aiuto|hoe|waarom)\b",
    re.IGNORECASE,
)
_PROBLEM = re.compile(
    r"\b(help|not working|doesn't work|stopped working|won't (open|load|start|work|connect)|can't|cannot|keeps? crashing|"
    r"crash(es|ed)?|keeps? freezing|freezes|is frozen|(is|are|all) gone|lost (all )?my|disappeared|how (do|can) i|hilfe|funktioniert nicht|stürzt|abstürz|aidez|ne marche plus|"
    r"plante|ne se lance|ayuda|no funciona|no abre|se cierra|ajuda|socorro|não (abre|funciona)|parou de funcionar|"
    r"yardım|çalışmıyor|çöküyor|açılmıyor|non funziona|non si apre|si blocca|si chiude da solo|aiuto|"
    r"werkt niet|crasht|loopt vast|start niet op|"
    r"hängt sich auf|se fige|se congela|travando|donuyor|"
    r"verschwunden|disparu(e|s|es)?|desaparecid[oa]s?|desapareci(ó|eron)|sumiram|sumiu|"
    r"kayboldu|spari(to|ta|ti|te)|scompars[oaie]|non parte|verdwenen|werkt .{0,30}niet meer|zijn weg)\b",
    re.IGNORECASE,
)
_PRAISE = re.compile(
    r"(\b(love|awesome|amazing|great job|thank you|thanks|best browser|rocks|kudos|"
    r"danke|liebe|großartig|genial|begeistert|merci|adore|bravo|gracias|encanta|obrigad[oa]|amo|parabéns|incrível|"
    r"teşekkürler|teşekkür ederim|seviyorum|harika|bayılıyorum|eline sağlık|"
    r"grazie|adoro|fantastico|ottimo lavoro|bedankt|geweldig|fantastisch|adorei|ótim[oa])\b|❤️|😍|🥰)",
    re.IGNORECASE,
)
_SPAM = re.compile(
    r"\b(giveaway|free followers|crypto\w*|airdrop|click here|dm me for|promo code|earn \$|onlyfans|"
    r"follow ?back|followback|f4f|l4l|follow for follow|gain followers|"
    r"bitcoin|btc|usdt|ethereum|binance|nft drop|double your|passive income|"
    r"gewinnspiel|kostenlose follower|folge zurück|geld verdienen|"
    r"followers gratuits|abonnez-vous|gagnez de l'argent|"
    r"seguidores gratis|sígueme y te sigo|gana dinero|criptomonedas?|sorteo|"
    r"seguidores grátis|sigo de volta|ganhe dinheiro|criptomoedas?|"
    r"takip(çi)? ?(et|ederim|edene|kasma)|takipçi|karşılıklı takip|geri takip|kripto\w*|bedava takipçi|çekiliş|para kazan\w*|"
    r"follower gratis|guadagna\w*|criptovalut\w*|gratis volgers|volg terug|geld verdienen)\b",
    re.IGNORECASE,
)
# The same text this many times from one author (its recent messages) is a bot's mark.
REPEATS = 2
# This many of the author's earlier conversations flagged as possible spam make a new message
# from them possible spam whatever it says (one is enough beside another sign of spam).
SPAM_HISTORY = 2
_LINK = re.compile(r"https?://")


def _hits(pattern: re.Pattern, text: str, limit: int = 3) -> list[str]:
    """The distinct phrases of `text` the pattern found, in order, as the customer wrote them."""
    seen: dict[str, str] = {}
    for m in pattern.finditer(text):
        seen.setdefault(m.group(0).lower(), m.group(0)[:40])
        if len(seen) >= limit:
            break
    return list(seen.values())


def _type_rule(text: str) -> tuple[str, str] | None:
    apps = {a.lower() for a in _APPS.findall(text)}
    if len(apps) >= 3 and (_ROUNDUP.search(text) or "," in text):
        return "app roundup", R.LISTS_APPS % {
            "count": len(apps),
            "apps": ", ".join(sorted(apps)[:4]),
        }
    if hits := _hits(_FEATURE, text):
        return "feature request", R.ASKS_NEW % {"what": _words_like(hits)}
    if hits := _hits(_PROBLEM, text):
        return "support request", R.DESCRIBES_PROBLEM % {"what": _words_like(hits)}
    if (hits := _hits(_PRAISE, text)) and "?" not in text:
        return "compliment", R.PRAISE % {"what": _words_like(hits)}
    return None


@lru_cache(maxsize=1)
def _language_identifier():
    """langid.py's model from the py3langid wheel, with probabilities normalised over LANGUAGES."""
    import os

    import py3langid
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(
        os.path.join(os.path.dirname(py3langid.__file__), MODEL_FILE), norm_probs=True
    )
    identifier.set_languages(LANGUAGES)
    return identifier


# Texts of this many words or fewer go to lingua, where it is installed and switched on.
LINGUA_MAX_WORDS = 3


@lru_cache(maxsize=1)
def _lingua():
    """lingua's detector (high-accuracy mode) over LANGUAGES, or None: only with the optional
    `lingua` extra installed and SOCIALDESK_TRIAGE_LINGUA=1, since it adds about 96 MB to the
    install and about 400 MB to each process that loads it (docs/triage-quality.md)."""
    import os

    if os.environ.get("SOCIALDESK_TRIAGE_LINGUA", "").lower() not in ("1", "true", "yes"):
        return None
    try:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
    except ImportError:
        return None
    codes = {"no": "NB"}
    langs = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, codes.get(c, c.upper())))
        for c in LANGUAGES
    ]
    return LanguageDetectorBuilder.from_languages(*langs).build()


def _lingua_classify(detector, text: str) -> tuple[str, float]:
    values = detector.compute_language_confidence_values(text)
    if not values:
        return "", 0.0
    best = values[0]
    code = best.language.iso_code_639_1.name.lower()
    return {"nb": "no"}.get(code, code), float(best.value)


# How much likelier the addressed account's language is before reading the text: a tweet to
# @mozilla_germany is German more often than langid.py's flat prior assumes. It decides only
# where the text leaves the identifier unsure (docs/triage-quality.md measures both sides).
ACCOUNT_PRIOR = 3.0


def detect_language(
    text: str, hint: str = "", *, hint_from: str = R.THE_PLATFORM, prior: str = ""
) -> tuple[str, float, str]:
    """(ISO 639-1 code, confidence, reason). Handles, links and hashtags are left out first.
    `hint_from` names who gave the hint, for the reason; `prior` is the language of the account
    the message was addressed to, which makes that language likelier (ACCOUNT_PRIOR)."""
    clean = clean_for_language(text)
    if len(clean) < 3:
        if hint:
            return (
                hint,
                0.5,
                R.TOO_LITTLE_HINT % {"source": hint_from, "language": language_name(hint)},
            )
        return "", 0.0, R.TOO_LITTLE
    lingua = _lingua() if len(clean.split()) <= LINGUA_MAX_WORDS else None
    by_prior = False
    if lingua is not None:
        lang, p = _lingua_classify(lingua, clean)
    elif prior in LANGUAGES:
        ranked = dict(_language_identifier().rank(clean))
        plain = max(ranked, key=ranked.get)
        ranked[prior] = ranked.get(prior, 0.0) * ACCOUNT_PRIOR
        total = sum(ranked.values()) or 1.0
        lang = max(ranked, key=ranked.get)
        p = ranked[lang] / total
        by_prior = lang != plain
    else:
        lang, p = _language_identifier().classify(clean)
    if hint and hint != lang and p < 0.9:
        return (
            hint,
            0.5,
            R.HINT_DIFFERS
            % {
                "source": hint_from,
                "language": language_name(hint),
                "detected": language_name(lang),
            },
        )
    if hint == lang:
        return (
            lang,
            float(p),
            R.READS_AS_AGREED % {"language": language_name(lang), "source": hint_from},
        )
    if by_prior:
        return lang, float(p), R.READS_AS_ACCOUNT % {"language": language_name(lang)}
    return lang, float(p), R.READS_AS % {"language": language_name(lang)}


_NOT_LANGUAGE = re.compile(
    r"https?://\S+|www\.\S+|@\w+|\bRT\b|[\d_]+|"
    r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2190-\u21FF\u2B00-\u2BFF\uFE0F\u200d]"
)
_LETTER_RUN = re.compile(r"([^\W\d_])\1{2,}")
_SPACES = re.compile(r"\s+")


def clean_for_language(text: str) -> str:
    """What the language identifier reads: the text without links, handles, "RT", digits and
    emoji, a hashtag's word without its #, a stretched letter ("diiia") written twice, in lower
    case (on TwitUser's tweets this reads 0.921 where the text as it came read 0.913)."""
    text = _NOT_LANGUAGE.sub(" ", html.unescape(text)).replace("#", " ")
    return _SPACES.sub(" ", _LETTER_RUN.sub(r"\1\1", text)).strip().lower()


def _prediction(probs, classes) -> tuple[str, float]:
    i = int(probs.argmax())
    return classes[i], float(probs[i])


def classify_batch(
    inputs: list[TriageInput], config: TriageConfig | None = None
) -> list[TriageResult]:
    """Classify many messages at once: the models run once on the whole batch."""
    config = config or TriageConfig()
    texts = [i.text for i in inputs]
    type_model, sentiment_model = model("type"), model("sentiment")
    if not texts:
        return []
    # A follow-up is also read together with the conversation's last earlier messages: the
    # combined reading is used where the follow-up's own words leave the model unsure.
    with_context = [i for i, inp in enumerate(inputs) if inp.context]
    combined = [" ".join((*inputs[i].context[-2:], inputs[i].text)) for i in with_context]
    # The language first: a language-aware sentiment model reads the words in it.
    languages = [_language_of(inp) for inp in inputs]
    x = raw_features(texts + combined)  # both models use the same features: extract them once
    type_x = type_model.weighted(x)
    langs = [lang for lang, _, _ in languages]
    langs_all = langs + [langs[i] for i in with_context]
    if sentiment_model.by_language:
        sentiment_x = sentiment_model.weighted(
            sparse.hstack([x, language_features(texts + combined, langs_all)], format="csr")
        )
    else:
        sentiment_x = sentiment_model.weighted(x)
    type_probs_all = type_model.predict_proba_weighted(type_x)
    sentiment_probs_all = sentiment_model.predict_proba_weighted(sentiment_x)
    if encoder.available():
        # The optional multilingual encoder's reading, blended with the linear models' (encoder.py).
        emb = encoder.embed(texts + combined)
        if encoder.has_head("type"):
            type_probs_all = encoder.blended(
                "type", type_probs_all, type_model.classes, emb, langs_all
            )
        sentiment_probs_all = encoder.blended(
            "sentiment", sentiment_probs_all, sentiment_model.classes, emb, langs_all
        )
    n = len(texts)
    type_probs, sentiment_probs = type_probs_all[:n], sentiment_probs_all[:n]
    context_row = {i: n + k for k, i in enumerate(with_context)}
    rules = [_type_rule(t) for t in texts]
    # The words behind each model decision, for its reason; the type model's only where no rule decided.
    words = candidate_words(texts)
    type_words = type_model.telling_words(
        type_x[:n],
        [[] if rule else ws for rule, ws in zip(rules, words, strict=True)],
        [int(p.argmax()) for p in type_probs],
    )
    sentiment_words = sentiment_model.telling_words(
        sentiment_x[:n], words, [int(p.argmax()) for p in sentiment_probs]
    )
    act = config.act_confidence
    results = []
    for i, inp in enumerate(inputs):
        if rules[i]:
            type_, type_conf, type_reason = rules[i][0], RULE_CONFIDENCE, rules[i][1]
        else:
            type_, type_conf = _prediction(type_probs[i], type_model.classes)
            type_reason = _model_reason(type_words[i], band(type_conf, act))
            if i in context_row and type_conf < act:
                c_rule = _type_rule(combined[context_row[i] - n])
                if c_rule:
                    c_type, c_conf, c_why = c_rule[0], RULE_CONFIDENCE, c_rule[1]
                else:
                    c_type, c_conf = _prediction(
                        type_probs_all[context_row[i]], type_model.classes
                    )
                    c_why = R.WHOLE_WORDING
                if c_conf > type_conf:
                    type_, type_conf = c_type, c_conf
                    type_reason = R.WITH_CONTEXT % {"why": c_why}
            if type_conf < act and inp.author_types and "earlier messages" not in type_reason:
                probs_h, usual = cues.with_history(
                    type_probs[i], type_model.classes, inp.author_types, act
                )
                if usual:
                    h_type, h_conf = _prediction(probs_h, type_model.classes)
                    if h_type == usual and h_type != type_:
                        type_, type_conf = h_type, h_conf
                        type_reason = R.GUESS_AUTHOR_USUAL % {"type": usual}
        probs = sentiment_probs[i]
        from_context = False
        if i in context_row and float(probs.max()) < act:
            c_probs = sentiment_probs_all[context_row[i]]
            if float(c_probs.max()) > float(probs.max()):
                probs, from_context = c_probs, True
        probs, cues_used = cues.combine(
            probs,
            sentiment_model.classes,
            inp.text,
            inp.stars,
            rules[i][0] if rules[i] else "",
        )
        probs, usual = cues.with_history(
            probs, sentiment_model.classes, inp.author_sentiments, act
        )
        if usual:
            cues_used.append(f"the author's earlier conversations (mostly {usual})")
        sentiment, sentiment_conf = _prediction(probs, sentiment_model.classes)
        if from_context:
            sentiment_reason = R.WITH_CONTEXT_ALONE
        else:
            sentiment_reason = _model_reason(
                sentiment_words[i]
                if sentiment == _prediction(sentiment_probs[i], sentiment_model.classes)[0]
                else [],
                band(sentiment_conf, act),
            )
        if cues_used:
            sentiment_reason = R.WITH_CUES % {
                "why": sentiment_reason,
                "cues": " and ".join(cues_used),
            }
        results.append(
            _classify_one(
                inp,
                config,
                (type_, type_conf, type_reason),
                (sentiment, sentiment_conf, sentiment_reason),
                languages[i],
            )
        )
    return results


def _language_of(inp: TriageInput) -> tuple[str, float, str]:
    if inp.language_hint or not inp.language_claim:
        return detect_language(inp.text, inp.language_hint, prior=inp.account_language)
    return detect_language(
        inp.text, inp.language_claim, hint_from=R.THE_AUTHORS_APP, prior=inp.account_language
    )


# A phrasing rule is right far more often than the models (docs/triage-quality.md), so its type is confident.
RULE_CONFIDENCE = 0.85


def _model_reason(words: list[str], band_: str) -> str:
    """Why the model chose, in words a volunteer can check against the message."""
    if band_ == CONFIDENT:
        return _words_like(words) if words else R.WHOLE_WORDING_NONE
    return R.GUESS_FROM % {"what": _words_like(words)} if words else R.GUESS_WHOLE


def classify(inp: TriageInput, config: TriageConfig | None = None) -> TriageResult:
    return classify_batch([inp], config)[0]


def _classify_one(
    inp: TriageInput, config: TriageConfig, type_pred, sentiment_pred, language_pred
) -> TriageResult:
    type_, type_conf, type_reason = type_pred
    sentiment, sentiment_conf, sentiment_reason = sentiment_pred
    language, language_conf, language_reason = language_pred
    result = TriageResult(
        type=type_,
        type_confidence=type_conf,
        type_reason=type_reason,
        language=language,
        language_confidence=language_conf,
        language_reason=language_reason,
        sentiment=sentiment,
        sentiment_confidence=sentiment_conf,
        sentiment_reason=sentiment_reason,
        act=config.act_confidence,
        platform_language=inp.language_hint,
    )
    _signals(inp, config, result)
    for spec in config.tag_rules:
        if spec.tag in {t.tag for t in result.tags}:
            continue
        why = spec.matches(inp, type=type_, language=language)
        if why:
            # A rule keyed on a classifier's guess suggests its tag; it adds it only on a confident value.
            if spec.type and result.type_band != CONFIDENT:
                result.tags.append(TagSuggestion(spec.tag, R.TYPE_GUESS % {"why": why}, UNSURE))
            elif spec.language and result.settled_language != spec.language:
                result.tags.append(
                    TagSuggestion(spec.tag, R.LANGUAGE_GUESS % {"why": why}, UNSURE)
                )
            else:
                result.tags.append(TagSuggestion(spec.tag, why))
    result.priority, why = priority_for(inp, result)
    if why:
        result.signals.append(Signal("review_priority", R.SEEN_EARLY % {"why": why[0]}, why[1]))
    return result


def _signals(inp: TriageInput, config: TriageConfig, result: TriageResult) -> None:
    low = inp.text.lower()

    def add_tag(tag: str, why: str) -> None:
        result.tags.append(TagSuggestion(tag, why))

    if inp.verified or inp.followers >= config.celebrity_followers:
        why = (
            R.VERIFIED
            if inp.verified
            else R.FOLLOWERS
            % {
                "followers": f"{inp.followers:,}",
                "threshold": f"{config.celebrity_followers:,}",
            }
        )
        result.signals.append(Signal("celebrity", R.CELEBRITY, why))
        add_tag("Internet celebrity", why)
    for name, aliases in config.paid_products:
        hit = next(
            (a for a in (name.lower(), *aliases) if _keyword_re(a.lower()).search(low)), None
        )
        if hit:
            why = R.PAID_MENTION % {"hit": hit}
            result.signals.append(Signal("paid_product", R.PAID % {"name": name}, why))
            add_tag("Paid product", why)
            break
    asks = bool(_QUESTION.search(inp.text))
    for name, keywords in config.controversial_topics:
        hit = next((k for k in keywords if _keyword_re(k.lower()).search(low)), None)
        if hit:
            why = (
                R.MENTIONS_REACH % {"hit": hit, "followers": f"{inp.followers:,}"}
                if inp.followers >= config.celebrity_followers // 10
                else R.MENTIONS % {"hit": hit}
            )
            result.signals.append(Signal("controversial", R.CONTROVERSIAL % {"name": name}, why))
            add_tag("Controversial", R.TOPIC % {"name": name})
            if not asks:
                result.signals.append(
                    Signal(
                        "unsolicited",
                        R.UNSOLICITED,
                        R.UNSOLICITED_WHY,
                    )
                )
            break
    spam_why = []
    if m := _SPAM.search(inp.text):
        spam_why.append(R.SPAM_PHRASE % {"phrase": m.group(0)})
    if len(_LINK.findall(inp.text)) >= 3:
        spam_why.append(R.LINKS)
    if inp.text.count("#") >= 6:
        spam_why.append(R.HASHTAGS)
    if inp.author_history:
        same = normalise(inp.text)
        repeats = sum(normalise(t) == same for t in inp.author_history)
        if repeats >= REPEATS:
            spam_why.append(R.REPEATS % {"count": repeats + 1})
    if inp.author_spam >= SPAM_HISTORY or (inp.author_spam and spam_why):
        spam_why.append(R.SPAM_HISTORY % {"count": inp.author_spam})
    found = bool(spam_why)
    if "spammer" in inp.user_tags:
        spam_why.append(R.TAGGED_SPAMMER)
    if spam_why:
        result.signals.append(Signal("spam", R.POSSIBLE_SPAM, "; ".join(spam_why)))
    if found and "spammer" not in inp.user_tags:
        # A suggestion for the agent: a user tag follows the author into every conversation.
        result.signals.append(Signal("suggest_user_tag", R.SUGGEST_SPAMMER, "; ".join(spam_why)))
    if {"troll", "trouble_maker"} & set(inp.user_tags):
        result.signals.append(
            Signal(
                "troll",
                R.TROLL,
                R.TROLL_WHY,
            )
        )
    if inp.likes + inp.reposts >= config.attention_threshold:
        result.signals.append(
            Signal(
                "attention",
                R.ATTENTION,
                R.ATTENTION_WHY
                % {
                    "likes": inp.likes,
                    "reposts": inp.reposts,
                    "threshold": config.attention_threshold,
                },
            )
        )


def check_language_supported(
    result: TriageResult, supported: list[str] | None, account_label: str = ""
) -> None:
    """Add the "Language not supported" suggestion when the account lists its languages and this is not one.

    Only on a confident language: the close reason is one click away, and a guess should not make
    closing look right.
    """
    if (
        not supported
        or not result.language
        or result.language in supported
        or result.language_band != CONFIDENT
    ):
        return
    result.suggested_close_reason = "language_not_supported"
    result.signals.append(
        Signal(
            "language_not_supported",
            R.NOT_SUPPORTED,
            R.NOT_SUPPORTED_WHY
            % {
                "language": language_name(result.language),
                "account": account_label or R.THE_ACCOUNT,
                "languages": ", ".join(language_name(c) for c in supported),
            },
        )
    )


def priority_for(inp: TriageInput, result: TriageResult) -> tuple[int, tuple[str, str] | None]:
    """(priority, (label, reason) or None): a review's priority (TR10) in the support team's order;
    elsewhere a bump for escalation signals, which say why themselves.

    Only what triage is sure of counts: a confident type or sentiment, and the stars, which are the
    customer's own word (1–2★ negative, 4–5★ positive). A guess leaves the review where it is.
    """
    if inp.stars is not None:
        stars = {"stars": inp.stars}
        type_ = result.settled_type
        short = len(inp.text) < 60
        tone = result.settled_sentiment or (
            "negative" if inp.stars <= 2 else "positive" if inp.stars >= 4 else ""
        )
        if type_ == "support request":
            label = R.LOW_STARS_PROBLEM if inp.stars <= 2 else R.HIGH_STARS_PROBLEM
            return (40 if inp.stars <= 2 else 30), (label, R.REVIEW_PROBLEM % stars)
        if type_ in ("feedback", "feature request") and not short:
            return 20, (R.NOTABLE_FEEDBACK, R.REVIEW_FEEDBACK % {**stars, "type": type_})
        if short and inp.stars <= 3 and tone == "negative":
            return 10, (
                R.SHORT_NEGATIVE,
                (R.SHORT_NEGATIVE_WHY if result.settled_sentiment else R.SHORT_NEGATIVE_STARS)
                % stars,
            )
        if short and inp.stars >= 4 and tone == "positive":
            return 5, (
                R.SHORT_POSITIVE,
                (R.SHORT_POSITIVE_WHY if result.settled_sentiment else R.SHORT_POSITIVE_STARS)
                % stars,
            )
        return 0, None
    bump = 10 if result.has_signal("paid_product") else 0
    if result.has_signal("controversial"):
        # Seen early by someone careful; never with an unsolicited offer of help.
        bump += 15
    return bump, None
