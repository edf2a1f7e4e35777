"""KB and clipping suggestions by what the message is about, in its language, or none."""

import pytest

from socialdesk.triage import topics
from socialdesk.triage.demo_kb import KB

DOCS = [topics.Doc("kb", t, u, s) for t, u, s in KB] + [
    topics.Doc("clipping", "Firefox va lento", "", "Borra la caché y quita complementos.", "es"),
    topics.Doc("clipping", "Firefox is slow", "", "Clear the cache and remove add-ons.", "en"),
]
SURE = {t: 0.9 for t in topics.TOPIC_WORDS}


def top(text, language="", reliability=SURE):
    m = topics.suggest(text, DOCS, language=language, reliability=reliability)
    return m[0].doc.title if m else None


@pytest.mark.parametrize(
    "text",
    [
        "Firefox is slow",
        "Very very Sloooooow on my phone",
        "Firefox ist so langsam geworden",
        "Firefox est devenu très lent",
        "Firefox va muy lento desde la actualización",
        "Firefox ficou lento",
        "Firefox çok yavaş",
        "Firefox è lentissimo",
    ],
)
def test_a_slow_firefox_never_gets_the_vpn_article(text):
    for m in topics.suggest(text, DOCS, reliability=SURE, threshold=0):
        assert "VPN" not in m.doc.title, text


def test_the_vpn_article_needs_the_vpn_named():
    assert top("Mozilla VPN is slow and keeps disconnecting") == "Mozilla VPN connection problems"


@pytest.mark.parametrize(
    "text",
    [
        "Firefox keeps crashing",
        "Firefox stürzt ständig ab",
        "Firefox plante au démarrage",
        "Firefox se cierra solo",
        "Firefox sürekli çöküyor",
        "Firefox crasht steeds",
        "Firefox sluit vanzelf af",
        "Firefox si chiude da solo",
        "O Firefox fecha sozinho",
    ],
)
def test_crashes_in_every_language_get_the_crash_article(text):
    assert top(text) == "Firefox crashes - troubleshoot, prevent and get help fixing crashes"


def test_dutch_names_its_add_ons_and_full_screen_too():
    from socialdesk.triage.topics import topic_hits

    hits = topic_hits("Mijn extensies zijn weg en een video op volledig scherm hapert")
    assert hits == {"video": ["video", "volledig scherm"], "addons": ["extensies"]}


def test_help_in_the_messages_language_comes_first():
    m = topics.suggest("Firefox va muy lento", DOCS, language="es", reliability=SURE)
    clippings = [x.doc.title for x in m if x.doc.kind == "clipping"]
    assert clippings[0] == "Firefox va lento"


@pytest.mark.parametrize(
    "text",
    [
        "I love this browser",  # no topic
        "Mozilla please add vertical tabs to the bookmarks",  # a wish, not a problem
        "slow to sync, my bookmarks and passwords are gone, video does not play",  # four topics
    ],
)
def test_nothing_rather_than_something_doubtful(text):
    assert topics.suggest(text, DOCS, reliability=SURE) == []


def test_a_topic_volunteers_seldom_answered_with_an_article_is_not_suggested():
    low = {**SURE, "passwords": 0.4}
    assert top("I lost all my passwords", reliability=low) is None
    assert top("I lost all my passwords", reliability=SURE).startswith("Password manager")


def test_the_committed_reliability_is_measured_per_topic():
    measured = topics.topic_reliability()
    assert {"crash", "slow"} <= measured.keys()
    assert all(0 < v < 1 for v in measured.values())


def test_a_reply_is_matched_by_the_help_it_gives():
    reply = "Sometimes add-ons slow down Firefox. Try uninstalling add-ons in Firefox menu."
    assert topics.same_help("slow", reply) and topics.same_help("crash", reply)
    assert not topics.same_help("bookmarks", reply)
    assert not topics.same_help("slow", "Perhaps we can help on the Support Forum.")
