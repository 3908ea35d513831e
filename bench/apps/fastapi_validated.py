"""FastAPI's ``validated_json`` app, driven in-process over ASGI (bench/asgi.py).

``async def`` views: FastAPI runs plain ``def`` views in a thread pool, which
its documentation recommends against for non-blocking work like this.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from bench.apps.validated import Order
from bench.apps.validated import OrderDC
from bench.apps.validated import Receipt
from bench.apps.validated import ReceiptDC
from bench.apps.validated import totals
from bench.asgi import InProcessASGI


def create_app(variant: str = "pydantic") -> Any:
    app = FastAPI()
    if variant == "pydantic":

        @app.post("/validated")
        async def create(order: Order) -> Receipt:
            items, total = totals(order)
            return Receipt(customer=order.customer, items=items, total=total)

    else:

        @app.post("/validated")
        async def create_dc(order: OrderDC) -> ReceiptDC:
            items, total = totals(order)
            return ReceiptDC(order.customer, items, total)

    return InProcessASGI(app)
