"""Typed views, validation and OpenAPI: the API layer (issue 14).

``Query[int]``, ``Body[ItemIn]`` ... mark where a view parameter comes from
and ``Annotated[int, Field(ge=1)]`` bounds a value; erlen validates and
converts it before the view runs (422 with every field error otherwise),
serialises the return value by its annotation, and builds an OpenAPI 3.1
document with ``app.openapi()``.  See docs/validation.md.
"""

from .constraints import Field as Field
from .docs import enable_docs as enable_docs
from .openapi import doc as doc
from .params import Body as Body
from .params import Cookie as Cookie
from .params import File as File
from .params import Form as Form
from .params import Header as Header
from .params import Param as Param
from .params import Path as Path
from .params import Query as Query
from .serialize import to_builtins as to_builtins
from .signature import validation_error as validation_error

__all__ = [
    "Body",
    "Cookie",
    "Field",
    "File",
    "Form",
    "Header",
    "Param",
    "Path",
    "Query",
    "doc",
    "enable_docs",
    "to_builtins",
    "validation_error",
]
