from django.urls import path

from . import views

urlpatterns = [
    path("manage/set-aside/", views.set_aside_list, name="set_aside"),
    path("manage/set-aside/<int:pk>/retry", views.retry, name="set_aside_retry"),
    path("manage/set-aside/<int:pk>/dismiss", views.dismiss, name="set_aside_dismiss"),
    path("manage/health/", views.health, name="health"),
    path("manage/filters/", views.ingestion_filters, name="ingestion_filters"),
]
