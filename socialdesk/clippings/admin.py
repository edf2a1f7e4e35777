from django.contrib import admin

from .models import Clipping

admin.site.register(Clipping, list_display=["title", "language", "is_holding_reply"])
