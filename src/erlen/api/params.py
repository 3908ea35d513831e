"""Where a view parameter comes from: ``Query[int]``, ``Body[ItemIn]`` ...

Each marker is a generic ``typing.Annotated`` alias, so ``Query[int]`` *is*
``Annotated[int, Param("query")]``: type checkers see a plain ``int`` and erlen
reads the :class:`Param` when the view is registered.  For an alias or a
description, write the ``Annotated`` form yourself::

    def search(q: Annotated[str, Param("query", alias="search-term")]): ...
"""

from __future__ import annotations

import typing as t
from typing import Annotated

__all__ = ["Body", "Cookie", "File", "Form", "Header", "Param", "Path", "Query"]

T = t.TypeVar("T")

#: The locations a parameter can be read from (OpenAPI's ``in`` plus bodies).
LOCATIONS = ("query", "header", "cookie", "path", "body", "form", "file")


class Param:
    """The source of one view parameter, found in its ``Annotated`` metadata.

    ``alias`` is the name on the wire when it differs from the parameter's
    (a header's default name is the parameter's with ``_`` as ``-``).
    """

    __slots__ = ("location", "alias", "description")

    def __init__(
        self,
        location: str,
        *,
        alias: str | None = None,
        description: str | None = None,
    ) -> None:
        if location not in LOCATIONS:
            raise ValueError(f"unknown parameter location {location!r}")
        self.location = location
        self.alias = alias
        self.description = description

    def __repr__(self) -> str:
        return f"Param({self.location!r}, alias={self.alias!r})"


Query = Annotated[T, Param("query")]
Body = Annotated[T, Param("body")]
Form = Annotated[T, Param("form")]
Header = Annotated[T, Param("header")]
Cookie = Annotated[T, Param("cookie")]
Path = Annotated[T, Param("path")]
File = Annotated[T, Param("file")]
