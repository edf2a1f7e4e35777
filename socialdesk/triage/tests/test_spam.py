"""Spam and bots in every language the desk serves: flagged, with the user tag Spammer suggested."""

import pytest

from socialdesk.triage.classify import TriageInput, classify


def _kinds(r):
    return {s.kind for s in r.signals}


@pytest.mark.parametrize(
    "text",
    [
        "Kripto para ile günde 500$ kazan! Detaylar DM'de 🚀",
        "Takip eden herkesi geri takip ediyorum #takipçi",
        "#followback #f4f follow me and I follow back",
        "Free crypto airdrop, claim your USDT now",
        "Kostenlose Follower! Jetzt Gewinnspiel mitmachen",
        "Gagnez de l'argent avec le bitcoin, écrivez-moi",
        "Seguidores gratis, sígueme y te sigo",
        "Ganhe dinheiro com criptomoedas hoje",
        "Guadagna subito con le criptovalute",
        "Gratis volgers! Volg terug",
    ],
)
def test_spam_is_flagged_in_every_language_with_the_user_tag_suggested(text):
    r = classify(TriageInput(text))
    assert {"spam", "suggest_user_tag"} <= _kinds(r), text
    label = next(s.label for s in r.signals if s.kind == "suggest_user_tag")
    assert label == "Suggested user tag: Spammer"


@pytest.mark.parametrize(
    "text",
    [
        "Firefox bedava ve çok hızlı, teşekkürler",
        "Firefox no abre desde ayer, ayuda",
        "Firefox stürzt beim Start ab",
        "Le concours de mon fils ne s'affiche pas dans Firefox",
        "How do I follow a tab back to where it was opened?",
    ],
)
def test_ordinary_messages_are_not_spam(text):
    assert not {"spam", "suggest_user_tag"} & _kinds(classify(TriageInput(text))), text


def test_the_same_text_again_and_again_is_a_bot():
    text = "Check my profile for the best deals 🔥"
    once = classify(TriageInput(text, author_history=("hello",)))
    again = classify(TriageInput(text + " ", author_history=(text, text.upper(), "other")))
    assert "spam" not in _kinds(once)
    spam = next(s for s in again.signals if s.kind == "spam")
    assert "the same text 3 times" in spam.reason
    assert "suggest_user_tag" in _kinds(again)


def test_an_author_already_tagged_spammer_gets_no_suggestion_again():
    r = classify(TriageInput("Free crypto airdrop", user_tags=("spammer",)))
    assert "spam" in _kinds(r) and "suggest_user_tag" not in _kinds(r)
