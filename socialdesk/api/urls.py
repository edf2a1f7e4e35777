from django.urls import path

from . import views

urlpatterns = [path("", views.tokens, name="api_tokens")]
