from .matrix import DIRECTOR_ONLY, Route


def company_only(name, **kwargs):
    return Route(name, allowed=DIRECTOR_ONLY, denied_status=lambda p: 403, **kwargs)


ROUTES = [
    Route("products:list"),
    Route("products:detail", own=lambda w: {"pk": w.product.pk}),
    company_only("products:create"),
    company_only("products:edit", own=lambda w: {"pk": w.product.pk}),
]
