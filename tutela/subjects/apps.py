from django.apps import AppConfig


class SubjectsConfig(AppConfig):
    name = "tutela.subjects"
    label = "subjects"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tutela.subjects.lifecycle import register

        register()
