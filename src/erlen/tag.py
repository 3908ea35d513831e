"""Compact, lossless JSON for session data: tuples, bytes, Markup, UUID, datetime.

Plain JSON would turn a tuple into a list and refuse bytes.  Each such value
is written as a one-key object ``{" t": [...]}``; the leading space keeps the
tag keys out of the way of ordinary dict keys.  The tags and their formats are
Flask's (``flask.json.tag``), so a session cookie signed by a Flask app with
the same secret key stays readable after moving to erlen.

Add a type by subclassing :class:`JSONTag` and calling
:meth:`TaggedJSONSerializer.register`.
"""

from __future__ import annotations

import json
import typing as t
from base64 import b64decode
from base64 import b64encode
from datetime import datetime
from uuid import UUID

from markupsafe import Markup

from .http import http_date
from .http import parse_date

__all__ = ["JSONTag", "TaggedJSONSerializer"]


class JSONTag:
    """One tagged type: how to recognise it and convert it to and from JSON."""

    __slots__ = ("serializer",)

    #: The tag's key in the one-key object; empty for tags that only recurse
    #: into containers and never appear in the output.
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: t.Any) -> bool:
        """True if this tag handles ``value``."""
        raise NotImplementedError

    def to_json(self, value: t.Any) -> t.Any:
        """``value`` as JSON-compatible data (still untagged)."""
        raise NotImplementedError

    def to_python(self, value: t.Any) -> t.Any:
        """The JSON data back to the Python object."""
        raise NotImplementedError

    def tag(self, value: t.Any) -> t.Any:
        """``value`` converted and wrapped in the one-key tag object."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A dict whose only key looks like a tag, so untagging cannot misread it."""

    __slots__ = ()
    key = " di"

    def check(self, value: t.Any) -> bool:
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: t.Any) -> t.Any:
        key = next(iter(value))
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: t.Any) -> t.Any:
        key = next(iter(value))
        return {key[:-2]: value[key]}


