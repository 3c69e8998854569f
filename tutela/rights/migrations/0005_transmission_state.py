"""Transmission receipts get a state, so a transmission can be recorded before it is sent (after commit)."""

from typing import Any

from django.db import migrations, models


def _states_of_existing(apps: Any, schema_editor: Any) -> None:
    """Receipts written before this migration were written after the call: delivered or failed."""
    receipt = apps.get_model("rights", "TransmissionReceipt")
    receipt.objects.filter(delivered=True).update(state="delivered")
    receipt.objects.filter(delivered=False).update(state="failed")


class Migration(migrations.Migration):
    dependencies = [
        ("rights", "0004_verification_failures"),
    ]

    operations = [
        migrations.AddField(
            model_name="transmissionreceipt",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("sending", "Sending"),
                    ("delivered", "Delivered"),
                    ("failed", "Failed"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="transmissionreceipt",
            name="runs",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="transmissionreceipt",
            name="claimed_at",
            field=models.DateTimeField(blank=True, help_text="when the current run started", null=True),
        ),
        migrations.AddField(
            model_name="transmissionreceipt",
            name="body_sealed",
            field=models.TextField(blank=True, help_text="what is to be sent, encrypted until the end"),
        ),
        migrations.AlterField(
            model_name="transmissionreceipt",
            name="at",
            field=models.DateTimeField(help_text="when it was recorded, then when it ended"),
        ),
        migrations.RunPython(_states_of_existing, migrations.RunPython.noop),
    ]
