from django.apps import AppConfig


class BrandsConfig(AppConfig):
    name = "socialdesk.brands"
    verbose_name = "Brand accounts and policy"
