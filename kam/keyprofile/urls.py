from django.urls import path

from . import views

app_name = "keyprofile"
urlpatterns = [
    path("", views.scored_list, name="list"),
    path("export.xlsx", views.export, name="export"),
    path("rescore/", views.rescore, name="rescore"),
    path("profile/", views.edit, name="edit"),
]
