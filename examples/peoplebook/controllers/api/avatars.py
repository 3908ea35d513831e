"""Avatars: upload with type and size checks, then serve them safely.

The type comes from the file's first bytes, not from the name or the
``Content-Type`` the client claims, and only raster formats browsers show
inline are taken (no SVG: it can carry script).  Bytes are stored in the
database, so every instance behind the load balancer can serve them.
"""

from __future__ import annotations

import typing as t

from erlen import Response
from erlen import current_app
from erlen import request
from erlen import url_for
from erlen.auth import login_required
from erlen.jsonapi import json_abort

from ...extensions import db
from ...models import Avatar
from . import bp
from .people import get_person_or_404

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image(data: bytes) -> str | None:
    """The image type of ``data`` by its magic bytes, or None."""
    for magic, content_type in _SIGNATURES:
        if data.startswith(magic):
            return content_type
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@bp.post("/people/<int:person_id>/avatar")
@login_required
def upload_avatar(person_id: int) -> t.Any:
    person = get_person_or_404(person_id)
    upload = request.files.get("avatar")
    if upload is None or not upload.filename:
        json_abort(422, "Send the picture as the 'avatar' field of a form.")
    limit = int(current_app.config["AVATAR_MAX_BYTES"])
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        json_abort(413, f"The picture is larger than {limit} bytes.")
    if not data:
        json_abort(422, "The picture is empty.", errors={"avatar": ["is empty"]})
    content_type = sniff_image(data)
    if content_type is None:
        json_abort(
            415,
            "The picture must be a PNG, JPEG, GIF or WebP image.",
            errors={"avatar": ["is not a PNG, JPEG, GIF or WebP image"]},
        )
    avatar = db.session.get(Avatar, person.id)
    if avatar is None:
        avatar = Avatar(person_id=person.id)
        db.session.add(avatar)
    avatar.content_type = content_type
    avatar.data = data
    db.session.commit()
    location = url_for("api.avatar", person_id=person.id, _external=True)
    body = {"person": person.id, "content_type": content_type, "size": len(data)}
    return body, 201, {"Location": location}


@bp.get("/people/<int:person_id>/avatar")
@login_required
def avatar(person_id: int) -> Response:
    person = get_person_or_404(person_id)
    stored = db.session.get(Avatar, person.id)
    if stored is None:
        json_abort(404, f"Person {person_id} has no avatar.")
    return Response(
        stored.data,
        mimetype=stored.content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=60",
        },
    )


@bp.delete("/people/<int:person_id>/avatar")
@login_required
def delete_avatar(person_id: int) -> t.Any:
    person = get_person_or_404(person_id)
    stored = db.session.get(Avatar, person.id)
    if stored is None:
        json_abort(404, f"Person {person_id} has no avatar.")
    db.session.delete(stored)
    db.session.commit()
    return "", 204
