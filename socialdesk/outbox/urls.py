from django.urls import path

from . import views

urlpatterns = [
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:action_pk>", views.approval_decision, name="approval_decision"),
    path("outbox/<int:action_pk>/retry", views.retry_action, name="retry_action"),
]
