from django.urls import path

from . import views

app_name = "competition"
urlpatterns = [
    path("clients/<id:pk>/competition/", views.tab, name="tab"),
    path("clients/<id:pk>/competition/new/", views.create, name="create"),
    path("clients/<id:pk>/competition/spend/", views.spend_edit, name="spend"),
    path("competition/<id:pk>/", views.assessment, name="assessment"),
    path("competition/<id:pk>/edit/", views.edit, name="edit"),
    path("competition/<id:pk>/delete/", views.delete, name="delete"),
    path("competition/", views.overview, name="overview"),
    path("competition/criteria/", views.criteria, name="criteria"),
    path("competition/export.xlsx", views.export, name="export"),
]
