from django.urls import path

from . import views

urlpatterns = [
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/complete",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("settings/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("settings/time-zone", views.time_zone_settings, name="time_zone_settings"),
    path("settings/language", views.language_settings, name="language_settings"),
    path("settings/notifications", views.notification_settings, name="notification_settings"),
    path("notifications/", views.notifications_page, name="notifications"),
    path("notifications/read", views.notifications_read, name="notifications_read"),
    path("settings/sign-out-everywhere", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("apply/", views.apply, name="apply"),
    path("apply/sent", views.apply_sent, name="apply_sent"),
    path("manage/applications/", views.applications, name="applications"),
    path(
        "manage/applications/<int:pk>/decide",
        views.application_decision,
        name="application_decision",
    ),
    path("manage/applications/invite", views.invite, name="invite"),
    path("settings/leave", views.leave, name="leave"),
    path("left", views.left, name="left"),
    path("login/code", views.two_factor_verify, name="two_factor_verify"),
    path("settings/two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("manage/audit/", views.audit_log, name="audit_log"),
    path("manage/people/", views.people, name="people"),
    path("manage/agents/", views.manage_agents, name="manage_agents"),
    path("settings/", views.personal_settings, name="personal_settings"),
]
