from django.urls import path

from . import views

urlpatterns = [
    path("", views.set_aside_list, name="set_aside"),
    path("<int:pk>/retry", views.retry, name="set_aside_retry"),
    path("<int:pk>/dismiss", views.dismiss, name="set_aside_dismiss"),
]
