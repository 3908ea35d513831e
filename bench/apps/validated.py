"""The ``validated_json`` scenario's model, request and reply, shared by every app.

An order with nested lines is POSTed as JSON; the app validates it against the
model, and answers with a receipt serialised from a model.  The same pydantic
classes serve erlen, Flask + flask-pydantic and FastAPI; the dataclass twins
serve ``validated_json_dc`` (erlen's own validator; FastAPI's dataclass support).
"""

from __future__ import annotations

import dataclasses
import json

from pydantic import BaseModel


class Line(BaseModel):
    sku: str
    quantity: int
    price: float


class Order(BaseModel):
    customer: str
    email: str
    lines: list[Line]
    tags: list[str] = []
    note: str | None = None


class Receipt(BaseModel):
    customer: str
    items: int
    total: float


@dataclasses.dataclass
class LineDC:
    sku: str
    quantity: int
    price: float


@dataclasses.dataclass
class OrderDC:
    customer: str
    email: str
    lines: list[LineDC]
    tags: list[str] = dataclasses.field(default_factory=list)
    note: str | None = None


@dataclasses.dataclass
class ReceiptDC:
    customer: str
    items: int
    total: float


def totals(order: Order | OrderDC) -> tuple[int, float]:
    """Items and total of an order: the view's work, the same everywhere."""
    items = sum(line.quantity for line in order.lines)
    total = round(sum(line.quantity * line.price for line in order.lines), 2)
    return items, total


ORDER = {
    "customer": "alice",
    "email": "alice@example.com",
    "lines": [
        {"sku": "A-1", "quantity": 2, "price": 9.5},
        {"sku": "B-22", "quantity": 1, "price": 120.0},
        {"sku": "C-333", "quantity": 5, "price": 0.25},
    ],
    "tags": ["gift", "express"],
    "note": None,
}
ORDER_BODY = json.dumps(ORDER).encode()
RECEIPT = {"customer": "alice", "items": 8, "total": 140.25}
#: Wrong types in two places: every framework must refuse it with a 422.
INVALID_BODY = json.dumps(
    {"customer": 7, "email": "x", "lines": [{"sku": "A", "quantity": "two"}]}
).encode()
