"""A typed JSON API used by the OpenAPI, /docs and schemathesis tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import typing as t
import uuid
from typing import Literal

from erlen import Blueprint
from erlen import Erlen
from erlen.api import Body
from erlen.api import Header
from erlen.api import Query
from erlen.api import doc
from erlen.api import enable_docs
from erlen.jsonapi import JSONErrors
from erlen.jsonapi import json_abort


class Status(enum.Enum):
    OPEN = "open"
    DONE = "done"


@dataclasses.dataclass
class TaskIn:
    """A task to create."""

    title: str
    priority: int = 1
    status: Status = Status.OPEN
    labels: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Task:
    """A stored task."""

    id: uuid.UUID
    title: str
    priority: int
    status: Status
    labels: list[str]
    created: dt.datetime


class TaskPatch(t.TypedDict, total=False):
    title: str
    status: Status


api = Blueprint("tasks", __name__, url_prefix="/api")
_tasks: dict[uuid.UUID, Task] = {}


@api.get("/tasks")
def list_tasks(
    status: Query[Status | None] = None,
    limit: Query[int] = 20,
    order: Query[Literal["created", "priority"]] = "created",
) -> list[Task]:
    """List tasks.

    Filtered by status, newest first unless ordered by priority.
    """
    found = [t for t in _tasks.values() if status is None or t.status == status]
    if order == "priority":
        found.sort(key=lambda t: t.priority)
    return found[: max(limit, 0)]


@api.post("/tasks")
@doc(status=201)
def create_task(
    task: Body[TaskIn], x_request_id: Header[str | None] = None
) -> tuple[Task, int]:
    """Create a task."""
    if len(_tasks) >= 1000:
        _tasks.clear()
    new = Task(
        uuid.uuid4(),
        task.title,
        task.priority,
        task.status,
        list(task.labels),
        dt.datetime.now(dt.timezone.utc),
    )
    _tasks[new.id] = new
    return new, 201


@api.get("/tasks/<uuid:task_id>")
@doc(responses={404: "No such task."})
def get_task(task_id: uuid.UUID) -> Task:
    """One task."""
    task = _tasks.get(task_id)
    if task is None:
        json_abort(404, "No such task.")
    return task


@api.patch("/tasks/<uuid:task_id>")
@doc(responses={404: "No such task."})
def patch_task(task_id: uuid.UUID, changes: Body[TaskPatch]) -> Task:
    """Change the title or status of a task."""
    task = _tasks.get(task_id)
    if task is None:
        json_abort(404, "No such task.")
    if "title" in changes:
        task.title = changes["title"]
    if "status" in changes:
        task.status = changes["status"]
    return task


def create_app() -> Erlen:
    app = Erlen(__name__)
    app.config.update(SECRET_KEY="test", OPENAPI_TITLE="Tasks", OPENAPI_VERSION="1.0")
    JSONErrors(app)
    app.register_blueprint(api)
    enable_docs(app)
    return app


app = create_app()
