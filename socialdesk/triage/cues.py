"""What a message says about its tone besides the model's reading: stars, emoji, telling words.

The text model gives P(sentiment | words). A review's stars, a message's emoji and a short list of
words whose tone never changes ("awful", "que raiva", "harika") are further,
independent evidence, combined the Bayesian way: multiply by how much more likely each sentiment
makes that cue, then renormalise. Two limits are hard, since a reader would never accept them:
a 1–2★ review is never positive, and a 4–5★ review is negative only when the words clearly are.
"""

import re

import numpy as np

from . import reasons as R

# How much likelier each sentiment makes a star rating (relative; only ratios matter). A 3★ review
# says little. Set by reading reviews, and measured on the Firefox reviews in docs/triage-quality.md.
STAR_LIKELIHOOD = {
    1: {"negative": 4.0, "neutral": 1.0, "positive": 0.0},
    2: {"negative": 3.0, "neutral": 1.0, "positive": 0.0},
    3: {"negative": 1.0, "neutral": 1.3, "positive": 1.0},
    4: {"negative": 0.15, "neutral": 1.0, "positive": 2.5},
    5: {"negative": 0.1, "neutral": 1.0, "positive": 4.0},
}
# On a 4–5★ review the words must be at least this sure of "negative" to keep it.
CLEARLY = 0.9

POSITIVE_EMOJI = frozenset("👍👏🙏💯🎉✨🥳😍🥰😘😊🙂😀😃😄😁😆🤩💪🙌❤💙💚💛💜🧡🤍♥👌😎")
NEGATIVE_EMOJI = frozenset("😭😡😠🤬😤💩👎😞😢😔😩😫🙄😒😣😖🤮🤢💔😰😱😓😕🙁☹😥😪🤦🖕")
_EMOTICON_POS = re.compile(r"(?<![\w/]):-?\)|(?<!\w)<3|(?<![\w/]):D\b")
_EMOTICON_NEG = re.compile(r"(?<![\w/]):-?\(|(?<![\w/]):'\(")
# Words whose tone is the same in every context, in the desk's languages (en de fr es pt tr it nl).
_WORDS_POS = re.compile(
    r"\b(love|loving|great|awesome|excellent|amazing|perfect|best|thank(s| you)|"
    r"toll|super|danke|großartig|genial|liebe|perfekt|klasse|"
    r"génial|parfait|merci|j'adore|adore|excellent|"
    r"encanta|excelente|gracias|perfecto|maravillos[oa]|buenísimo|"
    r"ótimo|amo|obrigad[oa]|perfeito|maravilhos[oa]|adorei|"
    r"harika|mükemmel|teşekkürler|teşekkür ederim|süper|seviyorum|bayıldım|"
    r"fantastico|ottimo|grazie|bellissimo|geweldig|bedankt|fantastisch)\b",
    re.IGNORECASE,
)
_WORDS_NEG = re.compile(
    r"\b(hate|worst|awful|terrible|garbage|trash|sucks|useless|horrible|slow|sluggish|laggy|crap|"
    r"scheiße|scheisse|mist|schrecklich|furchtbar|langsam|nervt|nutzlos|katastrophe|"
    r"nul|nulle|merde|déteste|lent|inutilisable|horrible|"
    r"odio|asco|basura|pésimo|fatal|inútil|lento|horrible|"
    r"raiva|odeio|lixo|péssimo|horrível|inútil|"
    r"berbat|rezalet|nefret|saçma|yavaş|rezil|"
    r"schifo|pessimo|inutile|vergogna|"
    r"waardeloos|traag|slecht|vreselijk)\b",
    re.IGNORECASE,
)
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
_NEGATION = re.compile(
    r"\b(not|no|never|isn't|wasn't|don't|doesn't|nicht|kein\w*|nie|pas|jamais|plus|nunca|nada|"
    r"não|nem|non|mai|niet|geen|nooit|değil)\W+(\w+\W+)?$",
    re.IGNORECASE,
)


def _negated(text: str, start: int) -> bool:
    """Whether a negation comes within two words before `start`."""
    return bool(_NEGATION.search(text[max(0, start - 40) : start]))


# Each word multiplies its side's likelihood by this much (up to WORDS_MAX words).
WORD_FACTOR = 2.0
WORDS_MAX = 2
# Each emoji multiplies its side's likelihood by this much, up to EMOJI_MAX at most.
EMOJI_FACTOR = 4.0
EMOJI_MAX = 3


_POS_CHARS = re.compile("[" + re.escape("".join(sorted(POSITIVE_EMOJI))) + "]")
_NEG_CHARS = re.compile("[" + re.escape("".join(sorted(NEGATIVE_EMOJI))) + "]")


def emoji_counts(text: str) -> tuple[int, int]:
    """(positive, negative) emoji and emoticons in the text."""
    pos = len(_POS_CHARS.findall(text)) + len(_EMOTICON_POS.findall(text))
    neg = len(_NEG_CHARS.findall(text)) + len(_EMOTICON_NEG.findall(text))
    return pos, neg


