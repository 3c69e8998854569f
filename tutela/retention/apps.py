from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "tutela.retention"
    label = "retention"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tutela.retention.lifecycle import register

        register()
