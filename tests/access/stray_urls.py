"""The project's URLs plus two a careless change could add: one without a name, and one reusing
an existing name. test_the_guard_sees_unnamed_and_name_sharing_patterns checks the guard sees
both."""

from django.urls import path

from kam.core import views
from kam.urls import urlpatterns as project_patterns

urlpatterns = [
    *project_patterns,
    path("stray/unnamed/", views.token_list),
    path("stray/named-twice/", views.token_list, name="tokens"),
]