# Praise found by the phrasing rules (no problem, no question) says the tone too. (A problem rule
# saying "negative" was tried: it cost the airline tweets more than it gave.)
RULE_TONE = {"compliment": ("positive", 2.0)}


def combine(
    probs: np.ndarray, classes: list[str], text: str, stars: int | None, rule_type: str = ""
) -> tuple[np.ndarray, list[str]]:
    """The text model's probabilities with the emoji and the stars folded in, and the cues used
    (for the reason), e.g. ["a 1★ review", "the emoji 😭"]."""
    p = np.array(probs, dtype=np.float64)
    idx = {c: i for i, c in enumerate(classes)}
    used = []
    pos, neg = emoji_counts(text)
    if pos != neg:
        # Opposite emoji cancel out (irony, mixed feelings): only the surplus counts.
        side = "positive" if pos > neg else "negative"
        n = min(abs(pos - neg), EMOJI_MAX)
        p[idx[side]] *= EMOJI_FACTOR**n
        shown = "".join(
            dict.fromkeys(
                ch
                for ch in text
                if ch in (POSITIVE_EMOJI if side == "positive" else NEGATIVE_EMOJI)
            )
        )
        used.append(
            R.CUE_EMOJI % {"side": side, "emoji": shown}
            if shown
            else R.CUE_EMOTICONS % {"side": side}
        )
    plain = _STRETCHED.sub(r"\1", text)  # "Sloooow" is "slow"
    pos_hits = list(_WORDS_POS.finditer(plain))
    neg_hits = list(_WORDS_NEG.finditer(plain))
    # "not great" is not praise, "not bad" is no complaint.
    negated_pos = sum(_negated(plain, m.start()) for m in pos_hits)
    negated_neg = sum(_negated(plain, m.start()) for m in neg_hits)
    wpos = len(pos_hits) - negated_pos
    wneg = len(neg_hits) - negated_neg + negated_pos
    if wpos != wneg:
        side = "positive" if wpos > wneg else "negative"
        p[idx[side]] *= WORD_FACTOR ** min(abs(wpos - wneg), WORDS_MAX)
        hits = [m for m in pos_hits if not _negated(plain, m.start())]
        if side == "negative":
            hits = [m for m in neg_hits if not _negated(plain, m.start())] + [
                m for m in pos_hits if _negated(plain, m.start())
            ]
        if hits:
            m = hits[0]
            before = _NEGATION.search(plain[max(0, m.start() - 40) : m.start()])
            used.append(R.CUE_WORD % {"word": (before.group(0) if before else "") + m.group(0)})
    if rule_type in RULE_TONE:
        side, factor = RULE_TONE[rule_type]
        p[idx[side]] *= factor
    if stars in STAR_LIKELIHOOD:
        clearly_negative = probs[idx["negative"]] >= CLEARLY
        for c, w in STAR_LIKELIHOOD[stars].items():
            if c == "negative" and stars >= 4 and clearly_negative:
                continue
            p[idx[c]] *= w
        used.append(R.CUE_STARS % {"stars": stars})
    total = p.sum()
    if total <= 0:  # every class ruled out cannot happen with the table above; be safe anyway
        return np.asarray(probs, dtype=np.float64), []
    return p / total, used


# The author's earlier conversations: the value most of their last few had (at least two of
# them) is this much likelier for the new one. Only where the message's own reading is unsure,
# and it never makes triage act: a guess helped by the author's past stays a guess.
HISTORY_RECENT = 5
HISTORY_FACTOR = 1.5


def history_value(earlier: tuple[str, ...]) -> str:
    """The value most of the author's last few conversations had ("" when no clear majority)."""
    recent = [v for v in earlier if v][:HISTORY_RECENT]
    if len(recent) < 2:
        return ""
    best = max(set(recent), key=recent.count)
    n = recent.count(best)
    return best if n >= 2 and n * 2 > len(recent) else ""


def with_history(
    probs: np.ndarray, classes: list[str], earlier: tuple[str, ...], act: float
) -> tuple[np.ndarray, str]:
    """`probs` with the author's usual value made likelier, when the reading is unsure; and that
    value ("" when it was not used)."""
    value = history_value(earlier)
    if not value or value not in classes or float(np.max(probs)) >= act:
        return probs, ""
    p = np.array(probs, dtype=np.float64)
    p[classes.index(value)] *= HISTORY_FACTOR
    p /= p.sum()
    top = int(p.argmax())
    if p[top] >= act:
        # Still a guess: spread the excess over the other values so the band stays unsure.
        excess = p[top] - (act - 1e-3)
        p[top] -= excess
        rest = [i for i in range(len(p)) if i != top]
        p[rest] += excess / len(rest)
    return p, value
