"""The seeded demo configuration (PRODUCT.md): the seed's seven accounts, policy, routing, queues."""

from django.contrib.auth import get_user_model
from django.db import transaction

from socialdesk.brands.models import (
    AccountKind,
    BrandAccount,
    Platform,
    RetweetPolicy,
    RoutingRule,
    SearchTerm,
)
from socialdesk.clippings.models import Clipping
from socialdesk.conversations.models import Tag
from socialdesk.people.models import Profile, Role, Signature
from socialdesk.queues.models import Queue, QueueKind

from .logins import DEMO_USERS, OLD_DEMO_PASSWORDS

# handle, simulator id, kind, locale, supported languages, display name
ACCOUNTS = [
    ("Firefox", "2142731", AccountKind.MAIN, "en", ["en"], "Official Firefox brand account"),
    (
        "FirefoxSupport",
        "2142732",
        AccountKind.SUPPORT,
        "en",
        ["en"],
        "Official support account for Firefox",
    ),
    ("mozilla_germany", "2142733", AccountKind.LOCALE, "de", ["de"], "Mozilla account for German"),
    ("mozilla_france", "2142734", AccountKind.LOCALE, "fr", ["fr"], "Mozilla account for French"),
    ("firefox_es", "2142735", AccountKind.LOCALE, "es", ["es"], "Mozilla account for Spanish"),
    ("FirefoxBrasil", "2142736", AccountKind.LOCALE, "pt", ["pt"], "Mozilla account for Brazil"),
    ("FirefoxTurkiye", "2142737", AccountKind.LOCALE, "tr", ["tr"], "Mozilla account for Turkey"),
]

# Each simulator accepts fixed tokens for its brand accounts; the demo's accounts start connected
# with them (as if a community manager had connected each one: what they allow shows on
# /manage/accounts/), and any of them can be connected again there through the simulators' own
# sign-in pages. A fixed token does not expire; one from a sign-in does, and is renewed.
X_SCOPES = ["like.write", "offline.access", "tweet.read", "tweet.write", "users.read"]
MASTODON_SCOPES = [
    "read:accounts",
    "read:notifications",
    "read:statuses",
    "write:favourites",
    "write:statuses",
]
# A connection made in an earlier demo (its instance address, a failure) is forgotten: the
# simulators start afresh, on ports that may differ.
CONNECTION_OK = {"credentials_failed_at": None, "credentials_error": "", "api_base": ""}

# The Firefox for Android listing on Google Play (CH3): its external id is the package name.
PLAY_PACKAGE = "org.mozilla.firefox"
PLAY_LANGUAGES = ["en", "de", "fr", "es", "pt", "tr"]
# A support account on a Mastodon instance (CH4); the id is the simulator's.
MASTODON_ACCOUNT = ("firefox_support", "110000000000000001", "Firefox Support on Mastodon")

SEARCH_TERMS = ['"firefox crash"', '"firefox bookmarks"', '"firefox sync"', '"firefox keeps"']

STARTER_TAGS = [
    "Internet celebrity",
    "Bookmarks",
    "Sync",
    "Crash",
    "Passwords",
    "Performance",
    "Video playback",
    "Extensions",
    "Feature request",
    "Fan Love",
    "Controversial",
    "Community",
    "No Action Taken",
    "MozFest",
    "News/Press Release",
    "Social Support/AoA",
    "Staff/Employee",
    "Paid product",
]

