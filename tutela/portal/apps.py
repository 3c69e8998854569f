from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "tutela.portal"
    label = "portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tutela.portal.lifecycle import register

        register()
        from tutela.portal import receivers  # noqa: F401 - connects the policy_activated receiver
