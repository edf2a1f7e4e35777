"""Walking a platform simulator's sign-in as a person would, for tests without a browser: open the
authorize URL the desk redirected to, choose the account, press Authorize (or Cancel), and hand
back where the platform sends the browser."""

import re
from urllib.parse import urlsplit

import requests

PUBLIC_URL = "http://127.0.0.1:8000"


def consent(authorize_url: str, *, account: str, decision: str = "allow") -> str:
    """The path and query the platform redirects back to (the desk's callback)."""
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200, page.text[:500]
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    hidden = dict(re.findall(r"name='(\w+)' value='([^']*)'", page.text))
    parts = urlsplit(authorize_url)
    r = requests.post(
        f"{parts.scheme}://{parts.netloc}{action}",
        data={**hidden, "account": account, "decision": decision},
        allow_redirects=False,
        timeout=5,
    )
    assert r.status_code == 302, r.text[:500]
    back = urlsplit(r.headers["Location"])
    assert f"{back.scheme}://{back.netloc}" == PUBLIC_URL, back
    return f"{back.path}?{back.query}"


def connect_with_platform(client, account, *, as_account: str, decision: str = "allow", **fields):
    """Press "Connect with …" on the account's page, sign in on the simulator, come back."""
    method = {"twitter": "oauth2", "mastodon": "oauth"}[account.platform]
    start = client.post(f"/manage/accounts/{account.pk}/connect", {"method": method, **fields})
    assert start.status_code == 302, start.content.decode()[:2000]
    return client.get(consent(start["Location"], account=as_account, decision=decision))
