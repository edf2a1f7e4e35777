"""Where a webhook may be sent (SSRF): http(s) only, no credentials in the URL, and no private,
loopback, link-local or otherwise non-public address unless SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE.

The name is resolved again at each delivery and the connection made to the address checked
(`resolve`), so a name that later points inside the network is refused then too."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class Refused(Exception):
    pass


def _allow_private() -> bool:
    return bool(getattr(settings, "SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE", False))


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL a webhook may have; raises Refused with the reason."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused(_("This is not a URL.")) from None
    if parts.scheme not in ("http", "https"):
        raise Refused(_("Only http:// and https:// URLs can receive webhooks."))
    if not parts.hostname:
        raise Refused(_("The URL needs a host name."))
    if parts.username or parts.password:
        raise Refused(_("Put no user name or password in the URL; verify the signature instead."))
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> str:
    """The address to connect to for `host`; raises Refused if it (or any address the name has)
    is not public and private addresses are not allowed, or if the name does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(_("The host name %(host)s does not resolve.") % {"host": host}) from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise Refused(_("The host name %(host)s does not resolve.") % {"host": host})
    if not _allow_private():
        for address in addresses:
            if not _public(address):
                raise Refused(
                    _(
                        "%(host)s is a private, loopback or reserved address (%(address)s): "
                        "webhooks go only to public addresses."
                    )
                    % {"host": host, "address": address}
                )
    return addresses[0]


def check(url: str) -> None:
    """The whole check of a URL, as a subscription is saved."""
    _, host, port = check_url(url)
    resolve(host, port)
