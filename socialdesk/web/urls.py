from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("queues/<slug:slug>/", views.queue_list, name="queue"),
    path("queues/<slug:slug>/filters", views.save_filter, name="save_filter"),
    path("play/", views.play, name="play"),
    path("play/<slug:slug>/start", views.play_start, name="play_start"),
    path("play/skip", views.play_skip, name="play_skip"),
    path("play/stop", views.play_stop, name="play_stop"),
    path("play/renew", views.play_renew, name="play_renew"),
    path("c/<int:pk>/", views.conversation, name="conversation"),
    path("c/<int:pk>/reply", views.reply, name="reply"),
    path("c/<int:pk>/note", views.note, name="note"),
    path("c/<int:pk>/hold", views.hold, name="hold"),
    path("c/<int:pk>/close", views.close, name="close"),
    path("c/<int:pk>/moderate", views.moderate, name="moderate"),
    path("c/<int:pk>/like/<int:message_pk>", views.like, name="like"),
    path("c/<int:pk>/outbox", views.outbox_fragment, name="outbox_fragment"),
    path("c/<int:pk>/sentiment", views.sentiment, name="sentiment"),
    path("c/<int:pk>/tag", views.tag, name="tag"),
    path("c/<int:pk>/user-tag", views.user_tag, name="user_tag"),
    path("c/<int:pk>/reminder", views.reminder, name="reminder"),
    path("c/<int:pk>/assign", views.assign, name="assign"),
    path("c/<int:pk>/escalate", views.escalate, name="escalate"),
    path("c/<int:pk>/retweet", views.retweet_decision, name="retweet_decision"),
    path("c/<int:pk>/presence", views.presence, name="presence"),
    path("reminders/<int:reminder_pk>/done", views.dismiss_reminder, name="dismiss_reminder"),
    path("outbox/<int:action_pk>/retry", views.retry_action, name="retry_action"),
]
