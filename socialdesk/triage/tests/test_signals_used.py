"""Triage reads more than the words: a review's stars, emoji, the conversation's earlier messages."""

import io
import json

import pytest

from socialdesk.triage.classify import TriageConfig, TriageInput, classify, classify_batch
from socialdesk.triage.management.commands.triage import parse_line, run


@pytest.mark.parametrize(
    "text",
    [
        "Very very Sloooooow",
        "Great browser until the last update, now it crashes every time I open a tab",
        "Love the idea, hate the app",
        "Excelente navegador pero ya no abre ninguna página",
        "Ich liebe Firefox, aber diese Version ist unbrauchbar",
    ],
)
@pytest.mark.parametrize("stars", [1, 2])
def test_a_one_or_two_star_review_is_never_positive(text, stars):
    r = classify(TriageInput(text, stars=stars, platform="google_play"))
    assert r.sentiment != "positive"
    assert f"{stars}★ review" in r.sentiment_reason


def test_the_stars_turn_a_slow_review_negative_and_confident():
    plain = classify(TriageInput("Very very Sloooooow"))
    review = classify(TriageInput("Very very Sloooooow", stars=1))
    assert review.sentiment == "negative"
    assert review.sentiment_confidence > plain.sentiment_confidence


@pytest.mark.parametrize(
    "text",
    [
        "Fast, private and the add-ons work. Thank you!",
        "Meilleur navigateur sur Android, merci",
        "ok",
    ],
)
@pytest.mark.parametrize("stars", [4, 5])
def test_a_four_or_five_star_review_is_not_negative_unless_the_words_clearly_are(text, stars):
    assert classify(TriageInput(text, stars=stars)).sentiment != "negative"


def test_a_five_star_review_that_clearly_complains_stays_negative():
    text = "Worst update ever, awful, it crashes, I hate it, useless garbage, terrible"
    assert classify(TriageInput(text, stars=5)).sentiment == "negative"


@pytest.mark.parametrize(
    "text",
    ["bookmarks gone 😭", "que raiva", "Firefox borró mis marcadores 😡😡", "Sync kaputt 👎"],
)
def test_sad_and_angry_messages_are_not_positive(text):
    assert classify(TriageInput(text)).sentiment != "positive", text


@pytest.mark.parametrize(
    "text",
    [
        "Me encanta este navegador, es rapidísimo",
        "Bu tarayıcı harika, çok hızlı, teşekkürler",
        "Adorei o novo Firefox, ficou ótimo",
        "Firefox ist einfach großartig 👍",
    ],
)
def test_praise_in_other_languages_is_positive_and_a_compliment(text):
    r = classify(TriageInput(text))
    assert r.sentiment == "positive", text
    assert r.type == "compliment", text


@pytest.mark.parametrize("text", ["Nicht gut, gar nicht toll", "Não é ótimo"])
def test_negated_praise_is_not_positive(text):
    r = classify(TriageInput(text))
    assert r.sentiment != "positive", text


def test_emoji_are_named_in_the_reason():
    r = classify(TriageInput("bookmarks gone 😭"))
    assert "😭" in r.sentiment_reason


def test_a_wish_with_love_in_it_is_a_feature_request_not_a_compliment():
    r = classify(TriageInput("would love a built-in option to mute all tabs"))
    assert r.type == "feature request"


def test_a_follow_up_is_read_with_the_earlier_messages():
    alone, follow_up = classify_batch(
        [
            TriageInput("any news?"),
            TriageInput(
                "any news?",
                context=(
                    "Firefox crashes every time I open a PDF, I lost my work twice, please help",
                ),
            ),
        ]
    )
    assert follow_up.type == "support request"
    assert follow_up.type_confidence > alone.type_confidence
    assert "earlier messages" in follow_up.type_reason


def test_a_follow_up_that_says_enough_on_its_own_keeps_its_own_reading():
    r = classify(
        TriageInput(
            "Thank you so much, it works again!",
            context=("Firefox crashes every time I open a PDF, please help",),
        )
    )
    assert r.sentiment == "positive"
    assert "earlier messages" not in r.sentiment_reason


def test_the_command_takes_stars_and_context():
    out = io.StringIO()
    ok, errors = run(
        [
            json.dumps({"id": 1, "text": "Very very Sloooooow", "stars": 1}) + "\n",
            json.dumps({"id": 2, "text": "any news?", "context": ["Firefox crashes, help"]})
            + "\n",
        ],
        out,
        TriageConfig(),
    )
    assert (ok, errors) == (2, 0)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["sentiment"] == "negative"
    assert second["type"] == "support request"


@pytest.mark.parametrize(
    "obj, message",
    [
        ({"text": "slow", "stars": 9}, "stars must be a whole number from 1 to 5"),
        ({"text": "slow", "stars": "1"}, "stars must be a whole number from 1 to 5"),
        ({"text": "slow", "stars": True}, "stars must be a whole number from 1 to 5"),
        ({"text": "slow", "context": "earlier"}, '"context" must be a list'),
        ({"text": "slow", "context": [1, 2]}, '"context" must be a list'),
    ],
)
def test_the_command_refuses_bad_stars_and_context(obj, message):
    _, inp, error = parse_line(json.dumps(obj), 3)
    assert inp is None and message in error
