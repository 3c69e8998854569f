from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "tutela.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tutela.core import lifecycle, lifecycle_audit

        lifecycle_audit.register()
        checks.register(lifecycle.check_owners, "tutela")
