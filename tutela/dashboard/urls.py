from django.urls import path

from tutela.dashboard import auth_views, views, views_breaches, views_people, views_requests

app_name = "dashboard"
urlpatterns = [
    path("login/", auth_views.login_view, name="login"),
    path("verify/", auth_views.verify_view, name="verify"),
    path("enrol/<str:code>/", auth_views.enrol_view, name="enrol"),
    path("logout/", auth_views.logout_view, name="logout"),
    path("", views.index, name="index"),
    path("requests/", views_requests.request_list, name="requests"),
    path("requests/<str:ref>/", views_requests.request_detail, name="request"),
    path("requests/<str:ref>/<slug:action>/", views_requests.request_action, name="request-action"),
    path("people/", views_people.people_search, name="people"),
    path("people/<str:public_id>/", views_people.person_detail, name="person"),
    path("breaches/", views_breaches.breach_list, name="breaches"),
    path("breaches/new/", views_breaches.breach_new, name="breach-new"),
    path("breaches/<str:ref>/", views_breaches.breach_detail, name="breach"),
    path("breaches/<str:ref>/investigate/", views_breaches.breach_investigate, name="breach-investigate"),
    path("breaches/<str:ref>/<slug:action>/", views_breaches.breach_action, name="breach-action"),
]
