from django.urls import path

from . import views

app_name = "potential"
urlpatterns = [
    path("clients/<id:pk>/potential/", views.potential_tab, name="tab"),
    path("clients/<id:pk>/potential/new/", views.potential_create, name="create"),
    path("clients/<id:pk>/potential/strategy/", views.strategy_edit, name="strategy_edit"),
    path("potential/<id:pk>/edit/", views.potential_edit, name="edit"),
    path("potential/<id:pk>/delete/", views.potential_delete, name="delete"),
    path("potential/export.xlsx", views.potential_export, name="export"),
]
