from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kam.core.access import can_manage_company_data
from kam.core.forms import distinct_values, form_status, report_saved, run_service

from . import services
from .forms import ProductFilterForm, ProductForm
from .models import Product


@login_required
def product_list(request):
    filters = ProductFilterForm(request.GET)
    products = filters.apply(Product.objects.all())
    categories = distinct_values(Product.objects.all(), "category")
    page = Paginator(products.order_by("name", "pk"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "products/list.html",
        {
            "page": page,
            "q": filters.cleaned_data.get("q", ""),
            "category": filters.cleaned_data.get("category", ""),
            "query": query.urlencode(),
            "categories": categories,
            "nav": "products",
            "can_edit": can_manage_company_data(request.user),
        },
    )


@login_required
def product_detail(request, pk: int):
    product = get_object_or_404(Product, pk=pk)
    prices = product.audit.select_related("history_user").order_by("-history_date")[:50]
    return render(
        request,
        "products/detail.html",
        {
            "product": product,
            "prices": prices,
            "nav": "products",
            "can_edit": can_manage_company_data(request.user),
        },
    )


def _product_form(request, product=None):
    if not can_manage_company_data(request.user):
        raise PermissionDenied
    # The form validates on its own copy; the service writes (and audits) the real row.
    form = ProductForm(
        request.POST or None, instance=Product.objects.get(pk=product.pk) if product else None
    )
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: (
                services.product_update(
                    by=request.user, product=product, base=form.base, **form.cleaned_data
                )
                if product
                else services.product_create(by=request.user, **form.cleaned_data)
            ),
        )
        if saved:
            report_saved(request, form, _("Changes saved."))
            return redirect("products:detail", pk=saved.pk)
    return render(
        request,
        "products/form.html",
        {
            "form": form,
            "product": product,
            "nav": "products",
            "title": _("Edit product") if product else _("New product"),
        },
        status=form_status(form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request):
    return _product_form(request)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request, pk: int):
    return _product_form(request, get_object_or_404(Product, pk=pk))
