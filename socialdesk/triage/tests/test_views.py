"""The triage pages with Django's test client: reasons shown, corrections recorded, bad input refused clearly."""

from django.core.files.uploadedfile import SimpleUploadedFile

from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Activity, Conversation, InternalNote
from socialdesk.triage.models import KBArticle, TagRule, TriageCorrection


def test_the_conversation_page_shows_each_suggestion_with_its_reason(
    client, contributor, demo, inbound
):
    ingest([inbound("Firefox lost all my bookmarks after the update, help?")])
    c = Conversation.objects.get()
    client.force_login(contributor)
    page = client.get(f"/c/{c.pk}/").content.decode()
    assert "Triage" in page and "describes a problem or asks for help" in page
    assert "why: rule “Bookmarks in any language”: mentions “bookmarks”" in page
    # Bookmarks' help was the volunteers' help too rarely (docs/triage-quality.md): no article.
    assert "Restore bookmarks from backup" not in page


def test_the_reply_field_suggests_the_article_on_the_messages_topic(
    client, contributor, demo, inbound
):
    ingest([inbound("Firefox keeps crashing since the update, it crashes on every page")])
    c = Conversation.objects.get()
    client.force_login(contributor)
    page = client.get(f"/c/{c.pk}/").content.decode()
    assert "Firefox crashes - troubleshoot" in page and "about crash: the message says" in page
    assert "Mozilla VPN connection problems" not in page


def test_an_agents_choice_wins_and_is_recorded(client, contributor, demo, inbound):
    ingest([inbound("Firefox lost all my bookmarks after the update, help?")])
    c = Conversation.objects.get()
    client.force_login(contributor)
    r = client.post(
        f"/triage/c/{c.pk}/correct", {"field": "sentiment", "chosen": "positive"}, follow=True
    )
    assert "Changed: sentiment is positive" in r.content.decode()
    c.refresh_from_db()
    assert c.sentiment == "positive"
    k = TriageCorrection.objects.get()
    assert (k.field, k.chosen, k.actor) == (
        "sentiment",
        "positive",
        contributor,
    ) and k.suggested in ("negative", "neutral")
    assert Activity.objects.filter(conversation=c, kind="triage_corrected").exists()
    client.post(f"/triage/c/{c.pk}/correct", {"field": "type", "chosen": "support_request"})
    assert TriageCorrection.objects.get(field="type").agreed


def test_a_bad_correction_gets_a_clear_message(client, contributor, conversation):
    client.force_login(contributor)
    r = client.post(
        f"/triage/c/{conversation.pk}/correct",
        {"field": "sentiment", "chosen": "furious"},
        follow=True,
    )
    assert "Choose one of: positive, neutral, negative" in r.content.decode()
    r = client.post(
        f"/triage/c/{conversation.pk}/correct", {"field": "status", "chosen": "x"}, follow=True
    )
    assert "can be confirmed or changed here" in r.content.decode()
    assert not TriageCorrection.objects.exists()


def test_only_cms_edit_rules(client, contributor, demo):
    client.force_login(contributor)
    assert client.get("/triage/rules/").status_code == 403
    assert client.get("/triage/kb/").status_code == 403


def test_a_rule_preview_lists_the_open_conversations_it_would_tag(client, agents, demo, inbound):
    ingest([inbound("my passwords are gone"), inbound("videos stutter")])
    client.force_login(agents["cm"])
    tag = TagRule.objects.first().tag
    r = client.post(
        "/triage/rules/",
        {"name": "Gone", "tag": tag.pk, "keywords": "gone", "preview": "1", "active": "on"},
    )
    page = r.content.decode()
    assert "Preview: 1 open conversation would be tagged" in page and "mentions “gone”" in page
    assert not TagRule.objects.filter(name="Gone").exists()  # a preview saves nothing
    client.post(
        "/triage/rules/",
        {"name": "Gone", "tag": tag.pk, "keywords": "gone", "save": "1", "active": "on"},
    )
    assert TagRule.objects.filter(name="Gone").exists()


def test_bad_rules_are_refused_with_clear_messages(client, agents, demo):
    client.force_login(agents["cm"])
    tag = TagRule.objects.first().tag
    page = client.post(
        "/triage/rules/", {"name": "Empty", "tag": tag.pk, "save": "1"}
    ).content.decode()
    assert "Give at least one condition" in page
    page = client.post(
        "/triage/rules/", {"name": "Re", "tag": tag.pk, "regex": "(unclosed", "save": "1"}
    ).content.decode()
    assert "does not compile" in page
    page = client.post(
        "/triage/rules/", {"name": "Acc", "tag": tag.pk, "account": "@nobody", "save": "1"}
    ).content.decode()
    assert "No brand account @nobody" in page
    assert not TagRule.objects.filter(name__in=["Empty", "Re", "Acc"]).exists()


