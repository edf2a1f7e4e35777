"""A queue's saved rules are read by one reader (`ConversationFilter.from_rules`): anything stored
is either understood exactly or refused with a clear message, never half-read."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from socialdesk.conversations.models import Conversation
from socialdesk.queues.forms import QueueForm
from socialdesk.queues.models import RULE_KEYS
from socialdesk.queues.selectors import NONE, ConversationFilter

words = st.sampled_from(
    [
        "twitter",
        "google_play",
        "FirefoxSupport",
        "en",
        "de",
        "sync",
        "negative",
        "feedback",
        NONE,
        "x",
    ]
)
stars = st.integers(min_value=1, max_value=5)
valid_rules = st.fixed_dictionaries(
    {},
    optional={
        **{
            key: st.lists(words, max_size=3, unique=True)
            for key in ("platforms", "accounts", "tags", "types", "sentiments")
        },
        "languages": st.lists(st.sampled_from(["en", "de", "pt", NONE]), max_size=3, unique=True),
        "moderated": st.sampled_from([True, False, None]),
        "min_priority": st.integers(min_value=-100, max_value=100),
        "min_rating": stars,
        "max_rating": stars,
    },
).filter(lambda r: r.get("min_rating", 1) <= r.get("max_rating", 5))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(sorted(RULE_KEYS) + ["other"]), inner, max_size=4)
    ),
    max_leaves=8,
)


@given(valid_rules)
def test_valid_rules_read_back_as_themselves(rules):
    kept = {k: v for k, v in rules.items() if v not in (None, [])}
    assert ConversationFilter.from_rules(rules).as_rules() == kept


@given(json_values)
def test_anything_stored_is_read_or_refused_with_a_message(value):
    try:
        rules = ConversationFilter.from_rules(
            value if isinstance(value, dict) else {"platforms": value}
        )
    except ValidationError as exc:
        assert exc.messages and all(exc.messages)
    else:
        assert isinstance(rules, ConversationFilter)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None)
@given(valid_rules)
def test_every_valid_rule_set_is_shown_by_the_editor_and_applies(rules):
    ConversationFilter.from_rules(rules).apply(Conversation.objects.all()).count()
    from socialdesk.queues.models import Queue

    form = QueueForm(instance=Queue(name="q", slug="q", rules=rules))
    # Lower-case language codes, valid values: the editor can show every one of them.
    assert form.unrepresentable == ""
