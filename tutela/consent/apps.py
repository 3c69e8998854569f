from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "tutela.consent"
    label = "consent"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        try:
            from tutela.subjects.services import subject_merged
        except ImportError:  # the register without merge support
            return
        from tutela.consent.services import on_subject_merged

        subject_merged.connect(on_subject_merged, dispatch_uid="consent.on_subject_merged")