def test_kb_import_keeps_good_rows_and_names_each_bad_one(client, agents, demo):
    client.force_login(agents["cm"])
    csv_data = (
        b"title,url,summary\n"
        b"Clear the cache,https://support.mozilla.org/kb/clear-cache,How to clear the cache\n"
        b",https://support.mozilla.org/kb/no-title,\n"
        b"Bad link,javascript:alert(1),x\n"
    )
    page = client.post(
        "/triage/kb/", {"file": SimpleUploadedFile("kb.csv", csv_data)}, follow=True
    ).content.decode()
    assert KBArticle.objects.filter(title="Clear the cache").exists()
    assert (
        "row 3: the title is missing." in page
        and "row 4: “javascript:alert(1)” is not an http(s) address." in page
    )
    page = client.post(
        "/triage/kb/", {"file": SimpleUploadedFile("kb.json", b"{not json")}
    ).content.decode()
    assert "Not valid JSON" in page
    page = client.post(
        "/triage/kb/", {"file": SimpleUploadedFile("kb.txt", b"hello")}
    ).content.decode()
    assert "Upload a .json or .csv file." in page


def test_similar_questions_form_a_cluster_that_escalates_in_one_click(
    client, contributor, demo, inbound
):
    ingest(
        [
            inbound("sync stopped working on my phone since the update"),
            inbound("Sync stopped working on my phone after the update!"),
            inbound("sync stopped working on my phone, what now?"),
            inbound("I love the new logo"),
        ]
    )
    client.force_login(contributor)
    page = client.get("/triage/clusters/").content.decode()
    assert (
        "3 conversations" in page and "from 3 different people" in page and "shared words" in page
    )
    ids = ",".join(
        str(pk)
        for pk in Conversation.objects.filter(messages__text__icontains="sync").values_list(
            "pk", flat=True
        )
    )
    r = client.post(
        "/triage/clusters/escalate",
        {"conversations": ids, "reason": "Sync broken for many"},
        follow=True,
    )
    assert "3 conversations assigned to the Escalation queue" in r.content.decode()
    escalated = Conversation.objects.filter(assigned_queue__slug="escalation")
    assert escalated.count() == 3
    assert InternalNote.objects.filter(text__contains="Sync broken for many").count() == 3
    assert Activity.objects.filter(kind="escalated").count() == 3
    assert (
        "No clusters" in client.get("/triage/clusters/").content.decode()
    )  # escalated ones leave the list


def test_escalating_a_bad_cluster_says_why(client, contributor, conversation):
    client.force_login(contributor)
    r = client.post(
        "/triage/clusters/escalate", {"conversations": "abc", "reason": "x"}, follow=True
    )
    assert "not valid" in r.content.decode()
    r = client.post(
        "/triage/clusters/escalate",
        {"conversations": str(conversation.pk), "reason": "x"},
        follow=True,
    )
    assert "at least two conversations" in r.content.decode()


def test_the_composer_warns_before_answering_a_controversy_unasked(
    client, contributor, demo, inbound
):
    ingest([inbound("So Mozilla is selling my data now. Disgusting.", followers=40_000)])
    c = Conversation.objects.get()
    assert c.priority >= 15  # a controversy is seen early
    client.force_login(contributor)
    page = client.get(f"/c/{c.pk}/").content.decode()
    assert "Do not offer help unsolicited" in page and "the message asks nothing" in page
    assert "Controversial topic: Terms of use and data" in page


def test_a_lot_of_attention_without_a_kb_answer_suggests_escalating(
    client, contributor, demo, inbound
):
    from dataclasses import replace

    ingest(
        [
            replace(
                inbound("the new logo is everywhere and nobody asked for it"),
                likes=400,
                reposts=120,
            )
        ]
    )
    client.force_login(contributor)
    page = client.get(f"/c/{Conversation.objects.get().pk}/").content.decode()
    assert (
        "Escalate: a lot of attention and no KB answer" in page
        and "400 likes and 120 reposts" in page
    )


def test_cms_see_how_often_agents_agree_with_triage(client, agents, demo, inbound):
    ingest([inbound("Firefox crashes all the time, help")])
    c = Conversation.objects.get()
    client.force_login(agents["contributor"])
    client.post(
        f"/triage/c/{c.pk}/correct", {"field": "type", "chosen": "support_request"}
    )  # confirms
    client.post(f"/triage/c/{c.pk}/correct", {"field": "type", "chosen": "feedback"})  # changes
    client.force_login(agents["cm"])
    page = client.get("/triage/rules/").content.decode()
    assert "<td>type</td><td>2</td><td>1 (50%)</td>" in page


