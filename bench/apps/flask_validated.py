"""Flask + flask-pydantic's ``validated_json`` app, as its README shows it.

No ``from __future__ import annotations``: flask-pydantic reads the raw
``__annotations__`` and needs the classes, not strings.
"""

from typing import Any

from flask import Flask
from flask_pydantic import validate

from bench.apps.validated import Order
from bench.apps.validated import Receipt
from bench.apps.validated import totals


def create_app(variant: str = "pydantic") -> Any:
    if variant != "pydantic":
        raise NotImplementedError("flask-pydantic validates pydantic models only")
    app = Flask(__name__)
    # erlen and FastAPI answer 422; flask-pydantic's default is 400.
    app.config["FLASK_PYDANTIC_VALIDATION_ERROR_STATUS_CODE"] = 422

    @app.post("/validated")
    @validate()
    def create(body: Order) -> Receipt:
        items, total = totals(body)
        return Receipt(customer=body.customer, items=items, total=total)

    return app
