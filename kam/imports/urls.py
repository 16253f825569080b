from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_new, name="new"),
    path("templates/<slug:kind>.xlsx", views.import_template, name="template"),
    path("<id:pk>/", views.import_detail, name="detail"),
    path("<id:pk>/progress/", views.import_progress, name="progress"),
    path("<id:pk>/confirm/", views.import_confirm, name="confirm"),
    path("<id:pk>/retry/", views.import_retry, name="retry"),
    path("<id:pk>/mapping/", views.import_remap, name="remap"),
    path("<id:pk>/mapping/save/", views.import_preset_save, name="preset_save"),
    path("<id:pk>/delete/", views.import_delete, name="delete"),
    path("mappings/", views.preset_list, name="presets"),
    path("mappings/<id:pk>/delete/", views.preset_delete, name="preset_delete"),
    path("<id:pk>/errors.xlsx", views.import_errors_xlsx, name="errors_xlsx"),
]
