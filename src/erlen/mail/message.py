"""Messages: Flask-Mail's ``Message`` on the standard library's ``email``.

Headers are checked for CR/LF before anything is built, so an address or a
subject taken from a form can never smuggle in a ``Bcc:`` line.
"""

from __future__ import annotations

import dataclasses
import mimetypes
import time
from email import policy
from email.message import EmailMessage
from email.utils import formataddr
from email.utils import formatdate
from email.utils import getaddresses
from email.utils import make_msgid
from email.utils import parseaddr

#: An address: ``"a@example.com"``, ``"Ann <a@example.com>"`` or ``("Ann", "a@…")``.
AddressLike = str | tuple[str, str]

_BAD = ("\r", "\n", "\0")


class MailError(Exception):
    """Mail could not be built or sent (bad configuration, no sender ...)."""


class BadHeaderError(MailError, ValueError):
    """A header value (subject, address, filename ...) holds CR, LF or NUL."""


def _check(value: str, what: str) -> str:
    if any(c in value for c in _BAD):
        raise BadHeaderError(
            f"{what} contains a line break or NUL ({value!r}); refusing to send"
            " (header injection)"
        )
    return value


def format_address(value: AddressLike, what: str = "address") -> str:
    """Return one address as a header value, refusing injection and lists."""
    if isinstance(value, tuple):
        name, addr = value
        _check(name, what)
        _check(addr, what)
        text = formataddr((name, addr))
    else:
        text = _check(str(value), what)
        found = getaddresses([text])
        addr = found[0][1] if len(found) == 1 else ""
    if "@" not in addr or "," in addr or " " in addr.strip():
        raise MailError(f"{what} {text!r} is not one e-mail address")
    return text


def address_only(value: AddressLike) -> str:
    """The bare ``user@host`` part of an address (for the SMTP envelope)."""
    if isinstance(value, tuple):
        return value[1]
    return parseaddr(value)[1]


@dataclasses.dataclass
class Attachment:
    """A file carried by a message; ``disposition="inline"`` for embedded images."""

    filename: str | None = None
    content_type: str | None = None
    data: bytes | str = b""
    disposition: str = "attachment"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


