from django.apps import AppConfig


class BreachesConfig(AppConfig):
    name = "tutela.breaches"
    label = "breaches"
    default_auto_field = "django.db.models.BigAutoField"
