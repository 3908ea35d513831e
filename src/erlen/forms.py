"""HTML forms on WTForms, with erlen's CSRF protection (Flask-WTF's style).

::

    from erlen.forms import Form, FileField, FileAllowed, FileSize
    from wtforms import StringField
    from wtforms.validators import DataRequired

    class UploadForm(Form):
        title = StringField(validators=[DataRequired()])
        photo = FileField(validators=[FileAllowed(["png", "jpg"]), FileSize(2**20)])

    @app.route("/upload", methods=["GET", "POST"])
    def upload():
        form = UploadForm()          # reads request.form + request.files
        if form.validate_on_submit():
            ...

A form carries a ``csrf_token`` field signed with the session's secret (the
token :mod:`erlen.csrf` issues), so it works with or without ``CSRFProtect``;
``meta={"csrf": False}`` or ``CSRF_ENABLED = False`` turns it off.
``init_app(app)`` adds the Jinja helpers ``render_field`` and
``render_errors``.  Needs the ``forms`` extra (``WTForms>=3``).
"""

from __future__ import annotations

import os
import typing as t

import wtforms
from markupsafe import Markup
from markupsafe import escape
from wtforms.csrf.core import CSRF
from wtforms.validators import DataRequired
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError

from .csrf import ValidationError as CSRFValidationError
from .csrf import generate_csrf
from .csrf import validate_csrf
from .datastructures import CombinedMultiDict
from .datastructures import FileStorage
from .globals import _cv_context

if t.TYPE_CHECKING:
    from .app import Erlen

__all__ = [
    "FileAllowed",
    "FileField",
    "FileRequired",
    "FileSize",
    "FileType",
    "Form",
    "MultipleFileField",
    "init_app",
    "render_errors",
    "render_field",
]

SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MISSING = object()


def _request() -> t.Any:
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        return None
    return ctx.request


class _SessionCSRF(CSRF):
    """The token of :mod:`erlen.csrf`: session secret, signed, expiring."""

    def generate_csrf_token(self, csrf_token_field: t.Any) -> str:
        return generate_csrf()

    def validate_csrf_token(self, form: t.Any, field: t.Any) -> None:
        try:
            validate_csrf(field.data)
        except CSRFValidationError as e:
            raise ValidationError(str(e)) from None


def _csrf_default() -> bool:
    ctx = _cv_context.get(None)
    if ctx is None:
        return True
    config = ctx.app.config
    for key in ("CSRF_ENABLED", "WTF_CSRF_ENABLED"):
        if key in config:
            return bool(config[key])
    return True


class _Meta(wtforms.meta.DefaultMeta):
    csrf_class = _SessionCSRF
    csrf_field_name = "csrf_token"

    @property
    def csrf(self) -> bool:  # type: ignore[override]
        override = self.__dict__.get("_csrf")
        return _csrf_default() if override is None else bool(override)

    @csrf.setter
    def csrf(self, value: bool) -> None:
        self.__dict__["_csrf"] = value

    def wrap_formdata(self, form: t.Any, formdata: t.Any) -> t.Any:
        if formdata is _MISSING:
            request = _request()
            if request is None or request.method not in SUBMIT_METHODS:
                return None
            if request.files:
                return CombinedMultiDict([request.form, request.files])
            if request.form:
                return request.form
            if request.is_json:
                return _JSONFormData(request.get_json(silent=True))
            return None
        return formdata


class _JSONFormData(dict[str, list[t.Any]]):
    """A JSON object as WTForms formdata (``getlist``), for script clients."""

    def __init__(self, data: t.Any) -> None:
        super().__init__()
        if isinstance(data, dict):
            for key, value in data.items():
                self[key] = value if isinstance(value, list) else [value]

    def getlist(self, key: str) -> list[t.Any]:
        return self.get(key, [])


class Form(wtforms.Form):
    """A WTForms form bound to the current request, with a CSRF token."""

    Meta = _Meta

    def __init__(self, formdata: t.Any = _MISSING, **kwargs: t.Any) -> None:
        super().__init__(formdata=formdata, **kwargs)

    def is_submitted(self) -> bool:
        """True on POST, PUT, PATCH and DELETE."""
        request = _request()
        return request is not None and request.method in SUBMIT_METHODS

    def validate_on_submit(self, extra_validators: t.Any = None) -> bool:
        """``is_submitted() and validate()``: the one-line view idiom."""
        return self.is_submitted() and self.validate(extra_validators=extra_validators)

    def hidden_tag(self, *fields: t.Any) -> Markup:
        """The hidden fields (the CSRF token among them) as HTML."""
        chosen = fields or [
            f for f in self if isinstance(f.widget, wtforms.widgets.HiddenInput)
        ]
        return Markup("\n".join(str(f) for f in chosen))


# -- files ----------------------------------------------------------------------------


def _is_file(value: t.Any) -> bool:
    return isinstance(value, FileStorage) and bool(value.filename)


class FileField(wtforms.FileField):
    """A file input whose ``data`` is the uploaded :class:`FileStorage` or None."""

    def process_formdata(self, valuelist: list[t.Any]) -> None:
        files = [v for v in valuelist if _is_file(v)]
        self.data = files[0] if files else None


