"""The sign-in form, and the username django-axes keeps for a failed sign-in."""

from django.contrib.auth.forms import AuthenticationForm

# axes' AccessAttempt.username is a varchar(255): PostgreSQL refuses a longer value.
AXES_USERNAME_MAX_LENGTH = 255


class SignInForm(AuthenticationForm):
    """Django's form sets the username's max_length only after the field is built, so the length
    is never checked: an over-long username went on to authenticate() and axes' records. No
    account has such a name, so it is answered as any wrong username, without trying it."""

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if username and len(username) > self.fields["username"].max_length:
            raise self.get_invalid_login_error()
        return username


def axes_username(request, credentials=None):
    """The username axes records (AXES_USERNAME_CALLABLE): the one typed, cut to what its table
    holds. Covers every sign-in form (the admin's too), not only ours."""
    field = "username"
    username = (
        (credentials or {}).get(field) if credentials else getattr(request, "POST", {}).get(field)
    )
    if isinstance(username, str):
        username = username[:AXES_USERNAME_MAX_LENGTH]
    return username
