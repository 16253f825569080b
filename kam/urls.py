from django.contrib import admin
from django.urls import include, path

from kam.api import api
from kam.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("accounts/", include("kam.core.urls")),
    path("clients/", include("kam.clients.urls")),
    path("products/", include("kam.sales.urls")),
    path("imports/", include("kam.imports.urls")),
    path("exports/", include("kam.core.export_urls")),
    path("analytics/", include("kam.insights.urls")),
    path("portfolio/", include("kam.portfolio.urls")),
    path("", include("kam.potential.urls")),
    path("", include("kam.competition.urls")),
    path("qualification/", include("kam.qualification.urls")),
    path("key-clients/", include("kam.keyprofile.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
