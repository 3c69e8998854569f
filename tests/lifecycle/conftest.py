"""The staff-page fixtures of the web tests, for the retention panel."""

from tests.web.conftest import make_staff, staff_client  # noqa: F401 - fixtures
