"""The debug error page: the traceback of an unhandled exception, in debug mode only.

It shows code, never runs any: there is no console and no script on the
page (its Content-Security-Policy forbids scripts).  Local variables are
shown only for frames of the app's own code; frames in the standard library,
site-packages or erlen itself show their source lines and nothing else.
"""

from __future__ import annotations

import html
import json
import linecache
import os
import reprlib
import sys
import sysconfig
import types
import typing as t

if t.TYPE_CHECKING:
    from .request import Request
    from .response import Response

CONTEXT_LINES = 5
MAX_LOCALS = 40

_repr = reprlib.Repr()
_repr.maxstring = 160
_repr.maxother = 160
_repr.maxlevel = 3


def _library_prefixes() -> tuple[str, ...]:
    paths = {os.path.dirname(os.path.abspath(__file__))}
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        value = sysconfig.get_paths().get(name)
        if value:
            paths.add(value)
    paths.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return tuple(os.path.join(os.path.realpath(p), "") for p in paths)


_LIBRARY_PREFIXES = _library_prefixes()


def is_app_code(filename: str) -> bool:
    """Whether a frame's file is the app's own (not stdlib, site-packages, erlen)."""
    if not filename or filename.startswith("<"):
        return False
    path = os.path.realpath(filename)
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    return not path.startswith(_LIBRARY_PREFIXES)


def _safe_repr(value: object) -> str:
    try:
        return _repr.repr(value)
    except Exception as e:  # a broken __repr__ must not break the page
        return f"<repr failed: {type(e).__name__}>"


class Frame:
    """One traceback entry, with its source lines and, for app code, locals."""

    __slots__ = ("filename", "lineno", "function", "lines", "first_line", "locals")

    def __init__(self, tb: types.TracebackType) -> None:
        frame = tb.tb_frame
        code = frame.f_code
        self.filename = code.co_filename
        self.lineno = tb.tb_lineno
        self.function = code.co_name
        start = max(1, self.lineno - CONTEXT_LINES)
        linecache.checkcache(self.filename)
        self.lines = [
            linecache.getline(self.filename, n, frame.f_globals).rstrip("\n")
            for n in range(start, self.lineno + CONTEXT_LINES + 1)
        ]
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        self.first_line = start
        self.locals: dict[str, str] | None = None
        if is_app_code(self.filename):
            items = list(frame.f_locals.items())[:MAX_LOCALS]
            self.locals = {k: _safe_repr(v) for k, v in items}

    def to_dict(self) -> dict[str, t.Any]:
        rv: dict[str, t.Any] = {
            "file": self.filename,
            "line": self.lineno,
            "function": self.function,
            "code": self.lines[self.lineno - self.first_line]
            if 0 <= self.lineno - self.first_line < len(self.lines)
            else "",
            "app_code": self.locals is not None,
        }
        if self.locals is not None:
            rv["locals"] = self.locals
        return rv


class Traceback:
    """An exception and the chain it came from (``raise ... from``, context)."""

    def __init__(self, exc: BaseException) -> None:
        newest_first: list[tuple[BaseException, list[Frame]]] = []
        links: list[str] = []
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            frames = []
            tb = current.__traceback__
            while tb is not None:
                frames.append(Frame(tb))
                tb = tb.tb_next
            newest_first.append((current, frames))
            if current.__cause__ is not None:
                current = current.__cause__
                links.append("The above exception was the direct cause of:")
            elif current.__context__ is not None and not current.__suppress_context__:
                current = current.__context__
                links.append("While handling the above exception, another happened:")
            else:
                current = None
        # Oldest first, as Python prints it, each followed by how it led on.
        links = [*reversed(links[: len(newest_first) - 1]), ""]
        self.chain = [
            (e, frames, link)
            for (e, frames), link in zip(reversed(newest_first), links, strict=True)
        ]

    @property
    def exception(self) -> BaseException:
        return self.chain[-1][0]

    def to_dict(self) -> dict[str, t.Any]:
        exc = self.exception
        return {
            "error": "Internal Server Error",
            "debug": True,
            "exception": _name(exc),
            "message": str(exc),
            "traceback": [
                {
                    "exception": _name(e),
                    "message": str(e),
                    "frames": [f.to_dict() for f in frames],
                }
                for e, frames, _link in self.chain
            ],
        }


