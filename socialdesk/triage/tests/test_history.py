"""Triage uses every signal the desk has stored: a follow-up is triaged again with the
conversation's earlier messages, and a new message with the author's history (their other
conversations' sentiment, type and spam flags, their recent texts, their user tags)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from socialdesk.actions.inbound import ingest
from socialdesk.actions.triage import confirm_or_correct
from socialdesk.conversations.models import Activity, Conversation, UserTag
from socialdesk.triage.classify import (
    TriageInput,
    classify,
    clean_for_language,
    detect_language,
)
from socialdesk.triage.models import TriageSuggestion
from socialdesk.triage.tasks import triage_conversations

TASK = "socialdesk.triage.tasks.triage_conversations"


def _run_enqueued() -> int:
    """What a worker does with the pages' tasks: run each with the arguments it was given."""
    done = 0
    for row in DBTaskResult.objects.filter(task_path=TASK, status="READY").order_by("pk"):
        args = row.args_kwargs
        done += triage_conversations.call(*args["args"], **args["kwargs"])
        row.delete()
    return done


def _page(*messages) -> None:
    ingest(list(messages), triage_later=True)
    _run_enqueued()


def _kinds(conversation) -> set:
    return {s["kind"] for s in TriageSuggestion.objects.get(conversation=conversation).signals}


def test_a_follow_up_is_triaged_again_with_the_earlier_messages(demo, inbound):
    first = inbound(
        "Firefox crashes every time I open a PDF, I lost my work twice, please help",
        author_id="501",
    )
    _page(first)
    c = Conversation.objects.get()
    assert c.type == "support_request"

    follow_up = inbound("still broken", author_id="501", in_reply_to=first.platform_id)
    ingest([follow_up], triage_later=True)
    task = DBTaskResult.objects.get(task_path=TASK)
    # The page's task carries the follow-up's conversation (nothing opened).
    assert task.args_kwargs["args"][0] == []
    assert task.args_kwargs["kwargs"]["follow_ups"] == [c.pk]
    assert _run_enqueued() == 1

    s = TriageSuggestion.objects.get(conversation=c)
    assert (s.type, s.sentiment) == ("support_request", "negative")
    assert "earlier messages" in s.sentiment_reason
    entry = Activity.objects.filter(conversation=c, kind="triaged").latest("pk")
    assert entry.detail["follow_up"] == c.messages.get(platform_id=follow_up.platform_id).pk
    # The same words from a stranger, with nothing before them, say less.
    alone = classify(TriageInput("@FirefoxSupport still broken"))
    assert alone.sentiment_confidence < s.sentiment_confidence
    assert "earlier messages" not in alone.sentiment_reason

    # A follow-up whose words say nothing of a type takes it from the conversation.
    _page(inbound("same here, still the same", author_id="501", in_reply_to=first.platform_id))
    s.refresh_from_db()
    assert s.type == "support_request" and "earlier messages" in s.type_reason
    assert classify(TriageInput("@FirefoxSupport same here, still the same")).type != (
        "support request"
    )


def test_a_thank_you_follow_up_turns_the_sentiment_but_not_the_type(demo, inbound):
    first = inbound("Firefox keeps crashing, this is awful, I hate it", author_id="502")
    _page(first)
    c = Conversation.objects.get()
    assert (c.type, c.sentiment) == ("support_request", "negative")

    _page(
        inbound(
            "Thank you so much, it works perfectly again! Great help 👍",
            author_id="502",
            in_reply_to=first.platform_id,
        )
    )
    c.refresh_from_db()
    assert c.sentiment == "positive"
    assert c.type == "support_request"  # the conversation is still about the crash
    entry = Activity.objects.filter(conversation=c, kind="triaged").latest("pk")
    assert entry.detail["changed"] == ["sentiment"]


def test_a_follow_up_never_changes_what_an_agent_chose(demo, inbound, contributor):
    first = inbound("Firefox keeps crashing, this is awful, I hate it", author_id="503")
    _page(first)
    c = Conversation.objects.get()
    confirm_or_correct(actor=contributor, conversation=c, field="sentiment", chosen="neutral")

    _page(
        inbound(
            "Thank you so much, it works perfectly again! Great help 👍",
            author_id="503",
            in_reply_to=first.platform_id,
        )
    )
    c.refresh_from_db()
    assert c.sentiment == "neutral"
    # The suggestion still shows the new reading, for the agent to see.
    assert TriageSuggestion.objects.get(conversation=c).sentiment == "positive"


