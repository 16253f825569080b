"""API schemas for products and sales lines: what comes in, what goes out, and the list filters."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, FilterLookup, FilterSchema, Schema

from kam.clients.schemas import ClientRef
from kam.core.api import Money, Payload, Quantity, patch_schema
from kam.core.ids import Date, Id

MONEY_IN = 'Money as a string: "1234.50".'

# --- products ------------------------------------------------------------------------------


class ProductRef(Schema):
    id: int
    sku: str
    name: str


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    category: str
    unit: str
    list_price: Money | None
    unit_cost: Money | None
    is_active: bool


class ProductIn(Payload):
    sku: str = Field(description="SKU / ERP code; unique.")
    name: str
    category: str = ""
    unit: str = "pcs"
    list_price: Decimal | None = Field(None, description=MONEY_IN)
    unit_cost: Decimal | None = Field(None, description=MONEY_IN)
    is_active: bool = True


ProductPatch = patch_schema(ProductIn, "ProductPatch")


class ProductFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["sku__icontains", "name__icontains"])] = Field(
        None, description="Text in the SKU or name."
    )
    category: str | None = None
    is_active: bool | None = None


# --- sales lines ---------------------------------------------------------------------------


class SalesLineOut(Schema):
    id: int
    date: dt.date
    client: ClientRef
    product: ProductRef
    quantity: Quantity
    amount: Money
    cost: Money | None
    margin: Money | None = Field(description="Amount minus cost; null without a cost.")
    document_number: str


class SalesLineIn(Payload):
    date: Date
    client: Id = Field(description="Client id.")
    product: Id = Field(description="Product id.")
    quantity: Decimal = Field(description='A decimal as a string: "12.500".')
    amount: Decimal = Field(description=MONEY_IN)
    cost: Decimal | None = Field(None, description=MONEY_IN)
    document_number: str = ""


SalesLinePatch = patch_schema(SalesLineIn, "SalesLinePatch")


class SalesLineFilter(FilterSchema):
    client: Annotated[Id | None, FilterLookup("client_id")] = Field(None, description="Client id.")
    product: Annotated[Id | None, FilterLookup("product_id")] = Field(
        None, description="Product id."
    )
    date_from: Annotated[Date | None, FilterLookup("date__gte")] = Field(
        None, description="On or after this date."
    )
    date_to: Annotated[Date | None, FilterLookup("date__lte")] = Field(
        None, description="On or before this date."
    )
    document_number: str | None = None
