from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "tutela.rights"
    label = "rights"
    default_auto_field = "django.db.models.BigAutoField"
