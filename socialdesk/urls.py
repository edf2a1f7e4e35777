"""URL map: the agents' UI, the API, the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from socialdesk.api import views as api_views
from socialdesk.api.api import api
from socialdesk.operations import health, metrics
from socialdesk.people.signin import SignInForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", authentication_form=SignInForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # PE6: the sign-in page's language picker (for visitors; signed-in people choose theirs in
    # personal settings).
    path("i18n/setlang/", set_language, name="set_language"),
    # Answered by OperationsMiddleware before anything else; named here so they are enumerated.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/v1/<path:rest>", api_views.not_found, name="api_not_found"),
    path("triage/", include("socialdesk.triage.urls")),
    path("manage/accounts/", include("socialdesk.brands.urls")),
    path("manage/clippings/", include("socialdesk.clippings.urls")),
    path("manage/webhooks/", include("socialdesk.webhooks.urls")),
    path("settings/tokens/", include("socialdesk.api.urls")),
    path("", include("socialdesk.people.urls")),
    path("reports/", include("socialdesk.reports.urls")),
    path("search/", include("socialdesk.search.urls")),
    # Each room's pages, under the paths the desk has always had.
    path("", include("socialdesk.conversations.urls")),
    path("", include("socialdesk.play.urls")),
    path("", include("socialdesk.queues.urls")),
    path("", include("socialdesk.outbox.urls")),
    path("", include("socialdesk.ingestion.urls")),
    path("", include("socialdesk.web.urls")),
]
