"""Portal addresses without a language prefix: the root (redirects to /<language>/) and /policy/."""

from django.urls import path

from tutela.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.root, name="root"),
    path("policy/", views.policy_current, name="policy"),
]
