"""TOTP seeds sealed at rest: django-otp's ``TOTPDevice.key`` is stored as AES-GCM ciphertext under the key ring.

django-otp keeps the device seed as a hex string in ``otp_totp_totpdevice.key``. Tutela keeps django-otp's
model, its verification and its admin, and changes only how that one column is read and written: on the way
to the database the hex seed is sealed with :func:`tutela.core.crypto.encrypt` (bound to the context
``SEED_CONTEXT``), on the way back it is opened. Code that holds a device (``device.key``, ``bin_key``,
``verify_token``) sees the seed as before; the column, a backup or a dump holds only ciphertext.

The field keeps deconstructing as a plain ``CharField``, so django-otp's migration state is untouched;
``tutela.accounts`` migration 0003 widens the column on PostgreSQL and seals the seeds already stored. See
docs/decisions/0008-staff-enrolment-and-sealed-seeds.md.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from tutela.core import crypto

#: associated data of every sealed seed: a ciphertext of another kind of value cannot pass for a seed
SEED_CONTEXT = "otp_totp.key"


def seal_seed(value: str) -> str:
    """The sealed form of a hex seed (a value sealed already is kept as it is)."""
    if not value or is_sealed(value):
        return value
    return crypto.encrypt(value, context=SEED_CONTEXT)


def open_seed(value: str | None) -> str | None:
    """The hex seed of a stored value; a clear value (stored before sealing) is returned as it is."""
    if not value or not is_sealed(value):
        return value
    return crypto.decrypt(value, context=SEED_CONTEXT)


def is_sealed(value: str) -> bool:
    return value.startswith(f"{crypto.PREFIX}:")


class SealedSeedField(models.CharField):  # type: ignore[type-arg]
    """``TOTPDevice.key`` as Tutela stores it: sealed when saved, opened when loaded."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return open_seed(value)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        prepared = super().get_db_prep_save(value, connection)
        return seal_seed(prepared) if isinstance(prepared, str) else prepared

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


def install() -> None:
    """Make ``TOTPDevice.key`` a :class:`SealedSeedField` (called once, from the app's ``ready``)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    field = TOTPDevice._meta.get_field("key")
    if not isinstance(field, SealedSeedField):
        field.__class__ = SealedSeedField


def seeds_status() -> dict[str, int]:
    """How many TOTP seeds are stored, and how many are not sealed under the key ring's current key."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    current = f"{crypto.PREFIX}:{crypto.keyring().current_id}:"
    total = TOTPDevice.objects.count()
    return {"total": total, "to_rotate": total - TOTPDevice.objects.filter(key__startswith=current).count()}


def seeds_reseal(*, batch: int = 500) -> int:
    """Seal again, under the key ring's current key, every seed sealed under an older key (or stored in
    clear); returns how many. Part of ``tutela keys rotate``."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    current = f"{crypto.PREFIX}:{crypto.keyring().current_id}:"
    done = 0
    last = 0
    while True:
        ids = list(
            TOTPDevice.objects.filter(pk__gt=last)
            .exclude(key__startswith=current)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return done
        last = ids[-1]
        with transaction.atomic():
            for device in TOTPDevice.objects.select_for_update().filter(pk__in=ids):
                device.save(update_fields=["key"])  # opened on load, sealed under the current key on save
                done += 1
