"""The JSON API root. Routers live beside their apps; this file only assembles them."""

from ninja import NinjaAPI

api = NinjaAPI(title="KAM API", version="1", urls_namespace="api")
