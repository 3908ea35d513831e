"""erlen.mail against a real SMTP server (aiosmtpd) on a free loopback port."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import ssl
import subprocess
import threading
import typing as t
from email.message import EmailMessage
from pathlib import Path

import pytest

from erlen import Erlen
from erlen.mail import BadHeaderError
from erlen.mail import Mail
from erlen.mail import MailError
from erlen.mail import Message

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
aiosmtpd_smtp = pytest.importorskip("aiosmtpd.smtp")


class Recorder:
    """aiosmtpd handler keeping each envelope (sender, recipients, parsed message)."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], EmailMessage]] = []
        self.received = threading.Event()

    async def handle_DATA(self, server: t.Any, session: t.Any, envelope: t.Any) -> str:
        raw = envelope.content.replace(b"\r\n", b"\n")  # the wire uses CRLF
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        self.received.set()
        return "250 OK"


class LoopbackController(aiosmtpd_controller.Controller):  # type: ignore[misc]
    """Listens on a socket bound to port 0, so no port is ever guessed."""

    def __init__(self, handler: t.Any, **kwargs: t.Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        port = self.sock.getsockname()[1]
        super().__init__(
            handler, hostname="127.0.0.1", port=port, ready_timeout=5, **kwargs
        )

    def _create_server(self) -> t.Any:
        return self.loop.create_server(self._factory_invoker, sock=self.sock)


@pytest.fixture
def smtp_server() -> t.Iterator[tuple[LoopbackController, Recorder]]:
    handler = Recorder()
    controller = LoopbackController(handler, server_hostname="test.local")
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture
def mail_app(app: Erlen, smtp_server: tuple[t.Any, Recorder]) -> Erlen:
    controller, _ = smtp_server
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_DEFAULT_SENDER=("Erlen Site", "noreply@example.com"),
        MAIL_SUPPRESS_SEND=False,
        MAIL_TIMEOUT=5,
    )
    return app


def test_send_plain_text_over_smtp(
    mail_app: Erlen, smtp_server: tuple[t.Any, Recorder]
) -> None:
    _, handler = smtp_server
    mail = Mail(mail_app)
    msg = Message(
        "Grüße",
        recipients=["ann@example.com"],
        cc=[("Bob B", "bob@example.com")],
        bcc=["secret@example.com"],
        body="Hello Ann\n",
        reply_to="help@example.com",
    )
    with mail_app.app_context():
        mail.send(msg)
    [(mail_from, rcpt, got)] = handler.envelopes
    assert mail_from == "noreply@example.com"
    assert sorted(rcpt) == ["ann@example.com", "bob@example.com", "secret@example.com"]
    assert got["Subject"] == "Grüße"
    assert got["From"] == "Erlen Site <noreply@example.com>"
    assert got["To"] == "ann@example.com"
    assert got["Cc"] == "Bob B <bob@example.com>"
    assert got["Reply-To"] == "help@example.com"
    assert got["Bcc"] is None  # bcc gets the mail, but is never in the headers
    assert got["Message-ID"].endswith("@example.com>")
    assert got.get_content_type() == "text/plain"
    assert got.get_content() == "Hello Ann\n"


def test_html_alternative_and_attachments(
    mail_app: Erlen, smtp_server: tuple[t.Any, Recorder]
) -> None:
    _, handler = smtp_server
    mail = Mail(mail_app)
    msg = Message(
        "Report", recipients=["ann@example.com"], body="text", html="<b>hi</b>"
    )
    msg.attach("report.csv", data="a,b\n1,2\n")
    msg.attach(
        "logo.png",
        "image/png",
        b"\x89PNG\r\n\x00\xff",
        "inline",
        headers={"Content-ID": "<logo>"},
    )
    mail.send(msg)  # outside any context: Mail(app) knows its app
    [(_, _, got)] = handler.envelopes
    assert got.get_content_type() == "multipart/mixed"
    body = got.get_body(("plain",))
    html = got.get_body(("html",))
    assert body is not None and body.get_content() == "text\n"
    assert html is not None and html.get_content() == "<b>hi</b>\n"
    parts = list(got.iter_attachments())
    assert [p.get_filename() for p in parts] == ["report.csv", "logo.png"]
    assert parts[0].get_content_type() == "text/csv"
    assert parts[0].get_content() == "a,b\n1,2\n"  # text/*: decoded
    assert parts[1].get_content_disposition() == "inline"
    assert parts[1]["Content-ID"] == "<logo>"
    assert parts[1].get_content() == b"\x89PNG\r\n\x00\xff"


