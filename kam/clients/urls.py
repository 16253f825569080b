from django.urls import path

from . import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("export/", views.client_export, name="export"),
    path("new/", views.client_create, name="create"),
    path("search/", views.client_search, name="search"),
    path("<id:pk>/", views.client_detail, name="detail"),
    path("<id:pk>/edit/", views.client_edit, name="edit"),
    path("<id:pk>/contacts/", views.client_contacts, name="contacts"),
    path("<id:pk>/competitors/", views.client_competitors, name="competitors"),
    path("<id:pk>/tenders/", views.client_tenders, name="tenders"),
    path("<id:pk>/purchases/", views.client_purchases, name="purchases"),
    path("<id:pk>/history/", views.client_history, name="history"),
    path("<id:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<id:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<id:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("<id:pk>/competitors/new/", views.presence_create, name="presence_create"),
    path("competitors/<id:pk>/edit/", views.presence_edit, name="presence_edit"),
    path("competitors/<id:pk>/delete/", views.presence_delete, name="presence_delete"),
    path("<id:pk>/tenders/new/", views.tender_create, name="tender_create"),
    path("tenders/<id:pk>/edit/", views.tender_edit, name="tender_edit"),
    path("tenders/<id:pk>/delete/", views.tender_delete, name="tender_delete"),
    path("<id:pk>/team/add/", views.team_add, name="team_add"),
    path("team/<id:pk>/edit/", views.team_edit, name="team_edit"),
    path("team/<id:pk>/remove/", views.team_remove, name="team_remove"),
]
