"""Calibrated confidence: the models carry a fitted temperature, and below the act threshold
triage sets and tags nothing itself."""

import numpy as np
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from socialdesk.triage.classify import (
    CONFIDENT,
    TagRuleSpec,
    TriageConfig,
    TriageInput,
    classify_batch,
)
from socialdesk.triage.textmodel import model, softmax
from socialdesk.triage.training.train import fit_temperature


def test_fit_temperature_recovers_the_temperature_that_made_the_labels():
    rng = np.random.default_rng(3)
    scores = rng.normal(0, 3, size=(4000, 3))
    truth = (
        2.5  # the labels were drawn from softmax(scores / 2.5): the raw scores are overconfident
    )
    p = softmax(scores / truth)
    gold = np.array([rng.choice(3, p=row) for row in p])
    assert abs(fit_temperature(scores, gold) - truth) < 0.3


def test_the_committed_models_carry_a_fitted_temperature():
    for name in ("type", "sentiment"):
        t = model(name).temperature
        assert 0.1 < t < 10 and abs(t - 1.0) > 0.01, (name, t)


TEXTS = [
    "Firefox lost all my bookmarks after the update",
    "Firefox hat meine Lesezeichen gelöscht",
    "Le navigateur est lent depuis hier",
    "¿Alguien sabe cómo exportar contraseñas?",
    "Firefox não abre mais no meu celular",
    "Güncellemeden sonra sekmeler kayboldu",
    "Il browser è lentissimo",
    "hmm",
    "ok",
    "new version today",
    "please add vertical tabs",
    "Bu tarayıcı harika",
]
RULES = (
    TagRuleSpec(tag="Typed", type="support request", name="by type"),
    TagRuleSpec(tag="Sentiment-free", keywords=("firefox",), name="by keyword"),
    TagRuleSpec(tag="German", language="de", name="by language"),
)


def _check(results, act):
    for r in results:
        assert (r.settled_type != "") == (r.type_confidence >= act)
        assert (r.settled_sentiment != "") == (r.sentiment_confidence >= act)
        applied = {t.tag for t in r.applied_tags}
        if "Typed" in applied:
            assert r.type_band == CONFIDENT and r.type == "support request"
        if "German" in applied:
            assert r.settled_language == "de"


def test_below_the_act_threshold_nothing_is_set_or_tagged():
    for act in (0.5, 0.8, 0.95):
        config = TriageConfig(tag_rules=RULES, act_confidence=act)
        results = classify_batch([TriageInput(t) for t in TEXTS], config)
        _check(results, act)
        # A keyword is certain by nature: that rule acts whatever the models say.
        assert all("Sentiment-free" in {t.tag for t in r.applied_tags} for r in results[:2])
    strict = classify_batch(
        [TriageInput(t) for t in TEXTS], TriageConfig(tag_rules=RULES, act_confidence=0.999)
    )
    assert all(r.settled_type == "" and r.settled_sentiment == "" for r in strict)
    assert all("Typed" not in {t.tag for t in r.applied_tags} for r in strict)


@hsettings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=80), st.floats(0.3, 0.99))
def test_the_bands_hold_for_any_text(text, act):
    _check(
        classify_batch([TriageInput(text)], TriageConfig(tag_rules=RULES, act_confidence=act)), act
    )