CLIPPINGS = [
    (
        "Bookmarks missing after update",
        "Hi {name}, sorry your bookmarks went missing! This article shows how to bring them back from a backup: https://support.mozilla.org/kb/restore-bookmarks-from-backup-or-move-them",
    ),
    (
        "Firefox keeps crashing",
        "Hi {name}, sorry about the crashes. Could you share your crash IDs from about:crashes? This helps us find the cause: https://support.mozilla.org/kb/firefox-crashes-troubleshoot-prevent-and-get-help",
    ),
    (
        "Sync not working",
        "Hi {name}, let's get Sync going again. Sign out and back in under Settings > Sync, then check: https://support.mozilla.org/kb/sync-troubleshooting",
    ),
    ("Thanks for the love", "Thank you {name}, that means a lot to the whole community!"),
    (
        "Feature request: Mozilla Connect",
        "Thanks for the idea, {name}! Please share it on Mozilla Connect so others can vote for it: https://connect.mozilla.org",
    ),
]
HOLDING_REPLY = (
    "Escalation: looking into it",
    "Hi {name}, your issue seems more complicated than usual. We're looking into it and will get back to you soon.",
)


def _load_other_platforms() -> None:
    """The Google Play listing and the Mastodon account, with their engagement policy."""
    BrandAccount.objects.update_or_create(
        platform=Platform.GOOGLE_PLAY,
        handle=PLAY_PACKAGE,
        defaults=dict(
            external_id=PLAY_PACKAGE,
            kind=AccountKind.SUPPORT,
            locale="en",
            supported_languages=PLAY_LANGUAGES,
            display_name="Firefox for Android",
            credentials={"access_token": "sim-token-google-play"},
            **CONNECTION_OK,
            # Reviews wait for a moderator; a review can only be answered, never liked or shared.
            requires_moderation=True,
            can_dm=False,
            can_reply=True,
            can_like=False,
            retweet_policy=RetweetPolicy.NEVER,
        ),
    )
    handle, ext_id, name = MASTODON_ACCOUNT
    BrandAccount.objects.update_or_create(
        platform=Platform.MASTODON,
        handle=handle,
        defaults=dict(
            external_id=ext_id,
            kind=AccountKind.SUPPORT,
            locale="en",
            supported_languages=["en"],
            display_name=name,
            credentials={
                "type": "token",
                "access_token": f"sim-token-mastodon-{handle}",
                "scopes": MASTODON_SCOPES,
            },
            **CONNECTION_OK,
            requires_moderation=False,
            can_dm=False,
            can_reply=True,
            can_like=True,
            retweet_policy=RetweetPolicy.CM_ONLY,
        ),
    )


def slug(name: str) -> str:
    from django.utils.text import slugify

    return slugify(name.replace("/", " "))


