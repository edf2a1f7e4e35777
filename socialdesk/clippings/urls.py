from django.urls import path

from . import views

urlpatterns = [
    path("", views.clippings, name="clippings"),
    path("<int:pk>/", views.clippings, name="edit_clipping"),
    path("<int:pk>/delete", views.delete_clipping, name="delete_clipping"),
]
