from django.apps import AppConfig


class BreachesConfig(AppConfig):
    name = "tutela.breaches"
    label = "breaches"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tutela.breaches.lifecycle import register

        register()