@transaction.atomic
def load_demo_configuration(*, with_users: bool = True) -> None:
    """Create (or bring back to) the demo configuration; safe to run again."""
    accounts = {}
    for handle, ext_id, kind, locale, langs, name in ACCOUNTS:
        account, _ = BrandAccount.objects.update_or_create(
            platform=Platform.TWITTER,
            handle=handle,
            defaults=dict(
                external_id=ext_id,
                kind=kind,
                locale=locale,
                supported_languages=langs,
                display_name=name,
                credentials={
                    "type": "oauth2_user",
                    "access_token": f"sim-token-{handle.lower()}",
                    "scopes": X_SCOPES,
                    "refresh_token": "",
                    "expires_at": None,
                },
                **CONNECTION_OK,
                # Seed: no DM anywhere; no retweet from the main brand; @FirefoxSupport retweets
                # only by a CM; @Firefox mentions are answered from @FirefoxSupport.
                can_dm=False,
                can_reply=kind != AccountKind.MAIN,
                can_like=True,
                retweet_policy=RetweetPolicy.CM_ONLY
                if kind == AccountKind.SUPPORT
                else RetweetPolicy.NEVER,
                requires_moderation=kind == AccountKind.MAIN,
            ),
        )
        accounts[handle] = account
    support = accounts["FirefoxSupport"]
    for query in SEARCH_TERMS:
        SearchTerm.objects.get_or_create(account=support, query=query)

    # The seed's respond-from table. Locale accounts first: a German tweet that also tags
    # @firefox is answered in German.
    RoutingRule.objects.filter(platform=Platform.TWITTER).delete()
    position = 0
    for handle in (
        "mozilla_germany",
        "mozilla_france",
        "firefox_es",
        "FirefoxBrasil",
        "FirefoxTurkiye",
    ):
        position += 10
        RoutingRule.objects.create(
            position=position,
            mentioned=accounts[handle],
            respond_from=accounts[handle],
            note="Locale account mentioned: answer from it",
        )
    RoutingRule.objects.create(
        position=100,
        mentioned=accounts["FirefoxSupport"],
        respond_from=support,
        note="@FirefoxSupport mentioned",
    )
    RoutingRule.objects.create(
        position=110,
        mentioned=accounts["Firefox"],
        respond_from=support,
        note="@firefox mentions are answered from @FirefoxSupport",
    )
    RoutingRule.objects.create(
        position=200,
        mentioned=None,
        respond_from=support,
        note="No brand mention but needs support",
    )

    _load_other_platforms()

    queues = [
        (
            "Twitter conversations - Moderated",
            QueueKind.RULES,
            {"platforms": ["twitter"], "moderated": True},
            Role.CONTRIBUTOR,
            False,
            10,
        ),
        # Google Play (AG1): moderated reviews by star rating for contributors; the unmoderated
        # ones, and the 1-2 star English ones first, for moderators.
        (
            "Google Play - Low rating",
            QueueKind.RULES,
            {"platforms": ["google_play"], "moderated": True, "max_rating": 2},
            Role.CONTRIBUTOR,
            False,
            12,
        ),
        (
            "Google Play - High rating",
            QueueKind.RULES,
            {"platforms": ["google_play"], "moderated": True, "min_rating": 3},
            Role.CONTRIBUTOR,
            False,
            14,
        ),
        (
            "Mastodon conversations - Moderated",
            QueueKind.RULES,
            {"platforms": ["mastodon"], "moderated": True},
            Role.CONTRIBUTOR,
            False,
            16,
        ),
        (
            "Google Play - All",
            QueueKind.RULES,
            {"platforms": ["google_play"], "moderated": False},
            Role.MODERATOR,
            False,
            32,
        ),
        (
            "Priority moderation - Google Play",
            QueueKind.RULES,
            {
                "platforms": ["google_play"],
                "moderated": False,
                "max_rating": 2,
                "languages": ["en"],
            },
            Role.MODERATOR,
            False,
            42,
        ),
        ("Escalation", QueueKind.ASSIGNMENT, {}, Role.CONTRIBUTOR, True, 20),
        (
            "Twitter - All",
            QueueKind.RULES,
            {"platforms": ["twitter"], "moderated": False},
            Role.MODERATOR,
            False,
            30,
        ),
        (
            "Priority moderation",
            QueueKind.RULES,
            {"platforms": ["twitter"], "moderated": False, "min_priority": 50},
            Role.MODERATOR,
            False,
            40,
        ),
    ]
    for name, kind, rules, visible_to, is_escalation, position in queues:
        Queue.objects.update_or_create(
            slug=slug(name),
            defaults=dict(
                name=name,
                kind=kind,
                rules=rules,
                visible_to=visible_to,
                is_escalation=is_escalation,
                position=position,
            ),
        )

    for name in STARTER_TAGS:
        Tag.objects.get_or_create(slug=slug(name), defaults={"name": name})
    for title, text in CLIPPINGS:
        Clipping.objects.update_or_create(title=title, defaults={"text": text})
    Clipping.objects.update_or_create(
        title=HOLDING_REPLY[0], defaults={"text": HOLDING_REPLY[1], "is_holding_reply": True}
    )
    from socialdesk.triage.seed import load_triage_demo

    load_triage_demo()

    if with_users:
        User = get_user_model()
        for username, password, role, signature in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.org"}
            )
            if created or user.check_password(OLD_DEMO_PASSWORDS.get(username, "")):
                user.set_password(password)
                user.is_staff = role == Role.ADMIN
                user.is_superuser = role == Role.ADMIN
                user.save()
            Profile.objects.update_or_create(user=user, defaults={"role": role})
            Signature.objects.get_or_create(
                user=user, is_default=True, defaults={"text": signature}
            )
