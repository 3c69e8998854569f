from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "tutela.consent"
    label = "consent"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tutela.consent.lifecycle import register

        register()
