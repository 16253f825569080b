from django.urls import path

from . import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("export/", views.client_export, name="export"),
    path("new/", views.client_create, name="create"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/contacts/", views.client_contacts, name="contacts"),
    path("<int:pk>/competitors/", views.client_competitors, name="competitors"),
    path("<int:pk>/tenders/", views.client_tenders, name="tenders"),
    path("<int:pk>/purchases/", views.client_purchases, name="purchases"),
    path("<int:pk>/history/", views.client_history, name="history"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("<int:pk>/competitors/new/", views.presence_create, name="presence_create"),
    path("competitors/<int:pk>/edit/", views.presence_edit, name="presence_edit"),
    path("competitors/<int:pk>/delete/", views.presence_delete, name="presence_delete"),
    path("<int:pk>/tenders/new/", views.tender_create, name="tender_create"),
    path("tenders/<int:pk>/edit/", views.tender_edit, name="tender_edit"),
    path("tenders/<int:pk>/delete/", views.tender_delete, name="tender_delete"),
    path("<int:pk>/team/add/", views.team_add, name="team_add"),
    path("team/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("team/<int:pk>/remove/", views.team_remove, name="team_remove"),
]
