from django.apps import AppConfig


class RecipientsConfig(AppConfig):
    name = "tutela.recipients"
    label = "recipients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tutela.recipients.lifecycle import register

        register()
