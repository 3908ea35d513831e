"""erlen's ``validated_json`` app: a typed view (``Body[Order]`` → ``Receipt``)."""

from __future__ import annotations

from typing import Any

from bench.apps.validated import Order
from bench.apps.validated import OrderDC
from bench.apps.validated import Receipt
from bench.apps.validated import ReceiptDC
from bench.apps.validated import totals
from erlen import Erlen
from erlen.api import Body


def create_app(variant: str = "pydantic") -> Any:
    app = Erlen(__name__)
    if variant == "pydantic":

        @app.post("/validated")
        def create(order: Body[Order]) -> Receipt:
            items, total = totals(order)
            return Receipt(customer=order.customer, items=items, total=total)

    else:

        @app.post("/validated")
        def create_dc(order: Body[OrderDC]) -> ReceiptDC:
            items, total = totals(order)
            return ReceiptDC(order.customer, items, total)

    return app
