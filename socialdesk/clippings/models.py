"""A clipping is a saved reply; `{name}` and `{handle}` are filled from the customer's profile."""

from django.db import models
from django.utils.translation import gettext_lazy


class Clipping(models.Model):
    title = models.CharField(max_length=200)
    text = models.TextField()
    language = models.CharField(max_length=10, default="en")
    is_holding_reply = models.BooleanField(
        default=False, help_text=gettext_lazy("Used when escalating (AG10).")
    )

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def render(self, *, author) -> str:
        name = (author.name or author.handle or "").split(" ")[0]
        return self.text.replace("{name}", name).replace(
            "{handle}", f"@{author.handle}" if author.handle else ""
        )
