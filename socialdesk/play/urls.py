from django.urls import path

from . import views

urlpatterns = [
    path("play/", views.play, name="play"),
    path("play/<slug:slug>/start", views.play_start, name="play_start"),
    path("play/next", views.play_next, name="play_next"),
    path("play/skip", views.play_skip, name="play_skip"),
    path("play/stop", views.play_stop, name="play_stop"),
    path("play/renew", views.play_renew, name="play_renew"),
]
