"""`{% connection_notice account %}`: the composer says before anyone writes a reply that the
account it goes out from cannot send it now (connection paused, or credentials that only read)."""

from django import template
from django.utils.translation import gettext

from socialdesk.connectors import auth

register = template.Library()


@register.inclusion_tag("brands/_connection_notice.html")
def connection_notice(account):
    if account is None:
        return {"notice": ""}
    if account.sending_paused:
        return {
            "notice": gettext(
                "%(account)s's connection to the platform stopped working: replies wait and go out once a community "
                "manager reconnects it (Accounts page)."
            )
            % {"account": account}
        }
    if auth.capabilities(account).reply == auth.NO:
        return {
            "notice": gettext(
                "%(account)s is connected for reading only: replies need a user connection, and wait until a community "
                "manager connects it that way (Accounts page)."
            )
            % {"account": account}
        }
    return {"notice": ""}