class Message:
    """An e-mail, with Flask-Mail's constructor.

    ``body`` is the plain-text part, ``html`` the HTML part; with both the
    message is ``multipart/alternative``.  ``bcc`` addresses get the mail but
    never appear in its headers.
    """

    def __init__(
        self,
        subject: str = "",
        recipients: list[AddressLike] | None = None,
        body: str | None = None,
        html: str | None = None,
        sender: AddressLike | None = None,
        cc: list[AddressLike] | None = None,
        bcc: list[AddressLike] | None = None,
        attachments: list[Attachment] | None = None,
        reply_to: AddressLike | None = None,
        date: float | None = None,
        charset: str | None = None,
        extra_headers: dict[str, str] | None = None,
        mail_options: list[str] | None = None,
        rcpt_options: list[str] | None = None,
    ) -> None:
        self.subject = subject
        self.recipients: list[AddressLike] = list(recipients or ())
        self.body = body
        self.html = html
        self.sender = sender
        self.cc: list[AddressLike] = list(cc or ())
        self.bcc: list[AddressLike] = list(bcc or ())
        self.attachments: list[Attachment] = list(attachments or ())
        self.reply_to = reply_to
        self.date = date
        self.charset = charset
        self.extra_headers: dict[str, str] = dict(extra_headers or {})
        self.mail_options: list[str] = list(mail_options or ())
        self.rcpt_options: list[str] = list(rcpt_options or ())
        self.msg_id: str | None = None

    def __repr__(self) -> str:
        return f"<Message {self.subject!r} to {self.recipients!r}>"

    @property
    def send_to(self) -> set[str]:
        """Every envelope recipient: To, Cc and Bcc, bare addresses."""
        everyone = [*self.recipients, *self.cc, *self.bcc]
        return {address_only(a) for a in everyone}

    def add_recipient(self, recipient: AddressLike) -> None:
        self.recipients.append(recipient)

    def attach(
        self,
        filename: str | None = None,
        content_type: str | None = None,
        data: bytes | str = b"",
        disposition: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Add a file; its content type is guessed from the name when not given."""
        self.attachments.append(
            Attachment(
                filename,
                content_type,
                data,
                disposition or "attachment",
                dict(headers or {}),
            )
        )

    def has_bad_headers(self) -> bool:
        """True when a header would carry CR/LF (Flask-Mail's check)."""
        try:
            self._check_headers()
        except BadHeaderError:
            return True
        return False

    def _check_headers(self) -> None:
        _check(self.subject, "subject")
        for value in (self.sender, self.reply_to):
            if isinstance(value, tuple):
                _check(value[0], "address")
                _check(value[1], "address")
            elif value is not None:
                _check(value, "address")
        for name, value in self.extra_headers.items():
            _check(name, "header name")
            _check(value, f"header {name}")
        for att in self.attachments:
            if att.filename is not None:
                _check(att.filename, "attachment filename")
            for name, value in att.headers.items():
                _check(name, "header name")
                _check(value, f"header {name}")

    def to_email(self, default_sender: AddressLike | None = None) -> EmailMessage:
        """Build the ``email.message.EmailMessage`` (checks every header first)."""
        self._check_headers()
        sender = self.sender or default_sender
        if not sender:
            raise MailError("message has no sender; set MAIL_DEFAULT_SENDER")
        if not self.send_to:
            raise MailError("message has no recipients")
        msg = EmailMessage(policy=policy.SMTP)
        msg["Subject"] = self.subject
        msg["From"] = format_address(sender, "sender")
        if self.recipients:
            msg["To"] = ", ".join(
                format_address(a, "recipient") for a in self.recipients
            )
        if self.cc:
            msg["Cc"] = ", ".join(format_address(a, "cc") for a in self.cc)
        for a in self.bcc:  # checked, never written
            format_address(a, "bcc")
        if self.reply_to:
            msg["Reply-To"] = format_address(self.reply_to, "reply_to")
        msg["Date"] = formatdate(self.date or time.time(), localtime=True)
        if self.msg_id is None:
            # make_msgid() without a domain asks DNS for the FQDN: slow, and leaks
            # the host name; the sender's domain is the customary choice.
            domain = address_only(sender).rpartition("@")[2] or "localhost"
            self.msg_id = make_msgid(domain=domain)
        msg["Message-ID"] = self.msg_id
        for name, value in self.extra_headers.items():
            msg[name] = value
        self._set_body(msg)
        for att in self.attachments:
            self._add_attachment(msg, att)
        return msg

    def _set_body(self, msg: EmailMessage) -> None:
        charset = self.charset or "utf-8"
        if self.body is not None:
            msg.set_content(self.body, charset=charset)
            if self.html is not None:
                msg.add_alternative(self.html, subtype="html", charset=charset)
        elif self.html is not None:
            msg.set_content(self.html, subtype="html", charset=charset)
        else:
            msg.set_content("", charset=charset)

    @staticmethod
    def _add_attachment(msg: EmailMessage, att: Attachment) -> None:
        ctype = att.content_type
        if ctype is None and att.filename:
            ctype = mimetypes.guess_type(att.filename)[0]
        maintype, _, subtype = (ctype or "application/octet-stream").partition("/")
        data = att.data.encode("utf-8") if isinstance(att.data, str) else att.data
        if att.disposition not in ("attachment", "inline"):
            raise MailError(f"attachment disposition {att.disposition!r} is unknown")
        headers = [f"{k}: {v}" for k, v in att.headers.items()]
        msg.add_attachment(
            data,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=att.filename,
            disposition=att.disposition,
            headers=headers,
        )

    def as_bytes(self, default_sender: AddressLike | None = None) -> bytes:
        return self.to_email(default_sender).as_bytes()

    def as_string(self, default_sender: AddressLike | None = None) -> str:
        return self.to_email(default_sender).as_string()

    def __str__(self) -> str:
        return self.as_string()
