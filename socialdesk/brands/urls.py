from django.urls import path

from . import views

urlpatterns = [
    path("", views.account_list, name="accounts"),
    path("new", views.account_add, name="account_add"),
    path("callback", views.account_callback, name="account_callback"),
    path("<int:pk>/", views.account_detail, name="account"),
    path("<int:pk>/connect", views.account_connect, name="account_connect"),
    path("<int:pk>/check", views.account_check, name="account_check"),
]
