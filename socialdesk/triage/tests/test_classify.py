"""The pure triage functions: every decision comes with its reason."""

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from socialdesk.triage.classify import (
    TagRuleSpec,
    TriageConfig,
    TriageInput,
    check_language_supported,
    classify,
    classify_batch,
)
from socialdesk.triage.textmodel import candidate_words, features, word_column, words_vectorizer

CONFIG = TriageConfig(controversial_topics=(("Terms of use", ("terms of use", "sell my data")),))


def test_feature_request_phrasing_is_a_rule_with_its_reason():
    r = classify(TriageInput("please add vertical tabs, I would switch tomorrow"))
    assert r.type == "feature request" and r.type_confidence >= 0.8
    assert "please add" in r.type_reason


def test_a_list_of_browsers_is_an_app_roundup():
    r = classify(TriageInput("Top 5 privacy browsers: Brave, Firefox, DuckDuckGo, Vivaldi"))
    assert r.type == "app roundup" and "lists 4 apps" in r.type_reason


def test_a_problem_is_a_support_request_in_the_desks_languages():
    for text in (
        "Firefox lost all my bookmarks, help?",
        "Firefox keeps freezing",
        "Firefox stürzt ständig ab, Hilfe!",
        "La synchronisation ne marche plus",
        "Firefox no abre desde ayer",
        "O Firefox não abre mais",
        "Firefox çöküyor, yardım edin",
        "I miei segnalibri sono spariti dopo l'aggiornamento",
        "Firefox non parte più su Windows",
        "Mijn extensies zijn verdwenen",
        "Synchronisatie werkt sinds gisteren niet meer",
    ):
        r = classify(TriageInput(text))
        assert r.type == "support request" and r.type_confidence >= 0.8, text


def test_a_product_name_alone_says_nothing_of_the_type():
    # The seed set names Firefox in most compliments: the models do not read the name at all.
    for text in ("Firefox", "Mozilla Firefox", "Chrome"):
        r = classify(TriageInput(text))
        assert r.type != "compliment" and r.type_confidence < 0.99, (text, r.type)
    assert features(["Firefox keeps freezing"]).nnz == features(["keeps freezing"]).nnz


def test_asking_for_something_new_is_a_feature_request_in_the_desks_languages():
    for text in (
        "can you add a dark mode for PDFs?",
        "Könnt ihr einen Dunkelmodus für PDFs einbauen?",
        "Potete aggiungere una modalità scura per i PDF?",
        "Kunnen jullie een donkere modus voor pdf's toevoegen?",
        "Pouvez-vous ajouter un mode sombre pour les PDF ?",
    ):
        r = classify(TriageInput(text))
        assert r.type == "feature request" and r.type_confidence >= 0.8, text


def test_language_on_short_texts_ignores_handles_and_links():
    assert (
        classify(TriageInput("@FirefoxSupport meine Lesezeichen sind weg https://t.co/x")).language
        == "de"
    )
    assert classify(TriageInput("@FirefoxTurkiye yer imlerim kayboldu")).language == "tr"


def test_sentiment_has_a_confidence_and_a_reason_in_words():
    r = classify(TriageInput("I love Firefox, thank you so much!"))
    assert r.sentiment == "positive" and 0 < r.sentiment_confidence <= 1
    # The words the model leaned on, not a probability: a volunteer can check them against the message.
    assert (
        r.sentiment_reason.startswith("words like “love”")
        and "probability" not in r.sentiment_reason
    )


def test_a_model_guess_says_it_is_a_guess_and_names_the_words_behind_it():
    # (Trained on more data, the model is sure enough about a bare "Slow." to act on it.)
    r = classify(TriageInput("Very slow."))
    assert r.sentiment == "negative" and r.sentiment_band == "unsure"
    assert r.sentiment_reason.startswith("a guess from words like “slow”")
    assert r.type_band == "unsure" and r.type_reason.startswith("a guess from")


def test_a_rule_names_the_words_it_found():
    r = classify(TriageInput("Firefox keeps crashing and the sync is not working, help"))
    assert r.type == "support request" and r.type_band == "confident"
    assert (
        r.type_reason
        == "describes a problem or asks for help: words like “keeps crashing”, “not working”, “help”"
    )


def test_celebrity_from_followers_or_verified():
    r = classify(TriageInput("hello", followers=250_000))
    assert r.has_signal("celebrity") and "the author has 250,000 followers" in r.signals[0].reason
    verified = classify(TriageInput("hello", verified=True))
    assert (
        verified.has_signal("celebrity") and verified.signals[0].reason == "the author is verified"
    )
    assert not classify(TriageInput("hello", followers=10)).has_signal("celebrity")


