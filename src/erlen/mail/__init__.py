"""erlen.mail: Flask-Mail's API on the standard library's ``email`` and ``smtplib``.

``mail = Mail(app)``; ``mail.send(Message("Hi", recipients=[...], body=...))``.
Configuration uses Flask-Mail's names (``MAIL_SERVER``, ``MAIL_PORT``,
``MAIL_USE_TLS``, ...) plus ``MAIL_BACKEND`` = ``smtp`` | ``console`` |
``memory``.  Settings are read from ``app.config`` on every connection, so
changing them after ``init_app`` takes effect.  See docs/mail.md.
"""

from __future__ import annotations

import contextlib
import threading
import typing as t
from concurrent.futures import Future
from email.message import EmailMessage

from blinker import Namespace

from ..ctx import has_app_context
from ..globals import current_app
from .backends import Backend as Backend
from .backends import ConsoleBackend as ConsoleBackend
from .backends import MemoryBackend as MemoryBackend
from .backends import SMTPBackend as SMTPBackend
from .message import AddressLike as AddressLike
from .message import Attachment as Attachment
from .message import BadHeaderError as BadHeaderError
from .message import MailError as MailError
from .message import Message as Message
from .message import address_only

if t.TYPE_CHECKING:
    from ..app import Erlen

__all__ = [
    "Attachment",
    "BadHeaderError",
    "Connection",
    "ConsoleBackend",
    "Mail",
    "MailError",
    "MemoryBackend",
    "Message",
    "SMTPBackend",
    "email_dispatched",
]

_signals = Namespace()

#: Sent with ``message=`` after each message is handed to the backend (or
#: would have been, when ``MAIL_SUPPRESS_SEND`` is on); the sender is the app.
email_dispatched = _signals.signal("email-dispatched")

BACKENDS = ("smtp", "console", "memory")


class _State:
    """What one app keeps between connections: the shared outbox and console."""

    def __init__(self, mail: Mail, app: Erlen) -> None:
        self.mail = mail
        self.memory = MemoryBackend()
        self.console = ConsoleBackend()
        self.app = app

    def backend(self) -> tuple[Backend, bool, int | None, AddressLike | None]:
        config = self.app.config
        choice = config.get("MAIL_BACKEND", "smtp")
        name = choice.lower() if isinstance(choice, str) else ""
        backend: Backend
        if isinstance(choice, Backend):  # an object of your own
            backend = choice
        elif name == "smtp":
            backend = SMTPBackend(
                host=config.get("MAIL_SERVER", "localhost"),
                port=int(config.get("MAIL_PORT", 25)),
                use_tls=bool(config.get("MAIL_USE_TLS", False)),
                use_ssl=bool(config.get("MAIL_USE_SSL", False)),
                username=config.get("MAIL_USERNAME"),
                password=config.get("MAIL_PASSWORD"),
                timeout=float(config.get("MAIL_TIMEOUT", 10.0)),
                debug=int(config.get("MAIL_DEBUG", 0)),
                ssl_context=config.get("MAIL_SSL_CONTEXT"),
                local_hostname=config.get("MAIL_LOCAL_HOSTNAME"),
            )
        elif name == "console":
            backend = self.console
        elif name == "memory":
            backend = self.memory
        else:
            raise MailError(
                f"MAIL_BACKEND {choice!r} is not one of {', '.join(BACKENDS)}"
                " (or an object with deliver() and close())"
            )
        suppress = config.get("MAIL_SUPPRESS_SEND")
        if suppress is None:
            suppress = self.app.testing
        max_emails = config.get("MAIL_MAX_EMAILS")
        return backend, bool(suppress), max_emails, config.get("MAIL_DEFAULT_SENDER")


class Connection:
    """One session with the backend; send several messages over it.

    ``with mail.connect() as conn: conn.send(msg)``.  After ``MAIL_MAX_EMAILS``
    messages the SMTP connection is closed and opened again (servers limit it).
    """

    def __init__(self, state: _State) -> None:
        self.app = state.app
        self.backend, self.suppress, self.max_emails, self.default_sender = (
            state.backend()
        )
        self.num_emails = 0

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.backend.close()

    def send(self, message: Message, envelope_from: AddressLike | None = None) -> None:
        """Build ``message`` (refusing injected headers) and hand it over."""
        built: EmailMessage = message.to_email(self.default_sender)
        sender = envelope_from or message.sender or self.default_sender
        assert sender is not None  # to_email() refuses a message without one
        if not self.suppress:
            if self.max_emails and self.num_emails >= int(self.max_emails):
                self.backend.close()
                self.num_emails = 0
            self.backend.deliver(
                built,
                address_only(sender),
                sorted(message.send_to),
                message.mail_options,
                message.rcpt_options,
            )
        self.num_emails += 1
        email_dispatched.send(self.app, message=message)

    def send_message(self, *args: t.Any, **kwargs: t.Any) -> None:
        """``send(Message(*args, **kwargs))``."""
        self.send(Message(*args, **kwargs))


class Mail:
    """The extension: ``Mail(app)`` or ``mail = Mail()`` then ``mail.init_app(app)``."""

    def __init__(self, app: Erlen | None = None) -> None:
        self.app = app
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Erlen) -> None:
        app.extensions["mail"] = _State(self, app)

    def _state(self) -> _State:
        if has_app_context():
            app: Erlen = current_app._get_current_object()  # type: ignore[attr-defined]
        elif self.app is not None:
            app = self.app
        else:
            raise RuntimeError(
                "erlen.mail needs an app: call it inside an app context or pass"
                " the app to Mail(app)"
            )
        state = app.extensions.get("mail")
        if state is None:
            raise RuntimeError("Mail.init_app(app) was not called for this app")
        return t.cast(_State, state)

    def connect(self) -> Connection:
        """A connection to reuse for several messages (a context manager)."""
        return Connection(self._state())

    def send(self, message: Message) -> None:
        """Send one message now, over a connection of its own."""
        with self.connect() as connection:
            connection.send(message)

    def send_message(self, *args: t.Any, **kwargs: t.Any) -> None:
        """``send(Message(*args, **kwargs))``."""
        self.send(Message(*args, **kwargs))

    def send_async(self, message: Message) -> Future[None]:
        """Send from a background thread (with an app context), so a request
        does not wait for the SMTP server.

        The returned future holds the outcome; a failure is also logged on
        ``app.logger``, since nobody may be waiting for it.
        """
        app = self._state().app
        future: Future[None] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                with app.app_context():
                    self.send(message)
            except Exception as exc:
                app.logger.error("sending mail %r failed: %s", message.subject, exc)
                future.set_exception(exc)
            else:
                future.set_result(None)

        threading.Thread(target=run, name="erlen-mail").start()
        return future

    @property
    def outbox(self) -> list[EmailMessage]:
        """What ``MAIL_BACKEND = "memory"`` delivered (built messages)."""
        return self._state().memory.outbox

    @contextlib.contextmanager
    def record_messages(self) -> t.Iterator[list[Message]]:
        """Collect every message dispatched inside the block (even suppressed
        ones), for tests: ``with mail.record_messages() as outbox: ...``.
        """
        outbox: list[Message] = []

        def record(app: object, message: Message, **extra: object) -> None:
            outbox.append(message)

        with email_dispatched.connected_to(record):
            yield outbox
