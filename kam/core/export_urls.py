from django.urls import path

from . import views

app_name = "exports"
urlpatterns = [
    path("", views.export_list, name="list"),
    path("<id:pk>/", views.export_detail, name="detail"),
    path("<id:pk>/progress/", views.export_progress, name="progress"),
    path("<id:pk>/download/", views.export_download, name="download"),
]
