from django import forms
from django.contrib import admin

from socialdesk.conversations.limits import TEXT_LIMITS

from .models import Clipping


class ClippingForm(forms.ModelForm):
    # A clipping becomes a reply: the same table of limits as every other text (conversations.limits).
    text = forms.CharField(widget=forms.Textarea, max_length=TEXT_LIMITS["clipping"])

    class Meta:
        model = Clipping
        fields = ["title", "text", "language", "is_holding_reply"]


@admin.register(Clipping)
class ClippingAdmin(admin.ModelAdmin):
    form = ClippingForm
    list_display = ["title", "language", "is_holding_reply"]
