"""Where each poll of a platform stream left off, and until when the platform asked us to wait."""

from django.db import models


class PollState(models.Model):
    account = models.ForeignKey("brands.BrandAccount", on_delete=models.CASCADE, related_name="poll_states")
    # "mentions", "search:<SearchTerm id>", "reviews", "notifications"; "connector" for set-up errors
    stream = models.CharField(max_length=100)
    cursor = models.CharField(max_length=100, blank=True, help_text="since_id of the next poll.")
    wait_until = models.DateTimeField(null=True, blank=True, help_text="Rate limited until then.")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    fetched = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "stream"], name="unique_poll_stream")]

    def __str__(self) -> str:
        return f"{self.account} {self.stream}"
