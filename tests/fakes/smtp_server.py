"""A real SMTP server on 127.0.0.1 (aiosmtpd) for tests, with knobs to refuse, defer and drop."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import functools
import ipaddress
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

# aiosmtpd logs a deprecation warning of its own on every login: not ours to act on.
logging.getLogger("mail.log").setLevel(logging.ERROR)

HOST = "127.0.0.1"
USERNAME = "alumni@example.org"
PASSWORD = "rätt-lösenord-42"  # Swedish letters: the login must carry UTF-8
STAGES = ("MAIL", "RCPT", "DATA")
Stage = Literal["MAIL", "RCPT", "DATA"]


@dataclass(frozen=True)
class Received:
    """One message the server accepted (or kept before dropping the connection)."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    connection: int
    """Which connection carried it: 1 for the first since the last reset."""
    mail_options: tuple[str, ...] = ()
    """What MAIL FROM declared beside the sender (SIZE=..., BODY=8BITMIME)."""

    @functools.cached_property
    def message(self) -> EmailMessage:
        """The message parsed, when a test asks: parsing every message as it arrives would
        make the server, not the tools, what a benchmark measures."""
        return cast(EmailMessage, email.message_from_bytes(self.raw, policy=email.policy.default))


@dataclass(frozen=True)
class TlsFiles:
    """A throwaway certificate authority and the server certificate it signed."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


@dataclass
class _Deferral:
    times: int
    reply: str
    stage: Stage


@dataclass
class _Drop:
    at_transaction: int
    stage: Stage
    keep: bool


@dataclass
class _State:
    messages: list[Received] = field(default_factory=list)
    connections: int = 0
    transactions: int = 0
    logins: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    sender_reply: str | None = None
    deferrals: list[_Deferral] = field(default_factory=list)
    drops: list[_Drop] = field(default_factory=list)
    callbacks: list[Callable[[Received], None]] = field(default_factory=list)
    mail_callbacks: list[Callable[[str], None]] = field(default_factory=list)
    rcpt_callbacks: list[Callable[[str], None]] = field(default_factory=list)


class _Session(SMTP):
    """One client connection; the controller makes one per connection."""

    number = 0
    transaction = 0
    latency = 0.0

    async def push(self, status: Any) -> None:
        # Every reply waits as if it crossed a network: what a client pays per round trip.
        if self.latency:
            await asyncio.sleep(self.latency)
        await super().push(status)


class FakeSmtpServer:
    """An SMTP server in a background thread that stores what it accepts.

    Without `tls` it speaks plain SMTP and offers no STARTTLS. With `tls` it requires
    STARTTLS and a login with `username` and `password` (AUTH LOGIN or PLAIN); with
    `implicit_tls` as well it speaks TLS from the first byte and checks a login if one comes.
    Start it with `start()` or `with`; `port` is free on 127.0.0.1 and known beforehand.
    `latency` delays every reply by that many seconds, as a server across a network would.
    """

    def __init__(
        self,
        *,
        tls: TlsFiles | None = None,
        implicit_tls: bool = False,
        username: str = USERNAME,
        password: str = PASSWORD,
        latency: float = 0.0,
    ) -> None:
        self.host = HOST
        self.port = free_port()
        self.latency = latency
        self.tls = tls
        self.username, self.password = username, password
        self._lock = threading.Lock()
        self._state = _State()
        kwargs: dict[str, Any] = {}
        if tls is not None and implicit_tls:
            # aiosmtpd counts only STARTTLS as "TLS" for AUTH; here all of it is TLS.
            kwargs = {"ssl_context": tls.server_context(), "auth_require_tls": False}
            kwargs["authenticator"] = self._authenticate
        elif tls is not None:
            kwargs = {"tls_context": tls.server_context(), "require_starttls": True}
            kwargs.update(auth_required=True, authenticator=self._authenticate)
        self._controller = _Controller(self, _Handler(self), **kwargs)

    # -- what happened ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._state.messages)

    @property
    def connections(self) -> int:
        """Connections opened by clients since the last reset (STARTTLS does not count)."""
        with self._lock:
            return self._state.connections

    @property
    def logins(self) -> list[str]:
        """The usernames that logged in successfully."""
        with self._lock:
            return list(self._state.logins)

    # -- knobs -----------------------------------------------------------------------------------

    def refuse(self, address: str, code: int = 550, text: str = "5.1.1 User unknown") -> None:
        """Refuse `address` at RCPT, every time."""
        with self._lock:
            self._state.refused[address.lower()] = f"{code} {text}"

    def refuse_sender(self, code: int = 553, text: str = "5.7.1 Sender not allowed") -> None:
        """Refuse every MAIL FROM."""
        with self._lock:
            self._state.sender_reply = f"{code} {text}"

    def defer(
        self,
        times: int,
        code: int = 451,
        text: str = "4.3.0 Try again later",
        stage: Stage = "RCPT",
    ) -> None:
        """Answer `code text` to the next `times` MAIL or RCPT commands, or messages after DATA."""
        _check_stage(stage)
        with self._lock:
            self._state.deferrals.append(_Deferral(times, f"{code} {text}", stage))

    def drop_connection(
        self, at_message: int = 1, stage: Stage = "RCPT", keep: bool = False
    ) -> None:
        """Close the connection without replying, in the `at_message`-th transaction from now.

        At "MAIL" the server hangs up instead of answering MAIL FROM, at "RCPT" instead of
        answering RCPT. At "DATA" it hangs up after receiving the whole message instead of
        sending the final reply; with `keep` it stores the message first (the client cannot
        know whether it went through).
        """
        _check_stage(stage)
        with self._lock:
            target = self._state.transactions + at_message
            self._state.drops.append(_Drop(target, stage, keep))

    def on_data(self, callback: Callable[[Received], None]) -> None:
        """Call `callback` with each received message, in the server thread, before replying."""
        with self._lock:
            self._state.callbacks.append(callback)

    def on_mail(self, callback: Callable[[str], None]) -> None:
        """Call `callback` with the sender of each MAIL FROM, in the server thread, before
        replying (the client has not handed over any of that message yet)."""
        with self._lock:
            self._state.mail_callbacks.append(callback)

    def on_rcpt(self, callback: Callable[[str], None]) -> None:
        """Call `callback` with the address of each RCPT TO, in the server thread, before
        replying."""
        with self._lock:
            self._state.rcpt_callbacks.append(callback)

    def reset(self) -> None:
        """Forget messages, counters and knobs."""
        with self._lock:
            self._state = _State()

    # -- running ---------------------------------------------------------------------------------

    def start(self) -> FakeSmtpServer:
        self._controller.start()
        # The controller's own probe connection is not a client's.
        self.reset()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> FakeSmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- called from the server thread -----------------------------------------------------------

    def _new_connection(self) -> int:
        with self._lock:
            self._state.connections += 1
            return self._state.connections

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        # handled=False: aiosmtpd then answers "535 5.7.8 Authentication credentials invalid".
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = data.login.decode("utf-8", "replace")
        ok = login == self.username and data.password.decode("utf-8", "replace") == self.password
        if ok:
            with self._lock:
                self._state.logins.append(login)
        return AuthResult(success=ok, handled=False)


class _Controller(Controller):
    def __init__(self, fake: FakeSmtpServer, handler: _Handler, **kwargs: Any) -> None:
        # server_hostname spares aiosmtpd a DNS lookup (getfqdn) for every connection.
        super().__init__(
            handler, hostname=fake.host, port=fake.port, server_hostname="localhost", **kwargs
        )
        self.fake = fake

    def factory(self) -> SMTP:
        session = _Session(self.handler, **self.SMTP_kwargs)
        session.number = self.fake._new_connection()
        session.latency = self.fake.latency
        return session


class _Handler:
    def __init__(self, fake: FakeSmtpServer) -> None:
        self.fake = fake

    def _take(self, stage: Stage, transaction: int) -> tuple[str | None, _Drop | None]:
        """The deferral reply and the drop due now at `stage`, used up as they fire."""
        with self.fake._lock:
            state = self.fake._state
            drop = next(
                (d for d in state.drops if d.stage == stage and d.at_transaction == transaction),
                None,
            )
            if drop is not None:
                state.drops.remove(drop)
                return None, drop
            for deferral in state.deferrals:
                if deferral.stage == stage and deferral.times > 0:
                    deferral.times -= 1
                    return deferral.reply, None
        return None, None

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self.fake._lock:
            reply = self.fake._state.sender_reply
            if reply is None:
                self.fake._state.transactions += 1
                cast(_Session, server).transaction = self.fake._state.transactions
            callbacks = list(self.fake._state.mail_callbacks)
        for callback in callbacks:
            callback(address)
        if reply is not None:
            return reply
        reply, drop = self._take("MAIL", cast(_Session, server).transaction)
        if drop is not None:
            return _hang_up(server)
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self.fake._lock:
            refused = self.fake._state.refused.get(address.lower())
            callbacks = list(self.fake._state.rcpt_callbacks)
        for callback in callbacks:
            callback(address)
        if refused is not None:
            return refused
        reply, drop = self._take("RCPT", cast(_Session, server).transaction)
        if drop is not None:
            return _hang_up(server)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        received = Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            raw=raw,
            connection=cast(_Session, server).number,
            mail_options=tuple(envelope.mail_options),
        )
        with self.fake._lock:
            callbacks = list(self.fake._state.callbacks)
        for callback in callbacks:
            callback(received)
        reply, drop = self._take("DATA", cast(_Session, server).transaction)
        if reply is not None:
            return reply
        if drop is None or drop.keep:
            with self.fake._lock:
                self.fake._state.messages.append(received)
        if drop is not None:
            return _hang_up(server)
        return "250 OK"


def _hang_up(server: SMTP) -> str:
    # Abort the socket itself (under STARTTLS too): the client sees the connection end
    # where it waits for a reply. The reply returned below is written to nowhere.
    transport = server._original_transport or server.transport
    assert transport is not None
    transport.abort()  # type: ignore[attr-defined]
    return "421 4.4.2 Connection dropped by the test"


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# -- certificates ------------------------------------------------------------------------------

_tls_files: TlsFiles | None = None


def make_tls_files(folder: Path) -> TlsFiles:
    """A certificate authority and a server certificate for localhost and 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    valid = (now - dt.timedelta(days=1), now + dt.timedelta(days=30))

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    # Elliptic-curve keys: generated in a millisecond, where RSA takes tens.
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name("alumni test CA"))
        .issuer_name(name("alumni test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    files.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def _session_tls_files(factory: pytest.TempPathFactory) -> TlsFiles:
    # Made once per test session: fixtures here may only lean on pytest's own fixtures,
    # since a test module imports just the ones it names.
    global _tls_files
    if _tls_files is None or not _tls_files.ca_file.exists():
        _tls_files = make_tls_files(factory.mktemp("smtp-tls"))
    return _tls_files


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[FakeSmtpServer]:
    """A fresh plain SMTP server (no STARTTLS, no login) for one test."""
    with FakeSmtpServer() as server:
        yield server


@pytest.fixture
def tls_smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeSmtpServer]:
    """A fresh server that requires STARTTLS and a login as USERNAME / PASSWORD.

    Its certificate authority is `server.tls.ca_file`, for the client's ca_file.
    """
    with FakeSmtpServer(tls=_session_tls_files(tmp_path_factory)) as server:
        yield server


@pytest.fixture
def ssl_smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeSmtpServer]:
    """A fresh server that speaks TLS from the first byte (like port 465), login optional."""
    tls = _session_tls_files(tmp_path_factory)
    with FakeSmtpServer(tls=tls, implicit_tls=True) as server:
        yield server
