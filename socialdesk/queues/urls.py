from django.urls import path

from . import views
from .saved_filters import saved_filters_page

urlpatterns = [
    path("queues/<slug:slug>/", views.queue_list, name="queue"),
    path("queues/<slug:slug>/summary", views.queue_summary, name="queue_summary"),
    path("queues/<slug:slug>/panel", views.queue_panel, name="queue_panel"),
    path("queues/<slug:slug>/filters", views.save_filter, name="save_filter"),
    path("queues/<slug:slug>/bulk", views.bulk_action, name="bulk_action"),
    path("manage/queues/", views.manage_queues, name="manage_queues"),
    path("manage/queues/new", views.edit_queue, name="new_queue"),
    path("manage/queues/<int:pk>/", views.edit_queue, name="edit_queue"),
    path("manage/queues/<int:pk>/delete", views.delete_queue, name="delete_queue"),
    *saved_filters_page.urls("manage/saved-filters/"),
]
