"""``request.accept_languages.best_match`` when nothing (or only a region) matches."""

from __future__ import annotations

import pytest

from erlen import Erlen
from erlen import request


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, None),  # no header: the default, not a RecursionError
        ("fr", None),  # nothing offered matches
        ("de-AT, fr;q=0.5", "de"),  # the primary language matches
        ("en-gb", "en-GB"),
        ("fr, de;q=0.8", "de"),
    ],
)
def test_best_match(app: Erlen, header: str | None, expected: str | None) -> None:
    headers = {"Accept-Language": header} if header else {}
    with app.test_request_context(headers=headers):
        assert request.accept_languages.best_match(["en-GB", "de"]) == expected
