from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("manage/", views.manage_index, name="manage_index"),
]