def test_the_suggested_close_reason_is_one_click_away(client, contributor, demo, inbound):
    ingest(
        [
            inbound(
                "Firefox continua a bloccarsi quando apro troppe schede, aiutatemi per favore",
                mention="mozilla_germany",
                lang="it",
            )
        ]
    )
    c = Conversation.objects.get()
    client.force_login(contributor)
    page = client.get(f"/c/{c.pk}/").content.decode()
    assert (
        "Language not supported — suggested close reason" in page
        and "Close: Language not supported" in page
    )
    client.post(f"/c/{c.pk}/close", {"reason": "language_not_supported"})
    c.refresh_from_db()
    assert (c.status, c.close_reason) == ("closed", "language_not_supported")


def _text(html: str) -> str:
    """The page as a person reads it: no markup, entities read, single spaces."""
    from html import unescape

    from django.utils.html import strip_tags

    return " ".join(unescape(strip_tags(html)).split())


def test_the_panel_names_the_band_and_gives_reasons_in_words(client, contributor, demo, inbound):
    # (With "since the update" the sentiment model is sure enough to set negative itself.)
    ingest([inbound("Firefox keeps crashing, help")])
    c = Conversation.objects.get()
    client.force_login(contributor)
    page = client.get(f"/c/{c.pk}/").content.decode()
    text = _text(page)
    # A rule decided the type (confident, so triage set it); the model only guessed the sentiment.
    assert "Type: support request — confident (set by triage)" in text
    assert "Why: describes a problem or asks for help: words like “keeps crashing”, “help”" in text
    assert "Sentiment: Suggested: negative — unsure · please confirm or change" in text
    assert "Why: a guess from words like" in text and "“crashing”" in text
    assert (
        "Language: English — confident" in text
        and "Why: the text reads as English, and the platform says so too" in text
    )
    assert "probability" not in page and "trained model" not in page
    # The numbers stay at hand for community managers.
    assert 'title="85% sure; triage acts on its own from 80%"' in page


def test_a_tag_resting_on_a_guess_is_suggested_and_one_click_adds_it(
    client, contributor, demo, inbound, settings
):
    # A praise rule's compliment (0.85) below a stricter act threshold: a guess, as in
    # test_bands.test_ingestion_does_not_tag_or_type_a_conversation_on_a_guess.
    settings.SOCIALDESK_TRIAGE_ACT_CONFIDENCE = 0.9
    ingest([inbound("kudos team")])
    c = Conversation.objects.get()
    client.force_login(contributor)
    text = _text(client.get(f"/c/{c.pk}/").content.decode())
    assert "Type: Suggested: compliment — unsure" in text
    assert (
        "Suggested: Fan Love — unsure, not added why: rule “Fan love”: type is compliment — but the type is only a guess"
        in text
    ) and "Add tag" in text
    assert "Fan Love" not in {t.name for t in c.tags.all()}
    r = client.post(f"/c/{c.pk}/tag", {"tag": "Fan Love"}, follow=True)
    assert "Fan Love" in {t.name for t in c.tags.all()}
    assert "(an agent added it)" in _text(r.content.decode())
    assert Activity.objects.filter(conversation=c, kind="tag_added", actor=contributor).exists()


def test_suggestions_stored_before_reasons_in_words_read_plainly(
    client, contributor, demo, inbound
):
    from socialdesk.triage.models import TriageSuggestion

    ingest([inbound("hello there")])
    c = Conversation.objects.get()
    TriageSuggestion.objects.filter(conversation=c).update(
        sentiment_reason="trained model, probability 0.42",
        language_reason="en with probability 0.97 (language identifier)",
    )
    client.force_login(contributor)
    page = client.get(f"/c/{c.pk}/").content.decode()
    assert "probability" not in page
    assert (
        "Why: the model's reading of the wording as a whole" in _text(page)
        and "the text reads as English" in page
    )


def test_with_too_little_text_the_panel_suggests_no_language(client, contributor, demo, inbound):
    ingest([inbound("hi", lang="")])
    c = Conversation.objects.get()
    client.force_login(contributor)
    text = _text(client.get(f"/c/{c.pk}/").content.decode())
    assert "Language: no suggestion Why: too little text to tell" in text
    assert c.language == ""


def test_the_rules_list_names_the_type_a_rule_is_keyed_on(client, agents, demo):
    client.force_login(agents["cm"])
    text = _text(client.get("/triage/rules/").content.decode())
    assert (
        "Fan Love type: compliment yes" in text
        and "Feature request type: feature request yes" in text
    )
