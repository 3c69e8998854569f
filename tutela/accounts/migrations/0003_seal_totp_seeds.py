"""Seal the TOTP seeds already stored in clear (tutela.accounts.seeds), and drop unconfirmed devices.

On PostgreSQL the seed column is widened first: a sealed seed is longer than django-otp's 80 characters
(SQLite does not enforce the length). Unconfirmed devices were created by the first-factor-only enrolment
this release removes: their seeds may have been shown to whoever knew a password, and they open nothing.
"""

from typing import Any

from django.db import migrations


def _widen(schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE otp_totp_totpdevice ALTER COLUMN "key" TYPE varchar(255)')


def seal(apps: Any, schema_editor: Any) -> None:
    from tutela.accounts.seeds import is_sealed, seal_seed

    _widen(schema_editor)
    device_model = apps.get_model("otp_totp", "TOTPDevice")  # the historical model: the column as stored
    device_model.objects.filter(confirmed=False).delete()
    for device in device_model.objects.all().only("pk", "key"):
        if device.key and not is_sealed(device.key):
            device_model.objects.filter(pk=device.pk).update(key=seal_seed(device.key))


def unseal(apps: Any, schema_editor: Any) -> None:
    from tutela.accounts.seeds import is_sealed, open_seed

    device_model = apps.get_model("otp_totp", "TOTPDevice")
    for device in device_model.objects.all().only("pk", "key"):
        if device.key and is_sealed(device.key):
            device_model.objects.filter(pk=device.pk).update(key=open_seed(device.key))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_enrolment_token"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(seal, unseal)]
