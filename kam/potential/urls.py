from django.urls import path

from . import views

app_name = "potential"
urlpatterns = [
    path("clients/<int:pk>/potential/", views.potential_tab, name="tab"),
    path("clients/<int:pk>/potential/new/", views.potential_create, name="create"),
    path("clients/<int:pk>/potential/strategy/", views.strategy_edit, name="strategy_edit"),
    path("potential/<int:pk>/edit/", views.potential_edit, name="edit"),
    path("potential/<int:pk>/delete/", views.potential_delete, name="delete"),
    path("potential/export.xlsx", views.potential_export, name="export"),
]
