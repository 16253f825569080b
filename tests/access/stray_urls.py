"""The project's URLs plus three a careless change could add: one without a name, one reusing an
existing name, and one that an earlier pattern shadows.
test_the_guard_sees_unnamed_name_sharing_and_shadowed_patterns checks the guard sees them all."""

from django.urls import path

from kam.core import views
from kam.urls import urlpatterns as project_patterns

urlpatterns = [
    *project_patterns,
    path("stray/unnamed/", views.token_list),
    path("stray/named-twice/", views.token_list, name="tokens"),
    path("accounts/login/", views.home, name="shadowed"),
]
