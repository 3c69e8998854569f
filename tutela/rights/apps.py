from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "tutela.rights"
    label = "rights"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tutela.rights.lifecycle import register

        register()