def test_one_connection_many_messages_and_max_emails(
    mail_app: Erlen, smtp_server: tuple[t.Any, Recorder], monkeypatch: t.Any
) -> None:
    _, handler = smtp_server
    mail_app.config["MAIL_MAX_EMAILS"] = 2
    mail = Mail(mail_app)
    from erlen.mail import backends

    opened: list[int] = []
    real_open = backends.SMTPBackend.open

    def counting_open(self: t.Any) -> None:
        opened.append(1)
        real_open(self)

    monkeypatch.setattr(backends.SMTPBackend, "open", counting_open)
    with mail_app.app_context(), mail.connect() as conn:
        for i in range(5):
            conn.send_message(f"n{i}", recipients=[f"u{i}@example.com"], body="x")
    assert [e[2]["Subject"] for e in handler.envelopes] == [f"n{i}" for i in range(5)]
    assert len(opened) == 3  # reconnected after every 2 messages


@pytest.mark.parametrize(
    "field, value",
    [
        ("subject", "Hi\r\nBcc: victim@example.com"),
        ("subject", "Hi\nthere"),
        ("recipients", ["a@example.com\r\nBcc: victim@example.com"]),
        ("recipients", [("Ann\n", "a@example.com")]),
        ("sender", "x@example.com\nBcc: victim@example.com"),
        ("reply_to", "r@example.com\r"),
        ("cc", ["c@example.com\n"]),
        ("bcc", ["c@example.com\n"]),
    ],
)
def test_header_injection_is_refused(
    mail_app: Erlen, smtp_server: tuple[t.Any, Recorder], field: str, value: t.Any
) -> None:
    _, handler = smtp_server
    mail = Mail(mail_app)
    kwargs: dict[str, t.Any] = {"subject": "ok", "recipients": ["a@example.com"]}
    kwargs[field] = value
    msg = Message(body="x", **kwargs)
    with pytest.raises(BadHeaderError, match="header injection"):
        mail.send(msg)
    assert handler.envelopes == []


def test_injection_in_extra_headers_and_filenames_is_refused() -> None:
    msg = Message("s", ["a@example.com"], body="x", sender="s@example.com")
    msg.attach("a\r\nX-Evil: 1.txt", data="x")
    assert msg.has_bad_headers()
    with pytest.raises(BadHeaderError):
        msg.as_bytes()
    msg = Message(
        "s",
        ["a@example.com"],
        body="x",
        sender="s@example.com",
        extra_headers={"X-Tag": "1\nBcc: v@example.com"},
    )
    with pytest.raises(BadHeaderError):
        msg.as_string()


@pytest.mark.parametrize("bad", ["a@example.com, b@example.com", "not-an-address"])
def test_one_address_per_entry(bad: str) -> None:
    msg = Message("s", [bad], body="x", sender="s@example.com")
    with pytest.raises(MailError, match="not one e-mail address"):
        msg.as_bytes()


def test_missing_sender_or_recipients_is_a_clear_error(app: Erlen) -> None:
    app.config["MAIL_SUPPRESS_SEND"] = True
    mail = Mail(app)
    with pytest.raises(MailError, match="no sender"):
        mail.send(Message("s", ["a@example.com"], body="x"))
    with pytest.raises(MailError, match="no recipients"):
        mail.send(Message("s", [], body="x", sender="s@example.com"))


def test_record_messages_with_suppressed_send(app: Erlen) -> None:
    assert app.testing  # MAIL_SUPPRESS_SEND follows TESTING, like Flask-Mail
    app.config.update(MAIL_DEFAULT_SENDER="s@example.com", MAIL_PORT=1)
    mail = Mail()
    mail.init_app(app)

    @app.post("/register")
    def register() -> str:
        mail.send_message("Welcome", recipients=["new@example.com"], body="hi")
        return "ok"

    with mail.record_messages() as outbox:
        assert app.test_client().post("/register").status_code == 200
    assert [(m.subject, m.recipients) for m in outbox] == [
        ("Welcome", ["new@example.com"])
    ]


def test_memory_backend_keeps_built_messages(app: Erlen) -> None:
    app.config.update(
        MAIL_BACKEND="memory",
        MAIL_SUPPRESS_SEND=False,
        MAIL_DEFAULT_SENDER="s@example.com",
    )
    mail = Mail(app)
    with app.app_context():
        mail.send(Message("one", ["a@example.com"], body="1"))
        mail.send(Message("two", ["b@example.com"], html="<p>2</p>"))
        assert [m["Subject"] for m in mail.outbox] == ["one", "two"]
        assert mail.outbox[1].get_content_type() == "text/html"


def test_console_backend_prints(app: Erlen, capsys: pytest.CaptureFixture[str]) -> None:
    app.config.update(
        MAIL_BACKEND="console",
        MAIL_SUPPRESS_SEND=False,
        MAIL_DEFAULT_SENDER="s@example.com",
    )
    Mail(app).send(Message("Reset", ["a@example.com"], body="your link"))
    out = capsys.readouterr().out
    assert "RCPT TO: a@example.com" in out
    assert "Subject: Reset" in out
    assert "your link" in out