def _name(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__
    if module in ("builtins", "__main__"):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
.banner{background:#b00020;color:#fff;padding:10px 20px;font-weight:700;
letter-spacing:.05em}
main{padding:0 20px 40px}h1{font-size:22px;margin:18px 0 4px}
.msg{font:15px ui-monospace,monospace;background:#fff3f3;border-left:4px solid #b00020;
padding:8px 12px;white-space:pre-wrap;word-break:break-word}
.frame{background:#fff;border:1px solid #ddd;margin:10px 0;border-radius:4px}
.frame.lib{opacity:.75}.where{padding:6px 10px;background:#f0f0f0;
font:13px ui-monospace,monospace}
pre{margin:0;padding:6px 0;font:13px/1.4 ui-monospace,monospace;overflow-x:auto}
.ln{display:inline-block;width:4em;color:#999;text-align:right;padding-right:1em}
.cur{background:#ffe9a8;display:block}
table{border-collapse:collapse;margin:0 10px 8px;font:12px ui-monospace,monospace}
td{border-top:1px solid #eee;padding:2px 8px;vertical-align:top}
.link{margin:18px 0 6px;color:#555;font-style:italic}
"""


def _frame_html(frame: Frame) -> str:
    e = html.escape
    rows = []
    for offset, line in enumerate(frame.lines):
        n = frame.first_line + offset
        text = f'<span class="ln">{n}</span>{e(line)}'
        rows.append(f'<span class="cur">{text}</span>' if n == frame.lineno else text)
    code = "\n".join(rows) or "(source not available)"
    local_rows = ""
    if frame.locals:
        cells = "".join(
            f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in frame.locals.items()
        )
        local_rows = f"<table>{cells}</table>"
    kind = "frame" if frame.locals is not None else "frame lib"
    return (
        f'<div class="{kind}"><div class="where">{e(frame.filename)}, line'
        f" {frame.lineno}, in <b>{e(frame.function)}</b></div>"
        f"<pre>{code}</pre>{local_rows}</div>"
    )


def render_html(tb: Traceback, request: Request | None = None) -> str:
    e = html.escape
    exc = tb.exception
    where = ""
    if request is not None:
        where = f"<p>{e(request.method)} {e(request.url)}</p>"
    parts = []
    for exc_i, frames, link in tb.chain:
        parts.append(f'<p class="msg">{e(_name(exc_i))}: {e(str(exc_i))}</p>')
        parts.extend(_frame_html(f) for f in frames)
        if link:
            parts.append(f'<p class="link">{e(link)}</p>')
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{e(_name(exc))} // erlen debug</title><style>{_CSS}</style></head>"
        '<body><div class="banner">DEBUG MODE: never run with debug on in production'
        " or on a network you do not trust.</div><main>"
        f"<h1>{e(_name(exc))}</h1>{where}"
        f'<p class="msg">{e(str(exc))}</p>'
        "<h2>Traceback <small>(most recent call last)</small></h2>"
        + "".join(parts)
        + "<p>Local variables are shown for your app's frames only.</p>"
        "</main></body></html>\n"
    )


def _wants_json(request: Request | None) -> bool:
    if request is None:
        return False
    try:
        if request.is_json:
            return True
        best = request.accept_mimetypes.best_match(
            ["text/html", "application/json"], "text/html"
        )
        return best == "application/json"
    except Exception:  # a malformed header must not hide the real error
        return False


_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def debug_response(exc: BaseException, request: Request | None = None) -> Response:
    """The 500 response for ``exc`` in debug mode: HTML, or JSON if preferred."""
    from .response import Response

    tb = Traceback(exc)
    if _wants_json(request):
        body = json.dumps(tb.to_dict(), indent=2)
        response = Response(body, 500, mimetype="application/json")
    else:
        response = Response(render_html(tb, request), 500, mimetype="text/html")
    for key, value in _HEADERS.items():
        response.headers[key] = value
    return response
