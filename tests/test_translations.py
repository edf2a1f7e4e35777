"""PE6: the catalogues of the seed's teams are complete and the committed .mo files are the .po
files compiled, so a fresh checkout needs no GNU gettext. After changing the text of the
interface: `socialdesk makemessages -l de -l fr -l es -l pt_BR -l tr --add-location=never --no-obsolete`
(see docs/translating.md), translate, then `socialdesk compilemessages`."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.LOCALE_PATHS[0])
LANGUAGES = ["de", "fr", "es", "pt_BR", "tr"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def _catalogue(language):
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def test_every_language_offered_has_a_catalogue():
    offered = {translation.to_locale(code) for code, _ in settings.LANGUAGES} - {"en"}
    assert offered == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_keeps_its_placeholders(language):
    po = _catalogue(language)
    assert len(po) > 500
    untranslated = [e.msgid for e in po if not e.obsolete and not e.translated()]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    assert not untranslated, f"{language}: untranslated {untranslated[:10]}"
    assert not fuzzy, f"{language}: fuzzy {fuzzy[:10]}"
    wrong = []
    for e in po:
        if e.obsolete:
            continue
        if e.msgid_plural:
            pairs = [(e.msgid_plural, s) for s in e.msgstr_plural.values()]
        else:
            pairs = [(e.msgid, e.msgstr)]
        for source, text in pairs:
            # A singular may spell out "one" instead of its count, never invent another name.
            if not set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(source + e.msgid)):
                wrong.append((e.msgid, text))
            elif not e.msgid_plural and sorted(PLACEHOLDER.findall(text)) != sorted(
                PLACEHOLDER.findall(source)
            ):
                wrong.append((e.msgid, text))
    assert not wrong, f"{language}: placeholders changed in {wrong[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_is_the_po_compiled(language):
    po = _catalogue(language)
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))

    def entries(catalogue):
        out = {}
        for e in catalogue:
            if getattr(e, "obsolete", False) or "fuzzy" in getattr(e, "flags", ()) or not e.msgid:
                continue
            key = (e.msgctxt or "", e.msgid, e.msgid_plural or "")
            out[key] = (
                tuple(v for _, v in sorted(e.msgstr_plural.items()))
                if e.msgid_plural
                else (e.msgstr,)
            )
        return out

    assert entries(mo) == entries(po), f"run `socialdesk compilemessages` for {language}"


def test_the_desk_speaks_each_language():
    samples = {
        "de": "Meine Einstellungen",
        "fr": "Mes paramètres",
        "es": "Mis ajustes",
        "pt-br": "Minhas configurações",
        "tr": "Ayarlarım",
    }
    for code, expected in samples.items():
        with translation.override(code):
            assert translation.gettext("My settings") == expected
