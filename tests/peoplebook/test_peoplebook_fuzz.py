"""schemathesis fuzzes the example's typed people API from its own /docs
document, logged in as a user: no 5xx, every answer as documented (status,
content type, schema), invalid input refused with a 4xx.

One check is left out: "schema-valid data is accepted".  The document gives
types, not the rules ``validation.py`` adds (an email's shape, an age from
0 to 150, ``per_page`` up to 100): erlen.api has no way yet to put bounds
on a field, so such values are valid by the schema and rightly refused.
"""

from __future__ import annotations

import typing as t

import pytest
from pb_helpers import login
from pb_helpers import register

from erlen import Erlen

pytestmark = pytest.mark.slow  # a few seconds of generated requests

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")


@pytest.fixture
def credentials(pb_app: Erlen) -> dict[str, str]:
    client = pb_app.test_client()
    register(client)
    login(client)
    token = client.get("/api/session").get_json()["csrf_token"]
    cookie = client.get_cookie("peoplebook_session")
    assert cookie is not None
    return {"session": cookie.value, "csrf": token}


def test_people_api_conforms_to_its_document(
    pb_app: Erlen, credentials: dict[str, str]
) -> None:
    # The app (and its database) is made per test, so the schema is loaded
    # here and each operation's cases are drawn with Hypothesis directly.
    schema = schemathesis.openapi.from_wsgi("/openapi.json", pb_app)
    people = schema.include(path_regex=r"^/api/people(/\{person_id\})?$")
    operations = [result.ok() for result in people.get_all_operations()]
    assert len(operations) == 6  # list, create; get, put, patch, delete
    seen: dict[str, set[int]] = {}

    for operation in operations:

        @hypothesis.settings(
            max_examples=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(case=operation.as_strategy())
        def check(case: t.Any) -> None:
            # A cookie goes in case.cookies: the WSGI client drops a
            # hand-made Cookie header.
            case.cookies = {
                **(case.cookies or {}),
                "peoplebook_session": credentials["session"],
            }
            response = case.call_and_validate(
                headers={"X-CSRFToken": credentials["csrf"]},
                excluded_checks=[schemathesis.checks.positive_data_acceptance],
            )
            seen.setdefault(case.method, set()).add(response.status_code)

        check()
    # Logged in for real: requests got through to the views, not only 401s.
    assert 200 in seen["GET"], seen
    assert 401 not in set().union(*seen.values()), seen
