"""URL map. Domain apps own no URLs; api/, portal/ and dashboard/ do."""

from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from tutela.api.urls import api
from tutela.core.views import healthz
from tutela.dashboard.access import protect_admin

protect_admin(admin.site)  # the admin registers need a verified second factor too

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("staff/", include("tutela.dashboard.urls")),
    path("", include("tutela.portal.urls")),
]
urlpatterns += i18n_patterns(path("", include("tutela.portal.urls_i18n")), prefix_default_language=True)
