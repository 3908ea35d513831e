"""schemathesis checks that the bounds in the document are the server's.

Data it draws inside the bounds must be accepted, data outside them refused
with a 4xx (never a 5xx), so a bound erlen enforces but does not document
(or documents but does not enforce) fails here.
"""

from __future__ import annotations

import dataclasses
import typing as t
from typing import Annotated

import pytest

from erlen import Erlen
from erlen.api import Body
from erlen.api import Field
from erlen.api import Header
from erlen.api import Query
from erlen.api import doc
from erlen.api import enable_docs

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

Code = Annotated[str, Field(min_length=2, max_length=6, pattern=r"^[A-Z]+$")]


@dataclasses.dataclass
class Line:
    code: Code
    quantity: Annotated[int, Field(ge=1, le=99)]
    weight: Annotated[float, Field(gt=0, lt=50)]


@dataclasses.dataclass
class Order:
    lines: Annotated[list[Line], Field(min_length=1, max_length=3)]
    boxes: Annotated[int, Field(ge=0, multiple_of=5)] = 0
    note: Annotated[str | None, Field(max_length=20)] = None


def create_app() -> Erlen:
    app = Erlen("bounded")
    app.config.update(TESTING=True)
    enable_docs(app)

    @app.post("/orders")
    @doc(status=201)
    def create(order: Body[Order]) -> tuple[Order, int]:
        return order, 201

    @app.get("/search")
    def search(
        q: Query[Annotated[str, Field(min_length=1, max_length=12)]],
        page: Query[Annotated[int, Field(ge=1, le=50)]] = 1,
        codes: Query[Annotated[list[Code], Field(max_length=3)]] = [],  # noqa: B006
        x_client: Header[Annotated[str | None, Field(pattern=r"^[a-z]{1,8}$")]] = None,
    ) -> dict[str, t.Any]:
        return {"q": q, "page": page, "codes": codes}

    return app


schema = schemathesis.openapi.from_wsgi("/openapi.json", create_app())


@schema.parametrize()
@hypothesis.settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_bounds_are_documented_as_enforced(case: schemathesis.Case) -> None:
    case.call_and_validate()