class PassDict(JSONTag):
    """Any other dict: its values are tagged, the dict itself is not."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: t.Any) -> t.Any:
        tag = self.serializer.tag
        return {k: tag(v) for k, v in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    __slots__ = ()
    key = " t"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: t.Any) -> t.Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    def to_python(self, value: t.Any) -> t.Any:
        return tuple(value)


class PassList(JSONTag):
    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: t.Any) -> t.Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    __slots__ = ()
    key = " b"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: t.Any) -> t.Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: t.Any) -> t.Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """Anything with ``__html__`` comes back as :class:`~markupsafe.Markup`."""

    __slots__ = ()
    key = " m"

    def check(self, value: t.Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: t.Any) -> t.Any:
        return str(value.__html__())

    def to_python(self, value: t.Any) -> t.Any:
        return Markup(value)


class TagUUID(JSONTag):
    __slots__ = ()
    key = " u"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: t.Any) -> t.Any:
        return value.hex

    def to_python(self, value: t.Any) -> t.Any:
        return UUID(value)


class TagDateTime(JSONTag):
    """Datetimes as HTTP dates: whole seconds, back as aware UTC."""

    __slots__ = ()
    key = " d"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: t.Any) -> t.Any:
        return http_date(value)

    def to_python(self, value: t.Any) -> t.Any:
        return parse_date(value)


_PLAIN = frozenset({str, int, float, bool, type(None)})
#: The tags that leave those plain values alone.
_PLAIN_SAFE_TAGS = frozenset(
    {TagDict, PassDict, TagTuple, PassList, TagBytes, TagMarkup, TagUUID, TagDateTime}
)


class TaggedJSONSerializer:
    """``dumps``/``loads`` for values plain JSON cannot round-trip.

    Tags are tried in order; the first whose ``check`` accepts a value wins.
    """

    default_tags: list[type[JSONTag]] = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        self._plain_pass = True
        self._spaced_keys = True
        for cls in self.default_tags:
            self.register(cls)
        # PERF: json.dumps/loads with arguments build a new encoder or decoder
        # (and its scanner) per call; the cookie session calls both per request.
        self._encoder = json.JSONEncoder(separators=(",", ":"))
        self._decoder = json.JSONDecoder(object_hook=self.untag)
        # Text that cannot hold a tag needs no object hook (see ``loads``),
        # and plain data no tagging (see ``dumps``), unless a subclass
        # changed what tagging does.
        own = type(self)
        self._untagged_decoder = (
            json.JSONDecoder()
            if own.untag is TaggedJSONSerializer.untag
            else self._decoder
        )
        self._own_tag = own.tag is TaggedJSONSerializer.tag
        # The C encoder JSONEncoder.encode would build on every call, built
        # once; without circular-reference markers (see ``dumps``).
        make = getattr(json.encoder, "c_make_encoder", None)
        self._fast_encode = (
            None
            if make is None
            else make(
                None,
                self._encoder.default,
                json.encoder.encode_basestring_ascii,
                None,
                ":",
                ",",
                False,
                False,
                True,
            )
        )

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Add a tag; ``index`` puts it before existing ones (default: last).

        Registering a key twice is a KeyError unless ``force`` is set.
        """
        if tag_class not in _PLAIN_SAFE_TAGS:
            # Another tag may claim plain values too: ask every tag.
            self._plain_pass = False
        tag = tag_class(self)
        key = tag.key
        if key:
            if key[:1] != " ":
                # ``loads`` can no longer tell tag-free text at a glance.
                self._spaced_keys = False
            if not force and key in self.tags:
                raise KeyError(f"Tag '{key}' is already registered.")
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)

    def tag(self, value: t.Any) -> t.Any:
        """``value`` with every value that needs it wrapped in its tag."""
        if value.__class__ in _PLAIN and self._plain_pass:
            # PERF: no default tag takes a str, number, bool or None.
            return value
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def _untouched(self, value: t.Any) -> bool:
        """True when :meth:`tag` would give back ``value`` unchanged: only
        exact JSON types, and no one-key dict whose key is a tag's."""
        cls = value.__class__
        if cls is dict:
            if len(value) == 1 and next(iter(value)) in self.tags:
                return False
            items: t.Iterable[t.Any] = value.values()
        elif cls is list:
            items = value
        else:
            return cls in _PLAIN
        for item in items:
            if item.__class__ not in _PLAIN and not self._untouched(item):
                return False
        return True

    def untag(self, value: dict[str, t.Any]) -> t.Any:
        """One decoded JSON object back to Python (a ``json`` object hook)."""
        if len(value) != 1:
            return value
        key = next(iter(value))
        tag = self.tags.get(key)
        if tag is None:
            return value
        return tag.to_python(value[key])

    def dumps(self, value: t.Any) -> str:
        """Tag ``value`` and serialise it compactly."""
        # PERF: the usual session, JSON types only, is written as it is
        # rather than copied by tag() first (bench `session`).
        if self._plain_pass and self._own_tag and self._untouched(value):
            tagged = value
        else:
            tagged = self.tag(value)
        fast = self._fast_encode
        if fast is not None:
            try:
                return "".join(fast(tagged, 0))
            except RecursionError:
                pass  # a cycle: the checked encoder says so (ValueError)
        return self._encoder.encode(tagged)

    def loads(self, value: str | bytes) -> t.Any:
        """Parse and untag.  Malformed data of any kind raises ValueError."""
        try:
            if not isinstance(value, str):
                value = value.decode(json.detect_encoding(value), "surrogatepass")
            decoder = self._decoder
            if self._spaced_keys and '" ' not in value and '"\\' not in value:
                # PERF: every tag key starts with a space, and no string here
                # does (literally or escaped): no object is a tag, so the
                # scanner needs no Python hook per object (bench `session`).
                decoder = self._untagged_decoder
            try:
                # PERF: the scanner straight away; JSONDecoder.decode adds two
                # whitespace regex calls.  Anything but one bare value, and
                # every error, takes the full decode.
                obj, end = decoder.scan_once(value, 0)  # type: ignore[attr-defined]
                if end == len(value):
                    return obj
            except (StopIteration, ValueError):
                pass
            return decoder.decode(value)
        except ValueError:
            raise
        except Exception as e:  # a tag's payload of the wrong type
            raise ValueError(f"malformed tagged JSON: {e}") from e
