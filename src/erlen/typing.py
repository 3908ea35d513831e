"""Type aliases for users' annotations (the names Flask's ``typing`` has)."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from .response import Response

ResponseValue = t.Union[
    "Response",
    str,
    bytes,
    list[t.Any],
    t.Mapping[str, t.Any],
    t.Iterator[str],
    t.Iterator[bytes],
]
HeaderValue = str | list[str] | tuple[str, ...]
HeadersValue = t.Mapping[str, HeaderValue] | t.Sequence[tuple[str, HeaderValue]]
ResponseReturnValue = (
    ResponseValue
    | tuple[ResponseValue, HeadersValue]
    | tuple[ResponseValue, int]
    | tuple[ResponseValue, int, HeadersValue]
)
ResponseClass = t.TypeVar("ResponseClass", bound="Response")
RouteCallable = t.Callable[..., ResponseReturnValue]
BeforeRequestCallable = t.Callable[[], ResponseReturnValue | None]
AfterRequestCallable = t.Callable[[ResponseClass], ResponseClass]
TeardownCallable = t.Callable[[BaseException | None], None]
TemplateContextProcessorCallable = t.Callable[[], dict[str, t.Any]]
TemplateFilterCallable = t.Callable[..., t.Any]
TemplateGlobalCallable = t.Callable[..., t.Any]
TemplateTestCallable = t.Callable[..., bool]
URLDefaultCallable = t.Callable[[str, dict[str, t.Any]], None]
URLValuePreprocessorCallable = t.Callable[[str | None, dict[str, t.Any] | None], None]
ErrorHandlerCallable = t.Callable[[t.Any], ResponseReturnValue]
