"""The SMTP backend: one connection per run, retries for what may pass later, honest outcomes."""

from __future__ import annotations

import base64
import contextlib
import copy
import os
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Literal

from alumni.config import SmtpConfig
from alumni.mail.base import (
    Mailer,
    MailError,
    PermanentFailure,
    TemporaryFailure,
    UncertainOutcome,
    nothing,
)
from alumni.mail.message import wire_bytes

SECURITIES = ("starttls", "ssl", "none")

Stage = Literal["idle", "envelope", "data-command", "payload"]


class _TrackedSMTP(smtplib.SMTP):
    """smtplib.SMTP that remembers how far the current transaction got.

    Only a drop at the "payload" stage (message sent, final reply not read) leaves the
    outcome unknown; before that the server cannot have accepted the message.
    """

    stage: Stage = "idle"
    _auth_challenge_count: int
    _command = ""
    commit: Callable[[], None] | None = None
    """Called once, before the payload leaves: while the server answers MAIL FROM, if it can."""
    meanwhile: Callable[[], None] | None = None
    """Called while the server checks each recipient, and once the payload is out."""

    def putcmd(self, cmd: str, args: str = "") -> None:
        self._command = cmd.lower()
        super().putcmd(cmd, args)

    def getreply(self) -> tuple[int, bytes]:
        if self.stage == "envelope":
            if self.commit is not None:
                # MAIL FROM is on its way (sendmail sends it first): commit while the server
                # reads it, so the disk and the server work at once.
                self._commit()
            elif self._command == "rcpt" and self.meanwhile is not None:
                # The longest wait of the envelope: the server looks the recipient up.
                self.meanwhile()
        return super().getreply()

    def _commit(self) -> None:
        commit, self.commit = self.commit, None
        if commit is not None:
            try:
                commit()
            except BaseException:
                # A transaction that cannot be recorded must not go on: closing the
                # connection abandons it before any payload.
                self.close()
                raise

    def data(self, msg: bytes | str) -> tuple[int, bytes]:  # type: ignore[override]
        # smtplib's own data() sends the command and the message in one call; split here so
        # that a drop while waiting for "354" is known to be harmless.
        self.stage = "data-command"
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            # As sendmail does for a refused message: leave the connection ready for the next.
            if code == 421:
                self.close()
            else:
                with contextlib.suppress(smtplib.SMTPServerDisconnected):
                    self.rset()
            raise smtplib.SMTPDataError(code, reply)
        payload = (msg if isinstance(msg, _DataBytes) else _for_data(msg)).stuffed
        self._commit()  # already done, unless the server skipped a reply
        self.stage = "payload"
        self.send(payload + b".\r\n")
        if self.meanwhile is not None:
            self.meanwhile()
        return self.getreply()

    # smtplib quotes each envelope address with a full parse of address syntax (12 µs, while
    # the server waits); the plain addresses this tool sends to need only their brackets.

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if any(option.lower() == "smtputf8" for option in options):
            return super().mail(sender, options)
        self.putcmd("mail", f"FROM:{_quoteaddr(sender)}{self._options(options)}")
        return self.getreply()

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        self.putcmd("rcpt", f"TO:{_quoteaddr(recip)}{self._options(options)}")
        return self.getreply()

    def _options(self, options: Sequence[str]) -> str:
        return " " + " ".join(options) if options and self.does_esmtp else ""

    def auth(
        self,
        mechanism: str,
        authobject: Callable[..., str | None],
        *,
        initial_response_ok: bool = True,
    ) -> tuple[int, bytes]:
        # smtplib's auth() encodes credentials as ASCII, so a password with å, ä or ö could
        # not log in; AUTH PLAIN and LOGIN carry UTF-8 (RFC 4616). Otherwise the same steps.
        mechanism = mechanism.upper()
        first = authobject() if initial_response_ok else None
        if first is not None:
            code, reply = self.docmd("AUTH", f"{mechanism} {_b64(first)}")
            self._auth_challenge_count = 1
        else:
            code, reply = self.docmd("AUTH", mechanism)
            self._auth_challenge_count = 0
        while code == 334:
            self._auth_challenge_count += 1
            if self._auth_challenge_count > 5:
                raise smtplib.SMTPException("the server keeps asking for more login data")
            answer = authobject(base64.decodebytes(reply))
            code, reply = self.docmd(_b64(answer or ""))
        if code in (235, 503):  # 503: already logged in
            return code, reply
        raise smtplib.SMTPAuthenticationError(code, reply)


