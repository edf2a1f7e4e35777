"""The brand accounts the simulator knows from the start, and their bearer tokens.

Every brand account has an OAuth 2.0 user-context bearer token
``sim-token-<username lowercased>``; ``sim-app-token`` is an app-only token
that may read (search, user and tweet lookup) but not write.
"""

from __future__ import annotations

from dataclasses import dataclass

APP_ONLY_TOKEN = "sim-app-token"
TOKEN_PREFIX = "sim-token-"


@dataclass(frozen=True)
class BrandAccount:
    username: str
    id: str
    language: str
    name: str
    description: str
    followers_count: int
    following_count: int
    tweet_count: int
    listed_count: int
    location: str

    @property
    def token(self) -> str:
        return token_for(self.username)


def token_for(username: str) -> str:
    """The simulated OAuth 2.0 user-context bearer token of ``username``."""
    return TOKEN_PREFIX + username.lower()


BRAND_ACCOUNTS: tuple[BrandAccount, ...] = (
    BrandAccount(
        "Firefox",
        "2142731",
        "en",
        "Firefox",
        "Fast, private and free. Made by Mozilla. Need help? @FirefoxSupport",
        2_843_112,
        1_204,
        61_418,
        14_502,
        "Everywhere",
    ),
    BrandAccount(
        "FirefoxSupport",
        "2142732",
        "en",
        "Firefox Support",
        "Official support account for Firefox. Tweet us your questions, we're here to help.",
        318_655,
        312,
        148_930,
        2_140,
        "Mozilla HQ",
    ),
    BrandAccount(
        "mozilla_germany",
        "2142733",
        "de",
        "Mozilla Deutschland",
        "Offizieller Account von Mozilla in Deutschland. Hilfe zu Firefox auf Deutsch.",
        121_402,
        845,
        24_760,
        1_012,
        "Berlin",
    ),
    BrandAccount(
        "mozilla_france",
        "2142734",
        "fr",
        "Mozilla France",
        "Compte officiel de Mozilla en France. Aide Firefox en français.",
        96_231,
        702,
        19_384,
        880,
        "Paris",
    ),
    BrandAccount(
        "firefox_es",
        "2142735",
        "es",
        "Firefox en español",
        "Cuenta oficial de Firefox en español. Te ayudamos con tu navegador.",
        154_980,
        530,
        21_003,
        901,
        "Madrid",
    ),
    BrandAccount(
        "FirefoxBrasil",
        "2142736",
        "pt",
        "Firefox Brasil",
        "Perfil oficial do Firefox no Brasil. Dúvidas? Fale com a gente.",
        187_320,
        644,
        30_211,
        1_130,
        "São Paulo",
    ),
    BrandAccount(
        "FirefoxTurkiye",
        "2142737",
        "tr",
        "Firefox Türkiye",
        "Firefox'un resmi Türkiye hesabı. Sorularınız için buradayız.",
        88_415,
        410,
        12_870,
        512,
        "İstanbul",
    ),
)

BRANDS_BY_USERNAME = {a.username.lower(): a for a in BRAND_ACCOUNTS}
BRANDS_BY_ID = {a.id: a for a in BRAND_ACCOUNTS}
BRANDS_BY_TOKEN = {a.token: a for a in BRAND_ACCOUNTS}
