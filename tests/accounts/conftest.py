"""The web fixtures (staff accounts with a TOTP device, a verified DPO client, a clean cache) for these tests."""

from tests.web.conftest import _clean_cache, make_staff, staff_client  # noqa: F401
