"""Input of the Play Mode endpoints, checked before anything changes."""

from django import forms


class PlayConversationForm(forms.Form):
    """Which conversation a skip or a heartbeat is about; the heartbeat of a page with no deal has none."""

    conversation = forms.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        error_messages={
            key: "The conversation must be given by its number."
            for key in ("invalid", "min_value", "max_value")
        },
    )

    def __init__(self, *args, require_conversation: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["conversation"].required = require_conversation
        self.fields["conversation"].error_messages["required"] = (
            "Say which conversation (conversation=<number>)."
        )

    def error_text(self) -> str:
        return " ".join(e for errors in self.errors.values() for e in errors)
