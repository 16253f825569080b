import json

import pytest
from django.test import Client as HttpClient

from kam.core.models import ApiToken


class ApiClient:
    """A test client that calls the API as ``user`` with a fresh bearer token."""

    def __init__(self, user):
        self.user = user
        self.token, self.key = ApiToken.issue(user=user, name="tests")
        self.http = HttpClient()

    @property
    def headers(self):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.key}"}

    def get(self, path, params=None):
        return self.http.get(path, params or {}, **self.headers)

    def post(self, path, data=None):
        return self.http.post(
            path, json.dumps(data or {}), content_type="application/json", **self.headers
        )

    def patch(self, path, data=None):
        return self.http.patch(
            path, json.dumps(data or {}), content_type="application/json", **self.headers
        )

    def put(self, path, data=None):
        return self.http.put(
            path, json.dumps(data or {}), content_type="application/json", **self.headers
        )


@pytest.fixture
def api():
    """``api(user)`` returns an :class:`ApiClient` authenticated with a token of that user."""
    return ApiClient


def fields(response) -> dict:
    """A 422 response's errors as {field: [messages]}."""
    assert response.status_code == 422, response.content[:500]
    errors = {}
    for error in response.json()["detail"]:
        errors.setdefault(error["field"], []).append(error["message"])
    return errors
