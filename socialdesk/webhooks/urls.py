from django.urls import path

from . import views

urlpatterns = [
    path("", views.webhooks, name="webhooks"),
    path("<int:pk>/", views.webhook, name="webhook"),
    path("<int:pk>/rotate", views.rotate_secret, name="webhook_rotate"),
    path("<int:pk>/test", views.send_test, name="webhook_test"),
    path("<int:pk>/delete", views.delete_webhook, name="webhook_delete"),
]
