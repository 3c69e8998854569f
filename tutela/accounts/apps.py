from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tutela.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tutela.accounts import seeds

        seeds.install()  # TOTP seeds are sealed at rest (tutela.accounts.seeds)
