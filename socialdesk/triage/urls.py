from django.urls import path

from . import views

urlpatterns = [
    path("c/<int:pk>/correct", views.correct, name="triage_correct"),
    path("rules/", views.rules, name="triage_rules"),
    path("rules/<int:pk>/", views.rules, name="triage_rule"),
    path("kb/", views.kb, name="triage_kb"),
    *views.kb_articles_page.urls("kb/articles/"),
    *views.paid_products_page.urls("paid-products/"),
    *views.controversial_topics_page.urls("controversial-topics/"),
    path("clusters/", views.clusters, name="triage_clusters"),
    path("clusters/escalate", views.escalate_cluster, name="triage_escalate_cluster"),
]
