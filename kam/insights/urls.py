from django.urls import path

from . import views

app_name = "insights"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("export/", views.export, name="export"),
    path("recompute/", views.recompute_now, name="recompute"),
    path("settings/", views.settings_edit, name="settings"),
    path("clients/<id:pk>/", views.client_card, name="client_card"),
]
