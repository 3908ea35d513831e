"""Where a built message goes: an SMTP server, the console, or a list.

A backend has ``deliver(message, sender, recipients, mail_options,
rcpt_options)`` and ``close()``; a :class:`~erlen.mail.Connection` drives it.
A backend that needs a connection opens it on the first ``deliver``, so a
message refused while it is built never costs a round trip.
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
import sys
import threading
import typing as t
from email.message import EmailMessage

from .message import MailError


@t.runtime_checkable
class Backend(t.Protocol):
    def deliver(
        self,
        message: EmailMessage,
        sender: str,
        recipients: list[str],
        mail_options: list[str],
        rcpt_options: list[str],
    ) -> None: ...

    def close(self) -> None: ...


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SMTPBackend:
    """``smtplib``, with TLS or SSL verified against the system's CAs."""

    def __init__(
        self,
        host: str = "localhost",
        port: int = 25,
        use_tls: bool = False,
        use_ssl: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        debug: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if use_tls and use_ssl:
            raise MailError("MAIL_USE_TLS and MAIL_USE_SSL are exclusive; pick one")
        if username and not (use_tls or use_ssl) and not _is_loopback(host):
            raise MailError(
                f"refusing to send MAIL_USERNAME/MAIL_PASSWORD in clear text to {host};"
                " set MAIL_USE_TLS or MAIL_USE_SSL"
            )
        self.host = host
        self.port = port
        self.use_tls = use_tls
        self.use_ssl = use_ssl
        self.username = username
        self.password = password
        self.timeout = timeout
        self.debug = debug
        self.ssl_context = ssl_context
        # smtplib asks DNS for our FQDN when this is None; that can take seconds.
        self.local_hostname = local_hostname or "localhost"
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        context = self.ssl_context
        if (self.use_tls or self.use_ssl) and context is None:
            context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.use_ssl:
            smtp = smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=context,
            )
        else:
            smtp = smtplib.SMTP(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
            )
        try:
            smtp.set_debuglevel(self.debug)
            if self.use_tls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        self.smtp = smtp

    def deliver(
        self,
        message: EmailMessage,
        sender: str,
        recipients: list[str],
        mail_options: list[str],
        rcpt_options: list[str],
    ) -> None:
        if self.smtp is None:
            self.open()
        assert self.smtp is not None
        self.smtp.send_message(
            message,
            from_addr=sender,
            to_addrs=recipients,
            mail_options=mail_options,
            rcpt_options=rcpt_options,
        )

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


class ConsoleBackend:
    """Prints each message to a stream (stdout by default): for development."""

    def __init__(self, stream: t.TextIO | None = None) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def open(self) -> None:
        pass

    def deliver(
        self,
        message: EmailMessage,
        sender: str,
        recipients: list[str],
        mail_options: list[str],
        rcpt_options: list[str],
    ) -> None:
        stream = self.stream or sys.stdout
        text = message.as_string()
        line = "-" * 72
        with self._lock:
            stream.write(
                f"{line}\nMAIL FROM: {sender}\nRCPT TO: {', '.join(recipients)}\n"
                f"{line}\n{text}\n{line}\n"
            )
            stream.flush()

    def close(self) -> None:
        pass


class MemoryBackend:
    """Keeps every delivered message in ``outbox`` (shared by all connections)."""

    def __init__(self, outbox: list[EmailMessage] | None = None) -> None:
        self.outbox: list[EmailMessage] = [] if outbox is None else outbox
        self._lock = threading.Lock()

    def open(self) -> None:
        pass

    def deliver(
        self,
        message: EmailMessage,
        sender: str,
        recipients: list[str],
        mail_options: list[str],
        rcpt_options: list[str],
    ) -> None:
        with self._lock:
            self.outbox.append(message)

    def close(self) -> None:
        pass