class _TrackedSMTPSSL(_TrackedSMTP, smtplib.SMTP_SSL):
    """The same, over implicit TLS (port 465)."""


class _Secret:
    """Holds the password so that no repr, log or traceback of locals can show it."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<hidden>"


class SmtpMailer(Mailer):
    """Sends through an SMTP server: STARTTLS, implicit TLS or plain, with a login if configured.

    The connection opens on the first message and serves the whole run. A 4xx reply, or a
    connection lost before the message was handed over, is retried `retries` times with
    doubling pauses; a 5xx reply is a PermanentFailure; a connection lost after the message
    was handed over is an UncertainOutcome. Connecting or logging in failing is a MailError.
    """

    def __init__(
        self,
        host: str,
        port: int,
        security: str,
        username: str,
        password: str | None,
        *,
        ca_file: Path | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        password_env: str = "ALUMNI_SMTP_PASSWORD",
    ) -> None:
        if security not in SECURITIES:
            raise ValueError(f"security must be one of {', '.join(SECURITIES)}, not {security!r}")
        self.host, self.port, self.security = host, port, security
        self.username = username
        self._password = _Secret(password or "")
        self.ca_file = ca_file
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.sleep = sleep
        self.password_env = password_env
        self.description = f"{host}:{port} ({security})"
        self.connections = 0
        self._connection: _TrackedSMTP | None = None
        self._ready: tuple[EmailMessage, tuple[str, list[str]], bytes] | None = None

    @classmethod
    def from_config(cls, smtp: SmtpConfig, env: Mapping[str, str] = os.environ) -> SmtpMailer:
        """The mailer for the [smtp] settings, the password taken from $password_env."""
        password = env.get(smtp.password_env, "") if smtp.password_env else ""
        if smtp.username and not password:
            raise MailError(
                f"[smtp] username is {smtp.username!r} but ${smtp.password_env} is empty or not "
                f"set — set {smtp.password_env} to the account's password (for Gmail an app "
                "password) in the environment that runs the tool."
            )
        return cls(
            smtp.host,
            smtp.port,
            smtp.security,
            smtp.username,
            password,
            ca_file=smtp.ca_file,
            timeout=smtp.timeout_seconds,
            retries=smtp.retries,
            backoff=smtp.backoff_seconds,
            password_env=smtp.password_env,
        )

    def __repr__(self) -> str:
        return f"SmtpMailer({self.description}, username={self.username!r})"

    # -- sending -------------------------------------------------------------------------------

    def send(
        self,
        message: EmailMessage,
        *,
        commit: Callable[[], None] = nothing,
        meanwhile: Callable[[], None] = nothing,
    ) -> None:
        ready, self._ready = self._ready, None
        if ready is not None and ready[0] is message:
            _, (sender, recipients), payload = ready
        else:
            (sender, recipients), payload = _envelope(message), _payload(message)
        attempt = 0
        while True:
            problem = self._attempt(sender, recipients, payload, commit, meanwhile)
            if problem is None:
                return
            if attempt >= self.retries:
                tries = "once" if attempt == 0 else f"{attempt + 1} times"
                raise TemporaryFailure(f"{problem} (tried {tries})")
            self.sleep(self.backoff * 2**attempt)
            attempt += 1

    def prepare(self, message: EmailMessage) -> None:
        # The bytes are what takes the time; only the latest message prepared is kept.
        self._ready = (message, _envelope(message), _payload(message))

    def _attempt(
        self,
        sender: str,
        recipients: list[str],
        payload: bytes,
        commit: Callable[[], None],
        meanwhile: Callable[[], None],
    ) -> str | None:
        """Try one transaction: None when accepted, else why it may pass on a later try."""
        conn = self._connect_if_needed()
        options = ["BODY=8BITMIME"] if not payload.isascii() and conn.has_extn("8bitmime") else []
        try:
            conn.commit, conn.meanwhile = commit, meanwhile
            conn.stage = "envelope"
            refused = conn.sendmail(sender, recipients, payload, options)
        except smtplib.SMTPRecipientsRefused as exc:
            # smtplib sent RSET after this (or closed on 421): the connection stays usable.
            replies = [_reply(code, text) for code, text in exc.recipients.values()]
            if all(400 <= code < 500 for code, _ in exc.recipients.values()):
                return self._keep_if_open(conn, "; ".join(replies))
            raise PermanentFailure("; ".join(replies)) from None
        except smtplib.SMTPSenderRefused as exc:
            reply = _reply(exc.smtp_code, exc.smtp_error)
            if 400 <= exc.smtp_code < 500:
                return self._keep_if_open(conn, reply)
            if exc.smtp_code == 552:  # too big: this message only
                raise PermanentFailure(reply) from None
            # A refused sender refuses every message of the run.
            raise MailError(
                f"the mail server {self.host}:{self.port} refused the sender {exc.sender} "
                f"({reply}) — check [mail] from_address and that [smtp] username may send as it."
            ) from None
        except smtplib.SMTPResponseException as exc:
            reply = _reply(exc.smtp_code, exc.smtp_error)
            if 400 <= exc.smtp_code < 500:
                return self._keep_if_open(conn, reply)
            raise PermanentFailure(reply) from None
        except smtplib.SMTPServerDisconnected as exc:
            return self._lost(conn, exc)
        except smtplib.SMTPException as exc:
            # E.g. the server lacks an extension this one message needs. (Checked before
            # OSError, of which every SMTPException is a kind.)
            raise PermanentFailure(_one_line(str(exc))) from None
        except OSError as exc:  # reset, broken pipe, timeout, TLS failure
            return self._lost(conn, exc)
        except BaseException:
            if conn.sock is None:  # closed by a commit that failed: the next message starts anew
                self._drop(conn)
            raise
        finally:
            conn.stage = "idle"
            conn.commit = conn.meanwhile = None
        if refused:
            # Only a message with several recipients gets here: it went to the others.
            refusals = "; ".join(f"{addr}: {_reply(*reply)}" for addr, reply in refused.items())
            raise PermanentFailure(f"delivered to the other recipients, refused for {refusals}")
        return None

    def _lost(self, conn: _TrackedSMTP, exc: OSError) -> str:
        """Why to try again on a new connection, or UncertainOutcome if the message was out."""
        stage = conn.stage
        self._drop(conn)
        if stage == "payload":
            raise UncertainOutcome(
                f"the connection to {self.host}:{self.port} was lost after the message was "
                f"handed over ({_describe(exc)}) — it may or may not have been delivered"
            ) from exc
        return f"the connection to {self.host}:{self.port} was lost ({_describe(exc)})"

    def _keep_if_open(self, conn: _TrackedSMTP, problem: str) -> str:
        if conn.sock is None:  # smtplib closes on 421 "service closing"
            self._drop(conn)
        return problem

    # -- the connection ------------------------------------------------------------------------

    def close(self) -> None:
        conn, self._connection = self._connection, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()

    def _drop(self, conn: _TrackedSMTP) -> None:
        # Opened again lazily by the next message.
        if self._connection is conn:
            self._connection = None
        conn.close()

    def _connect_if_needed(self) -> _TrackedSMTP:
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def _connect(self) -> _TrackedSMTP:
        where = f"{self.host}:{self.port}"
        context = self._tls_context() if self.security != "none" else None
        name = _local_name()
        try:
            if self.security == "ssl":
                conn: _TrackedSMTP = _TrackedSMTPSSL(
                    self.host, self.port, name, timeout=self.timeout, context=context
                )
            else:
                conn = _TrackedSMTP(self.host, self.port, name, timeout=self.timeout)
        except socket.gaierror as exc:
            raise MailError(
                f"the mail server {self.host} cannot be found ({exc.strerror}) — check [smtp] "
                "host, and that this computer is online."
            ) from exc
        except ConnectionRefusedError as exc:
            raise MailError(
                f"nothing answers at {where} (connection refused) — check [smtp] host and "
                "port, and that the mail server is running."
            ) from exc
        except (TimeoutError, smtplib.SMTPServerDisconnected) as exc:
            raise MailError(
                f"{where} did not answer as a mail server ({_describe(exc)}) — check [smtp] "
                f"host and port{self._security_hint()}, and that no firewall blocks the port."
            ) from exc
        except ssl.SSLCertVerificationError as exc:
            raise MailError(self._certificate_problem(exc)) from exc
        except (ssl.SSLError, smtplib.SMTPException, OSError) as exc:
            raise MailError(
                f"cannot connect to {where} ({_describe(exc)}) — check [smtp] host and "
                f"port{self._security_hint()}."
            ) from exc
        self.connections += 1
        try:
            self._greet(conn, context)
        except BaseException:
            conn.close()
            raise
        return conn

    def _greet(self, conn: _TrackedSMTP, context: ssl.SSLContext | None) -> None:
        where = f"{self.host}:{self.port}"
        step = "greeting"
        try:
            conn.ehlo_or_helo_if_needed()
            if self.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise MailError(
                        f"the mail server {where} does not offer STARTTLS, so the password and "
                        "the messages would travel unencrypted — check [smtp] host and port, "
                        'or use security = "ssl" if the server expects TLS from the start.'
                    )
                step = "starting TLS"
                conn.starttls(context=context)
                conn.ehlo()
            if self.username:
                step = "logging in"
                self._login(conn)
        except ssl.SSLCertVerificationError as exc:
            raise MailError(self._certificate_problem(exc)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(
                f"the mail server {where} failed while {step} ({_describe(exc)}) — check "
                f"[smtp] host, port and security{self._security_hint()}."
            ) from exc

    def _login(self, conn: _TrackedSMTP) -> None:
        password = self._password.value
        check = f"check [smtp] username and the password in ${self.password_env}"
        # Exceptions here are raised "from None": a chained one could carry the password.
        try:
            conn.login(self.username, password)
        except smtplib.SMTPServerDisconnected:
            raise  # a connection problem, not a login one
        except smtplib.SMTPAuthenticationError as exc:
            reply = self._hide(_reply(exc.smtp_code, exc.smtp_error))
            raise MailError(
                f"the mail server refused the login for {self.username} ({reply}) — {check}."
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise MailError(
                f"the mail server {self.host}:{self.port} does not offer a login (AUTH) on this "
                f"connection — check [smtp] security and port, or leave [smtp] username empty."
            ) from None
        except UnicodeEncodeError:
            # Only CRAM-MD5, which smtplib prefers when offered, still needs ASCII.
            raise MailError(
                f"the password in ${self.password_env} contains letters such as å, ä, ö, which "
                f"this server's login method (CRAM-MD5) cannot carry — {check}."
            ) from None
        except smtplib.SMTPException as exc:
            reason = self._hide(_describe(exc))
            raise MailError(f"the login for {self.username} failed ({reason}) — {check}.") from None

    def _hide(self, text: str) -> str:
        password = self._password.value
        return text.replace(password, "<hidden>") if password else text

    def _tls_context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise MailError(
                f"[smtp] ca_file {self.ca_file} cannot be used ({_describe(exc)}) — point it at "
                "a PEM file with the certificate authority, or remove it."
            ) from exc

    def _certificate_problem(self, exc: ssl.SSLCertVerificationError) -> str:
        return (
            f"the certificate of {self.host}:{self.port} cannot be trusted "
            f"({exc.verify_message or _describe(exc)}) — check [smtp] host (it must be the name "
            "in the server's certificate), or set [smtp] ca_file for a private server."
        )

    def _security_hint(self) -> str:
        if self.port == 465 and self.security != "ssl":
            return ' (port 465 expects security = "ssl")'
        if self.port == 587 and self.security == "ssl":
            return ' (port 587 expects security = "starttls")'
        return " and security"


def _envelope(message: EmailMessage) -> tuple[str, list[str]]:
    senders = _addresses(message, "Sender") or _addresses(message, "From")
    recipients = [a for field in ("To", "Cc", "Bcc") for a in _addresses(message, field)]
    if not senders or not recipients:
        raise ValueError("the message needs a From and a To address")
    return senders[0], recipients


def _addresses(message: EmailMessage, field: str) -> list[str]:
    found: list[str] = []
    for value in message.get_all(field, []):
        # The parsed addresses themselves when the header has them: re-parsing the text of a
        # display name full of commas and @ could find addresses that are not there.
        addresses = getattr(value, "addresses", None)
        if addresses is not None:
            found += [a.addr_spec for a in addresses if a.addr_spec]
        else:
            found += [address for _, address in getaddresses([str(value)]) if address]
    return found


def _payload(message: EmailMessage) -> _DataBytes:
    """The bytes that go after DATA: the message as every recipient sees it."""
    if "Bcc" in message:
        # Blind copies go in the envelope only, never in what every recipient sees.
        message = _copy_without_bcc(message)
    return _for_data(wire_bytes(message))


class _DataBytes(bytes):
    """A message with CRLF line ends, ending in CRLF: its length is the size MAIL FROM declares
    (RFC 1870). `stuffed` is the same dot-stuffed, as DATA sends it.

    Made with the message's bytes (see SmtpMailer.prepare), so that none of it is left to the
    moment the server waits for the message."""

    stuffed: bytes


_LINE_END = re.compile(rb"(?:\r\n|\n|\r(?!\n))")
_LEADING_DOT = re.compile(rb"(?m)^\.")


def _for_data(msg: bytes | str) -> _DataBytes:
    payload = msg.encode("ascii") if isinstance(msg, str) else bytes(msg)
    payload = _LINE_END.sub(b"\r\n", payload)
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    ready = _DataBytes(payload)
    ready.stuffed = _LEADING_DOT.sub(b"..", payload)  # dot-stuffing, RFC 5321 4.5.2
    return ready


# A plain address (dot-atom@domain, no quotes, comments or brackets): smtplib.quoteaddr gives
# it back in angle brackets (tests/test_mail.py checks that for every such address).
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"  # the local part: words between dots
    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"  # the domain: labels between dots
)


def _quoteaddr(address: str) -> str:
    """The address as SMTP's MAIL FROM and RCPT TO take it, as smtplib.quoteaddr makes it."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _copy_without_bcc(message: EmailMessage) -> EmailMessage:
    stripped = copy.deepcopy(message)
    del stripped["Bcc"]
    return stripped


def _reply(code: int, text: bytes | str) -> str:
    """The server's reply as one readable line: '550 5.1.1 User unknown'."""
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return _one_line(f"{code} {decoded}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    text = _one_line(str(exc)) if str(exc) else ""
    return text or type(exc).__name__


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _local_name() -> str:
    # What the client calls itself in EHLO. smtplib would ask DNS (getfqdn), which can hang
    # for seconds; the host name is enough for a submission server, if it is plain ASCII.
    name = socket.gethostname()
    valid = re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,250}[A-Za-z0-9])?", name)
    return name if valid else "localhost"
