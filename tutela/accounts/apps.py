from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tutela.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