def test_backend_object_of_your_own(app: Erlen) -> None:
    class Collect:
        def __init__(self) -> None:
            self.got: list[tuple[str, list[str]]] = []
            self.closed = 0

        def deliver(
            self,
            message: t.Any,
            sender: str,
            rcpt: list[str],
            mail_options: list[str],
            rcpt_options: list[str],
        ) -> None:
            self.got.append((sender, rcpt))

        def close(self) -> None:
            self.closed += 1

    backend = Collect()
    app.config.update(MAIL_BACKEND=backend, MAIL_SUPPRESS_SEND=False)
    Mail(app).send(
        Message(
            "x",
            ["b@example.com", "a@example.com"],
            body="x",
            sender=("S", "s@example.com"),
        )
    )
    assert backend.got == [("s@example.com", ["a@example.com", "b@example.com"])]
    assert backend.closed == 1


def test_unknown_backend_and_tls_ssl_together(app: Erlen) -> None:
    app.config.update(MAIL_BACKEND="pigeon", MAIL_SUPPRESS_SEND=False)
    mail = Mail(app)
    with pytest.raises(MailError, match="pigeon"):
        mail.connect()
    app.config.update(MAIL_BACKEND="smtp", MAIL_USE_TLS=True, MAIL_USE_SSL=True)
    with pytest.raises(MailError, match="exclusive"):
        mail.connect()


def test_password_never_sent_in_clear_to_a_remote_host(app: Erlen) -> None:
    app.config.update(
        MAIL_SERVER="mail.example.com",
        MAIL_USERNAME="u",
        MAIL_PASSWORD="p",
        MAIL_SUPPRESS_SEND=False,
    )
    with pytest.raises(MailError, match="clear text"):
        Mail(app).connect()


def test_send_async_uses_app_context_in_a_thread(
    mail_app: Erlen, smtp_server: tuple[t.Any, Recorder]
) -> None:
    _, handler = smtp_server
    mail = Mail()
    mail.init_app(mail_app)
    seen: list[str] = []

    @mail_app.post("/signup")
    def signup() -> tuple[str, int]:
        fut = mail.send_async(Message("Async", ["a@example.com"], body="x"))
        seen.append(type(fut).__name__)
        return "queued", 202

    resp = mail_app.test_client().post("/signup")
    assert resp.status_code == 202
    assert handler.received.wait(5)
    assert handler.envelopes[0][2]["Subject"] == "Async"
    assert seen == ["Future"]


def test_send_async_reports_failure(app: Erlen) -> None:
    app.config.update(MAIL_SUPPRESS_SEND=False, MAIL_DEFAULT_SENDER="s@example.com")
    mail = Mail(app)
    fut = mail.send_async(Message("x\nBcc: v@example.com", ["a@example.com"], body="x"))
    with pytest.raises(BadHeaderError):
        fut.result(timeout=5)


def test_refused_connection_raises(app: Erlen) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_SUPPRESS_SEND=False,
        MAIL_DEFAULT_SENDER="s@example.com",
        MAIL_TIMEOUT=2,
    )
    with pytest.raises(OSError):
        Mail(app).send(Message("x", ["a@example.com"], body="x"))


def _self_signed(tmp_path: Path) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        if os.environ.get("CI"):
            pytest.fail("the STARTTLS test needs openssl (apt-get install openssl)")
        pytest.skip("openssl not installed")
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


def test_starttls_and_login(app: Erlen, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    handler = Recorder()
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: t.Any, session: t.Any, envelope: t.Any, mechanism: str, auth_data: t.Any
    ) -> t.Any:
        logins.append((auth_data.login, auth_data.password))
        return aiosmtpd_smtp.AuthResult(success=auth_data.password == b"s3cret")

    controller = LoopbackController(
        handler,
        tls_context=server_ctx,
        require_starttls=True,
        authenticator=authenticator,
        server_hostname="test.local",
    )
    controller.start()
    try:
        client_ctx = ssl.create_default_context(cafile=cert)
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=controller.port,
            MAIL_USE_TLS=True,
            MAIL_USERNAME="ann",
            MAIL_PASSWORD="s3cret",
            MAIL_SSL_CONTEXT=client_ctx,
            MAIL_SUPPRESS_SEND=False,
            MAIL_DEFAULT_SENDER="s@example.com",
            MAIL_TIMEOUT=5,
        )
        Mail(app).send(Message("tls", ["a@example.com"], body="x"))
        assert logins == [(b"ann", b"s3cret")]
        assert handler.envelopes[0][2]["Subject"] == "tls"
        # The default context verifies the certificate: a self-signed one fails.
        app.config["MAIL_SSL_CONTEXT"] = None
        with pytest.raises(ssl.SSLCertVerificationError):
            Mail(app).send(Message("tls", ["a@example.com"], body="x"))
    finally:
        controller.stop()


def test_message_str_is_rfc5322() -> None:
    msg = Message("s", ["a@example.com"], body="x", sender="s@example.com")
    parsed = email.message_from_string(str(msg), policy=email.policy.default)
    assert parsed["To"] == "a@example.com"
    assert str(msg).count("\r\n") >= 5  # policy.SMTP: CRLF line ends