def test_paid_product_mentioned_is_an_escalation_signal_and_a_tag():
    r = classify(TriageInput("My Mozilla VPN subscription will not connect"))
    assert r.has_signal("paid_product") and "Paid product" in [t.tag for t in r.tags]
    assert r.priority > 0


def test_controversy_that_asks_nothing_warns_against_unsolicited_help():
    r = classify(TriageInput("Mozilla wants to sell my data now. Disgusting."), CONFIG)
    assert r.has_signal("controversial") and r.has_signal("unsolicited")
    asks = classify(
        TriageInput("Does the new terms of use mean you sell my data? How do I opt out?"), CONFIG
    )
    assert asks.has_signal("controversial") and not asks.has_signal("unsolicited")


def test_spam_and_troll_signals_combine_text_and_user_tags():
    r = classify(TriageInput("crypto giveaway click here http://a http://b http://c"))
    assert r.has_signal("spam") and "three or more links" in next(
        s.reason for s in r.signals if s.kind == "spam"
    )
    assert classify(TriageInput("hi", user_tags=("spammer",))).has_signal("spam")
    assert classify(TriageInput("hi", user_tags=("troll",))).has_signal("troll")


def test_unsupported_language_suggests_the_close_reason():
    r = classify(TriageInput("Firefox continua a bloccarsi quando apro troppe schede, aiuto"))
    assert r.language == "it"
    check_language_supported(r, ["de"], "@mozilla_germany")
    assert r.suggested_close_reason == "language_not_supported"
    assert "@mozilla_germany supports German" in next(
        s.reason for s in r.signals if s.kind == "language_not_supported"
    )


def test_google_play_priority_follows_the_support_teams_order():
    def p(text, stars):
        return classify(TriageInput(text, stars=stars)).priority

    bug_low = p("The app crashes every time I open a new tab, please help", 1)
    bug_high = p("The app crashes every time I open a new tab, please help", 4)
    short_negative = p("Terrible. Slow.", 2)
    short_positive = p("Great browser, love it", 5)
    assert bug_low > bug_high > short_negative > short_positive > 0


def test_tag_rules_need_every_condition_and_say_why():
    rule = TagRuleSpec(
        tag="Bookmarks",
        name="Bookmarks",
        keywords=("bookmarks", "lesezeichen"),
        account="FirefoxSupport",
    )
    config = TriageConfig(tag_rules=(rule,))
    hit = classify(TriageInput("lost my bookmarks", account="FirefoxSupport"), config)
    assert [(t.tag, t.reason) for t in hit.tags] == [
        ("Bookmarks", "rule “Bookmarks”: mentions “bookmarks”, addressed to @FirefoxSupport")
    ]
    assert classify(TriageInput("lost my bookmarks", account="Firefox"), config).tags == []
    assert (
        classify(TriageInput("bookmarksbar", account="FirefoxSupport"), config).tags == []
    )  # whole words only
    typed = TagRuleSpec(tag="Feature request", type="feature request")
    assert (
        classify(TriageInput("please add vertical tabs"), TriageConfig(tag_rules=(typed,)))
        .tags[0]
        .reason.endswith("type is feature request")
    )


def test_a_batch_gives_the_same_answers_as_one_by_one():
    texts = [
        "please add tabs",
        "Firefox crashes",
        "I love it",
        "Top 5 browsers: Chrome, Firefox, Edge",
    ]
    batch = classify_batch([TriageInput(t) for t in texts])
    assert [r.as_json() for r in batch] == [classify(TriageInput(t)).as_json() for t in texts]


@hsettings(max_examples=200, deadline=None)
@given(
    st.from_regex(r"[^\W\d_]{3,12}", fullmatch=True)
    .map(str.lower)
    .filter(lambda w: candidate_words([w]) == [[w]])
)
def test_a_reason_names_a_word_by_the_same_column_the_model_reads(word):
    # The explanation hashes single words itself; it must land where the word features do.
    assert words_vectorizer().transform([word]).indices.tolist() == [word_column(word)]


def test_a_reason_names_words_not_strings_of_letters():
    # Reasons are stored in 300 characters (a bulk insert on PostgreSQL would fail on more).
    assert candidate_words(["a" * 31 + " slow " + "b" * 30]) == [["b" * 30, "slow"]]
