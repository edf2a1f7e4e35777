from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="reports"),
    path("response-times/", views.response_times, name="reports_response_times"),
    path("volumes/", views.volumes, name="reports_volumes"),
    path("recognition/", views.recognition, name="reports_recognition"),
    path("business-hours/", views.business_hours, name="reports_business_hours"),
    path("dashboard/", views.dashboard, name="reports_dashboard"),
    path("conversations.csv", views.conversations_csv, name="reports_conversations_csv"),
]
