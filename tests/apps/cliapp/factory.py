from __future__ import annotations

from erlen import Erlen


def create_app(greeting: str = "hi", *, loud: bool = False) -> Erlen:
    app = Erlen(f"factory-{greeting}")
    app.config["GREETING"] = greeting.upper() if loud else greeting
    return app


def no_app() -> str:
    return "not an app"


def broken_factory() -> Erlen:
    raise TypeError("a real bug inside the factory")
