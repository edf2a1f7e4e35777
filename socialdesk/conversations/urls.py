from django.urls import path

from . import views

urlpatterns = [
    *views.tags_page.urls("manage/tags/"),
    path("manage/user-tags/", views.user_tags, name="manage_user_tags"),
    path("manage/user-tags/<int:pk>/remove", views.remove_user_tag, name="manage_user_tag_remove"),
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
    path("c/<int:pk>/escalation-useful", views.escalation_useful, name="escalation_useful"),
    path("c/<int:pk>/presence", views.presence, name="presence"),
    path("c/<int:pk>/take-over", views.take_over, name="take_over"),
    path("c/<int:pk>/merge", views.merge, name="merge"),
    path("c/<int:pk>/split/<int:message_pk>", views.split, name="split"),
    path("reminders/<int:reminder_pk>/done", views.dismiss_reminder, name="dismiss_reminder"),
    path("attachments/<int:pk>", views.attachment, name="attachment"),
]
