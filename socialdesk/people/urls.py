from django.urls import path

from . import views

urlpatterns = [
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/complete", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("settings/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("settings/sign-out-everywhere", views.sign_out_everywhere, name="sign_out_everywhere"),
]
