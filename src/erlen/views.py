"""Class-based views: ``View`` and ``MethodView``, as in Flask.

A class groups a resource's handlers (``get``, ``post``, ``delete``, ...) and
their shared set-up; :meth:`View.as_view` turns it into the plain function the
router registers, so the request path pays for nothing it would not pay for a
function view.
"""

from __future__ import annotations

import typing as t

from .globals import current_app
from .globals import request

if t.TYPE_CHECKING:
    from .typing import ResponseReturnValue

#: The lower-case method names MethodView dispatches to.
http_method_funcs: frozenset[str] = frozenset(
    ["get", "post", "head", "options", "delete", "put", "trace", "patch"]
)


class View:
    """Subclass and implement :meth:`dispatch_request`; register ``as_view()``.

    Class attributes set the route's options: ``methods`` (the methods the
    rule accepts), ``provide_automatic_options``, ``decorators`` (applied to
    the generated view function, first in the list innermost) and
    ``init_every_request`` (False makes one instance serve every request; it
    must then keep no per-request state on ``self``).
    """

    methods: t.ClassVar[t.Collection[str] | None] = None
    provide_automatic_options: t.ClassVar[bool | None] = None
    decorators: t.ClassVar[list[t.Callable[..., t.Any]]] = []
    init_every_request: t.ClassVar[bool] = True

    def dispatch_request(self) -> ResponseReturnValue:
        """Handle the request; URL variables arrive as keyword arguments."""
        raise NotImplementedError()

    @classmethod
    def as_view(
        cls, name: str, *class_args: t.Any, **class_kwargs: t.Any
    ) -> t.Callable[..., ResponseReturnValue]:
        """The view function for ``add_url_rule``; ``name`` is its endpoint.

        ``class_args``/``class_kwargs`` go to the constructor, either on every
        request or once, depending on ``init_every_request``.
        """
        view: t.Any
        if cls.init_every_request:

            def per_request(**kwargs: t.Any) -> t.Any:
                # view_class, not cls: a test may swap it on the function.
                self = view.view_class(*class_args, **class_kwargs)
                return current_app.ensure_sync(self.dispatch_request)(**kwargs)

            view = per_request
        else:
            instance = cls(*class_args, **class_kwargs)

            def shared(**kwargs: t.Any) -> t.Any:
                return current_app.ensure_sync(instance.dispatch_request)(**kwargs)

            view = shared

        if cls.decorators:
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                view = decorator(view)
        # Set after decorating: the router and the user read these off the
        # function that is actually registered.
        view.view_class = cls
        view.__name__ = name
        view.__doc__ = cls.__doc__
        view.__module__ = cls.__module__
        view.methods = cls.methods
        view.provide_automatic_options = cls.provide_automatic_options
        return view  # type: ignore[no-any-return]


class MethodView(View):
    """Dispatch to the method named after the request method: ``get``, ``post``...

    ``methods`` is filled in from the handlers the class defines or inherits,
    so a class with ``get`` and ``post`` answers exactly GET, HEAD, POST (and
    the automatic OPTIONS). ``HEAD`` uses ``get`` when there is no ``head``.
    """

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        for key in http_method_funcs:
            handler = cls.__dict__.get(key)
            if handler is not None and getattr(handler, "__annotations__", None):
                # Typed handlers (``Query[int]``...) validate as typed views do;
                # erlen.api is loaded only for annotated handlers.
                from .api.signature import typed_view

                setattr(cls, key, typed_view(handler) or handler)
        if "methods" in cls.__dict__:
            return
        methods: set[str] = set()
        for base in cls.__bases__:
            inherited = getattr(base, "methods", None)
            if inherited:
                methods.update(inherited)
        for key in http_method_funcs:
            if hasattr(cls, key):
                methods.add(key.upper())
        if methods:
            cls.methods = methods

    def dispatch_request(self, **kwargs: t.Any) -> ResponseReturnValue:
        method = request.method
        meth = getattr(self, method.lower(), None)
        if meth is None and method == "HEAD":
            meth = getattr(self, "get", None)
        assert meth is not None, f"Unimplemented method {method!r}"
        return current_app.ensure_sync(meth)(**kwargs)  # type: ignore[no-any-return]
