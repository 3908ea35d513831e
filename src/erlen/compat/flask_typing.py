"""Names of ``flask.typing`` that erlen does not define itself."""

from __future__ import annotations

import typing as t

AppOrBlueprintKey = t.Union[str, None]  # noqa: UP007 - a runtime alias
BeforeFirstRequestCallable = t.Callable[[], None]
ShellContextProcessorCallable = t.Callable[[], dict[str, t.Any]]
