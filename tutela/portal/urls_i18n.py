"""Portal pages under a language prefix (/en/, /fr/, /nl/). Links sent by e-mail point here."""

from django.urls import path

from tutela.portal import views, views_newsletter, views_rights

urlpatterns = [
    path("", views.home, name="portal-home"),
    path("policy/", views.policy_current, name="portal-policy"),
    path("policy/history/", views.policy_history, name="portal-history"),
    path("policy/diff/", views.policy_diff, name="portal-diff"),
    path("rights/", views_rights.rights_index, name="portal-rights"),
    path("rights/<slug:right>/", views_rights.right_form, name="portal-right"),
    path("requests/sent/", views_rights.request_sent, name="portal-request-sent"),
    path("requests/verify/", views_rights.request_verify_link, name="portal-request-verify-link"),
    path("requests/verify/<str:token>/", views_rights.request_verify, name="portal-request-verify"),
    path("requests/status/<str:token>/", views_rights.request_status, name="portal-request-status"),
    path("requests/download/<str:token>/", views_rights.request_download, name="portal-request-download"),
    path("newsletter/", views_newsletter.subscribe, name="portal-newsletter"),
    path("newsletter/sent/", views_newsletter.sent, name="portal-newsletter-sent"),
    path("newsletter/confirm/<str:token>/", views_newsletter.confirm, name="portal-newsletter-confirm"),
    path(
        "newsletter/preferences/<str:token>/",
        views_newsletter.preferences,
        name="portal-newsletter-preferences",
    ),
    path(
        "newsletter/unsubscribe/<str:token>/",
        views_newsletter.unsubscribe,
        name="portal-newsletter-unsubscribe",
    ),
]
