"""API: products (company-wide, everyone reads) and sales lines (read under the client rule).
Only the director writes either; the others get 403 (404 for a sales line they cannot see)."""

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from kam.clients.models import Client
from kam.core.access import can_manage_company_data
from kam.core.api import (
    ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    IfMatchHeader,
    NextPagePagination,
    Pagination,
    if_match,
    require,
    resolve_refs,
    tagged,
)
from kam.core.ids import Id

from . import services
from .models import Product, SalesLine
from .schemas import (
    ProductFilter,
    ProductIn,
    ProductOut,
    ProductPatch,
    SalesLineFilter,
    SalesLineIn,
    SalesLineOut,
    SalesLinePatch,
)

router = Router()

CREATE_ERRORS = {401: ERRORS[401], 403: ERRORS[403], 422: ERRORS[422]}


def _require_director(user) -> None:
    require(can_manage_company_data(user), _("Only the director changes products and sales."))


def _sales_lines(user) -> QuerySet:
    return SalesLine.objects.visible_to(user).select_related("client", "product")


def _sales_line_refs(user) -> dict:
    return {
        "client": (Client.objects.visible_to(user), _("Unknown client.")),
        "product": (Product.objects.all(), _("Unknown product.")),
    }


# --- products ------------------------------------------------------------------------------


@router.get(
    "/products",
    response={200: list[ProductOut], 401: ERRORS[401], 422: ERRORS[422]},
    url_name="product_list",
    summary="List products",
    tags=["products"],
)
@paginate(Pagination)
def product_list(request, filters: Query[ProductFilter]):
    """The company's products, visible to every user."""
    return filters.filter(Product.objects.all()).order_by("name", "pk")


@router.get(
    "/products/{product_id}",
    response={200: ProductOut, **READ_ERRORS},
    url_name="product_detail",
    summary="Read a product",
    tags=["products"],
)
def product_detail(request, product_id: Id, response: HttpResponse):
    """The ``ETag`` header identifies this version: send it as ``If-Match`` with a change."""
    return tagged(request, response, ProductOut, get_object_or_404(Product, pk=product_id))


@router.post(
    "/products",
    response={201: ProductOut, **CREATE_ERRORS},
    url_name="product_create",
    summary="Create a product (director)",
    tags=["products"],
)
def product_create(request, payload: ProductIn):
    _require_director(request.auth)
    product = services.product_create(by=request.auth, **payload.changes())
    product.refresh_from_db()
    return Status(201, product)


@router.patch(
    "/products/{product_id}",
    response={200: ProductOut, **WRITE_ERRORS},
    url_name="product_update",
    summary="Change a product (director)",
    tags=["products"],
)
def product_update(
    request,
    product_id: Id,
    payload: ProductPatch,
    response: HttpResponse,
    if_match_header: IfMatchHeader = None,
):
    """Send only the fields to change. Price changes are kept in the product's history. With
    ``If-Match``, a product changed since you read it is refused (412)."""
    product = get_object_or_404(Product, pk=product_id)
    _require_director(request.auth)
    base = if_match(request, if_match_header, ProductOut, lambda p: Product.objects.get(pk=p.pk))
    product = services.product_update(
        by=request.auth, product=product, base=base, **payload.changes()
    )
    product.refresh_from_db()
    return tagged(request, response, ProductOut, product)


# --- sales lines ---------------------------------------------------------------------------


@router.get(
    "/sales-lines",
    response={200: list[SalesLineOut], 401: ERRORS[401], 422: ERRORS[422]},
    url_name="sales_line_list",
    summary="List sales lines",
    tags=["sales lines"],
)
@paginate(NextPagePagination)
def sales_line_list(request, filters: Query[SalesLineFilter]):
    """Sales of the clients you may see, newest first. Unlike the other lists, the answer has no
    total ``count`` (counting every line you see takes longer the bigger the company): it
    carries ``next_offset``, the ``offset`` of the next page, ``null`` on the last page."""
    return filters.filter(_sales_lines(request.auth)).order_by("-date", "document_number", "pk")


@router.get(
    "/sales-lines/{line_id}",
    response={200: SalesLineOut, **READ_ERRORS},
    url_name="sales_line_detail",
    summary="Read a sales line",
    tags=["sales lines"],
)
def sales_line_detail(request, line_id: Id, response: HttpResponse):
    """The ``ETag`` header identifies this version: send it as ``If-Match`` with a change."""
    line = get_object_or_404(_sales_lines(request.auth), pk=line_id)
    return tagged(request, response, SalesLineOut, line)


@router.post(
    "/sales-lines",
    response={201: SalesLineOut, **CREATE_ERRORS},
    url_name="sales_line_create",
    summary="Create a sales line (director)",
    tags=["sales lines"],
)
def sales_line_create(request, payload: SalesLineIn):
    """Sales normally arrive from the ERP import; this is for corrections by the director."""
    user = request.auth
    _require_director(user)
    data = resolve_refs(payload.changes(), _sales_line_refs(user))
    line = services.sales_line_create(by=user, **data)
    return Status(201, _sales_lines(user).get(pk=line.pk))


@router.patch(
    "/sales-lines/{line_id}",
    response={200: SalesLineOut, **WRITE_ERRORS},
    url_name="sales_line_update",
    summary="Change a sales line (director)",
    tags=["sales lines"],
)
def sales_line_update(
    request,
    line_id: Id,
    payload: SalesLinePatch,
    response: HttpResponse,
    if_match_header: IfMatchHeader = None,
):
    """Send only the fields to change. With ``If-Match``, a line changed since you read it
    (by hand or by a sales import) is refused (412)."""
    user = request.auth
    line = get_object_or_404(_sales_lines(user), pk=line_id)
    _require_director(user)
    data = resolve_refs(payload.changes(), _sales_line_refs(user))
    rows = _sales_lines(user)
    base = if_match(request, if_match_header, SalesLineOut, lambda x: rows.get(pk=x.pk))
    line = services.sales_line_update(by=user, line=line, base=base, **data)
    return tagged(request, response, SalesLineOut, _sales_lines(user).get(pk=line.pk))
