from django.urls import path

from . import views

app_name = "portfolio"
urlpatterns = [
    path("", views.my_portfolio, name="mine"),
    path("export/", views.export, name="export"),
    path("load/", views.kam_load, name="load"),
    path("kam/<id:pk>/", views.kam_portfolio, name="kam"),
    path("reassign/<id:pk>/", views.reassign, name="reassign"),
]
