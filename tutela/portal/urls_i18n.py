from django.urls import path

from tutela.portal import views

urlpatterns = [
    path("", views.home, name="portal-home"),
]
