"""Deploy checks of our own, run by `socialdesk check --deploy`."""

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.checks import Warning, register


@register("staticfiles", deploy=True)
def static_files_collected(app_configs, **kwargs):
    if settings.DEBUG or not hasattr(staticfiles_storage, "manifest_name"):
        return []
    if (settings.STATIC_ROOT / staticfiles_storage.manifest_name).exists():
        return []
    return [
        Warning(
            f"Static files have not been collected into {settings.STATIC_ROOT}: pages are served "
            "without long-lived caching.",
            hint="Run `socialdesk collectstatic --no-input` after each install or upgrade.",
            id="socialdesk.W001",
        )
    ]