class MultipleFileField(wtforms.MultipleFileField):
    """Several files; ``data`` is a list of :class:`FileStorage`."""

    def process_formdata(self, valuelist: list[t.Any]) -> None:
        self.data = [v for v in valuelist if _is_file(v)]


def _files_of(field: t.Any) -> list[FileStorage]:
    data = field.data
    if isinstance(data, list):
        return [f for f in data if _is_file(f)]
    return [data] if _is_file(data) else []


class FileRequired(DataRequired):
    """At least one file was uploaded."""

    def __call__(self, form: t.Any, field: t.Any) -> None:
        if not _files_of(field):
            raise StopValidation(self.message or field.gettext("A file is required."))


class FileAllowed:
    """The file name ends in one of ``extensions`` (case-insensitive)."""

    def __init__(self, extensions: t.Iterable[str], message: str | None = None):
        self.extensions = {e.lower().lstrip(".") for e in extensions}
        self.message = message

    def __call__(self, form: t.Any, field: t.Any) -> None:
        for upload in _files_of(field):
            ext = os.path.splitext(upload.filename or "")[1].lower().lstrip(".")
            if ext not in self.extensions:
                raise StopValidation(
                    self.message
                    or "File type not allowed; expected "
                    + ", ".join(sorted(self.extensions))
                    + "."
                )


def _size(upload: FileStorage) -> int:
    stream = upload.stream
    try:
        position = stream.tell()
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(position)
        return size
    except (AttributeError, OSError, ValueError):
        return upload.content_length


class FileSize:
    """The file is at most ``max_size`` bytes (and at least ``min_size``)."""

    def __init__(self, max_size: int, min_size: int = 0, message: str | None = None):
        self.max_size = max_size
        self.min_size = min_size
        self.message = message

    def __call__(self, form: t.Any, field: t.Any) -> None:
        for upload in _files_of(field):
            size = _size(upload)
            if not self.min_size <= size <= self.max_size:
                raise StopValidation(
                    self.message
                    or f"File size must be between {self.min_size} and"
                    f" {self.max_size} bytes."
                )


# The first bytes of common types: the declared type must match the content.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
    "image/webp": (b"RIFF",),
}


class FileType:
    """The declared content type is one of ``mimetypes``.

    For PNG, JPEG, GIF, WebP and PDF the file's first bytes must match too,
    so a renamed script does not pass as an image.
    """

    def __init__(self, mimetypes: t.Iterable[str], message: str | None = None):
        self.mimetypes = {m.lower() for m in mimetypes}
        self.message = message

    def __call__(self, form: t.Any, field: t.Any) -> None:
        for upload in _files_of(field):
            mimetype = upload.mimetype
            if mimetype not in self.mimetypes or not _content_matches(upload, mimetype):
                raise StopValidation(
                    self.message
                    or "File type not allowed; expected "
                    + ", ".join(sorted(self.mimetypes))
                    + "."
                )


def _content_matches(upload: FileStorage, mimetype: str) -> bool:
    signatures = _SIGNATURES.get(mimetype)
    if not signatures:
        return True
    stream = upload.stream
    try:
        position = stream.tell()
        head = stream.read(16)
        stream.seek(position)
    except (AttributeError, OSError, ValueError):
        return False
    return any(head.startswith(sig) for sig in signatures)


# -- templates ------------------------------------------------------------------------


def render_errors(form_or_field: t.Any) -> Markup:
    """The errors of a field (or every field of a form) as a ``<ul>``."""
    if isinstance(form_or_field, wtforms.Form):
        messages = [m for f in form_or_field for m in f.errors]
        messages.extend(getattr(form_or_field, "form_errors", ()))
    else:
        messages = list(form_or_field.errors)
    if not messages:
        return Markup("")
    items = "".join(f"<li>{escape(m)}</li>" for m in messages)
    return Markup(f'<ul class="errors">{items}</ul>')


def render_field(field: t.Any, **attrs: t.Any) -> Markup:
    """Label, input and errors of ``field``; ``attrs`` go on the input.

    Invalid fields get ``aria-invalid="true"`` and ``aria-describedby``
    pointing at their error list.
    """
    if isinstance(field.widget, wtforms.widgets.HiddenInput):
        return Markup(field(**attrs))
    if field.errors:
        attrs.setdefault("aria-invalid", "true")
        attrs.setdefault("aria_describedby", f"{field.id}-errors")
    parts = [str(field.label), str(field(**attrs))]
    if field.errors:
        errors = str(render_errors(field)).replace(
            '<ul class="errors">', f'<ul class="errors" id="{escape(field.id)}-errors">'
        )
        parts.append(errors)
    return Markup(f'<div class="field">{"".join(parts)}</div>')


def init_app(app: Erlen) -> None:
    """Add ``render_field`` and ``render_errors`` to the app's templates."""
    app.jinja_env.globals.setdefault("render_field", render_field)
    app.jinja_env.globals.setdefault("render_errors", render_errors)
