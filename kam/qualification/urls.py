from django.urls import path

from . import views

app_name = "qualification"
urlpatterns = [
    path("clients/<id:pk>/three-p/", views.qualification_edit, name="edit"),
    path("clients/<id:pk>/key/", views.key_decide, name="decide"),
    path("clients/<id:pk>/type/", views.type_confirm, name="type"),
    path("decisions/", views.decision_log, name="log"),
    path("decisions/export.xlsx", views.decision_log_export, name="log_export"),
]
