from django.urls import path

from . import views

app_name = "products"
urlpatterns = [
    path("", views.product_list, name="list"),
    path("new/", views.product_create, name="create"),
    path("<id:pk>/", views.product_detail, name="detail"),
    path("<id:pk>/edit/", views.product_edit, name="edit"),
]