def test_a_known_spammers_new_message_gets_the_spam_suggestion(demo, inbound):
    _page(inbound("Free crypto airdrop, claim your USDT now", author_id="666"))
    _page(inbound("Gagnez de l'argent avec le bitcoin, écrivez-moi", author_id="666"))
    assert Conversation.objects.count() == 2
    # Its new message says nothing spammy by itself, and from a stranger it is not flagged.
    _page(inbound("hey, have a look at my profile", author_id="666"))
    _page(inbound("hey, have a look at my profile", author_id="777"))
    spammer = Conversation.objects.get(author__external_id="666", messages__text__contains="hey")
    stranger = Conversation.objects.get(author__external_id="777")
    assert {"spam", "suggest_user_tag"} <= _kinds(spammer)
    reason = next(
        s["reason"]
        for s in TriageSuggestion.objects.get(conversation=spammer).signals
        if s["kind"] == "spam"
    )
    assert "2 of the author's earlier conversations were flagged" in reason
    assert not {"spam", "suggest_user_tag"} & _kinds(stranger)


def test_an_author_tagged_spammer_is_flagged_without_the_tag_suggested_again(demo, inbound):
    _page(inbound("Firefox is nice", author_id="668"))
    UserTag.objects.create(author=Conversation.objects.get().author, kind="spammer", added_by=None)
    _page(inbound("hello there", author_id="668"))
    c = Conversation.objects.latest("pk")
    assert "spam" in _kinds(c) and "suggest_user_tag" not in _kinds(c)


def test_the_same_text_in_several_conversations_is_a_bot(demo, inbound):
    text = "Check my profile for the best deals 🔥"
    _page(*[inbound(text, author_id="669", thread_id=f"t{i}") for i in range(3)])
    assert Conversation.objects.count() == 3
    for c in Conversation.objects.all():
        assert {"spam", "suggest_user_tag"} <= _kinds(c)
    # A customer repeating themselves in one conversation is no bot.
    first = inbound("still broken", author_id="670")
    _page(first)
    again = inbound("still broken", author_id="670", in_reply_to=first.platform_id)
    _page(again)
    third = inbound("still broken", author_id="670", in_reply_to=again.platform_id)
    _page(third)
    assert "spam" not in _kinds(Conversation.objects.get(author__external_id="670"))


def test_the_authors_usual_sentiment_decides_only_an_unsure_reading():
    history = ("negative", "negative", "positive")
    unsure = classify(TriageInput("ok so what now", author_sentiments=history))
    plain = classify(TriageInput("ok so what now"))
    assert plain.sentiment_band == "unsure"
    assert unsure.sentiment_band == "unsure"  # a guess helped by the past stays a guess
    assert "earlier conversations" in unsure.sentiment_reason
    sure = classify(TriageInput("I love Firefox, thank you!", author_sentiments=history))
    assert sure.sentiment == "positive"
    assert "earlier conversations" not in sure.sentiment_reason


def test_the_history_costs_a_fixed_number_of_statements(demo, inbound):
    """Reading the authors' history is per page, not per message."""
    _page(inbound("sync is broken on device 0", author_id="1"))  # its tags exist from now on

    def statements(n: int) -> int:
        page = [inbound(f"sync is broken on device {i}", author_id=f"8{i}{n}") for i in range(n)]
        ingest(page, triage_later=True)
        with CaptureQueriesContext(connection) as q:
            _run_enqueued()
        return len(q.captured_queries)

    assert statements(3) == statements(12)


def test_the_addressed_accounts_language_tips_only_an_unsure_detection():
    lang, confidence, _ = detect_language("sync is broken")
    assert lang == "nl" and confidence < 0.8  # langid.py's guess, and it is English
    lang, confidence, reason = detect_language("sync is broken", prior="en")
    assert lang == "en" and confidence < 0.8 and "the account addressed" in reason
    german = "meine Lesezeichen sind nach dem Update alle verschwunden"
    assert detect_language(german, prior="en")[0] == "de"


def test_the_language_is_read_from_the_words_of_a_tweet():
    assert clean_for_language("RT @bob Bom diiia #FelizNatal 2012 😀 http://t.co/x") == (
        "bom diia feliznatal"
    )


def test_the_sentiment_model_reads_the_words_in_the_detected_language():
    from socialdesk.triage.textmodel import language_features, model

    sentiment = model("sentiment")
    assert sentiment.by_language
    tagged = language_features(["gut"], ["de"])
    assert tagged.nnz == 3  # "de|gut", the language's own bias, and the two as a pair
    assert language_features(["gut"], ["xx"]).indices.tolist() != tagged.indices.tolist()
    # Every text gets a reading, whatever its language or none.
    for r in classify_batch_texts(["Das ist gut", "c'est nul", "🙂", ""]):
        assert r.sentiment in ("positive", "neutral", "negative")


def classify_batch_texts(texts):
    from socialdesk.triage.classify import classify_batch

    return classify_batch([TriageInput(t) for t in texts])
