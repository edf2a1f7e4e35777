from django.urls import path

from . import respond_from, views

urlpatterns = [
    path("", views.account_list, name="accounts"),
    path("respond-from/", respond_from.respond_from, name="respond_from"),
    path("respond-from/<int:pk>/delete", respond_from.delete_rule, name="delete_rule"),
    path("new", views.account_add, name="account_add"),
    *views.engagement_page.urls("engagement/"),
    path("callback", views.account_callback, name="account_callback"),
    path("<int:pk>/", views.account_detail, name="account"),
    path("<int:pk>/connect", views.account_connect, name="account_connect"),
    path("<int:pk>/check", views.account_check, name="account_check"),
]
