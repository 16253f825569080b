"""The JSON API root. Routers live beside their apps; this file only assembles them.

Every operation needs a bearer token or a session (kam.core.api_auth), reads through the access
rule and answers errors in one format (kam.core.api). Docs: /api/docs; schema: /api/openapi.json.
"""

from ninja import NinjaAPI

from kam.clients.api import router as clients_router
from kam.competition.api import router as competition_router
from kam.core.api import add_common_responses, install_error_handlers
from kam.core.api_auth import api_auth
from kam.core.api_auth import router as tokens_router
from kam.insights.api import router as insights_router
from kam.keyprofile.api import router as keyprofile_router
from kam.portfolio.api import router as portfolio_router
from kam.potential.api import router as potential_router
from kam.qualification.api import router as qualification_router
from kam.sales.api import router as sales_router


class KamAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # The URL name ("client_list") is stable and reads well in generated clients.
        return getattr(operation, "url_name", None) or super().get_openapi_operation_id(operation)

    def get_openapi_schema(self, **kwargs):
        return add_common_responses(super().get_openapi_schema(**kwargs))


api = KamAPI(
    title="KAM API",
    version="1",
    description=(
        "Key account management. Authenticate with `Authorization: Bearer <token>` "
        "(create tokens at /accounts/tokens/). You see exactly the clients you see in the app."
    ),
    urls_namespace="api",
    auth=api_auth,
)
install_error_handlers(api)
api.add_router("/", tokens_router)
api.add_router("/", clients_router)
api.add_router("/", sales_router)
api.add_router("/", insights_router)
api.add_router("/", keyprofile_router)
api.add_router("/", portfolio_router)
api.add_router("/", potential_router)
api.add_router("/", competition_router)
api.add_router("/", qualification_router)
