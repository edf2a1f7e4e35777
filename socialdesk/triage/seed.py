"""The demo's triage configuration: the seed's paid products, a controversial topic, tag rules, KB articles."""

from socialdesk.conversations.models import Tag

from .demo_kb import KB
from .models import KBArticle, TagRule, WatchKind, WatchTerm

PAID_PRODUCTS = [
    ("Mozilla VPN", "mozilla vpn"),
    ("Firefox Relay Premium", "relay premium, firefox relay premium"),
    ("Pocket Premium", "pocket premium"),
    ("MDN Plus", "mdn plus, mdn+"),
]
CONTROVERSIAL = [
    (
        "Terms of use and data",
        "terms of use, sell my data, selling my data, selling data, nutzungsbedingungen, conditions d'utilisation",
    ),
    ("AI in the browser", "ai chatbot, ai features, ai slop, ki-funktionen"),
]
# (rule name, tag, keywords, type)
TAG_RULES = [
    (
        "Bookmarks in any language",
        "Bookmarks",
        "bookmark, bookmarks, lesezeichen, favoris, marcadores, favoritos, yer imleri, yer imlerim",
        "",
    ),
    (
        "Sync",
        "Sync",
        "sync, synced, syncing, synchronisation, sincronización, sincronização, senkronizasyon",
        "",
    ),
    (
        "Crashes",
        "Crash",
        "crash, crashes, crashing, keeps closing, abstürzt, stürzt, plante, se cierra, fecha sozinho, çöküyor",
        "",
    ),
    (
        "Passwords",
        "Passwords",
        "password, passwords, passwörter, mots de passe, contraseñas, senhas, şifrelerimi, şifre",
        "",
    ),
    ("Video playback", "Video playback", "video, videos, youtube, netflix, vídeo", ""),
    (
        "Extensions",
        "Extensions",
        "extension, extensions, add-on, add-ons, addon, erweiterungen, eklentilerim, extensões, extensiones",
        "",
    ),
    ("Feature requests", "Feature request", "", "feature_request"),
    ("Fan love", "Fan Love", "", "compliment"),
]


def load_triage_demo() -> None:
    for kind, entries in (
        (WatchKind.PAID_PRODUCT, PAID_PRODUCTS),
        (WatchKind.CONTROVERSIAL, CONTROVERSIAL),
    ):
        for name, keywords in entries:
            WatchTerm.objects.update_or_create(
                kind=kind, name=name, defaults={"keywords": keywords}
            )
    for name, tag_name, keywords, type_ in TAG_RULES:
        tag = Tag.objects.filter(name=tag_name).first()
        if tag is None:
            continue
        TagRule.objects.update_or_create(
            name=name, defaults={"tag": tag, "keywords": keywords, "type": type_}
        )
    for title, url, summary in KB:
        KBArticle.objects.update_or_create(url=url, defaults={"title": title, "summary": summary})
