"""The mail backend interface, and the three ways a message can fail to go out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from email.message import EmailMessage

from alumni.errors import AlumniError


class MailError(AlumniError):
    """Sending cannot go on at all (login refused, server unreachable): the run stops."""


class PermanentFailure(Exception):
    """The server refused this one message for good (5xx), e.g. an unknown address."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(Exception):
    """The server asked to try this message later (4xx) and kept asking: not sent this run."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UncertainOutcome(Exception):
    """The connection was lost after the message was handed over: it may or may not have gone."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def nothing() -> None:
    """The hook that does nothing: a send with no journal, such as a sample."""


class Mailer(ABC):
    """Delivers built messages, one at a time, over one connection for the whole run.

    `send` returns once the message was accepted, or raises PermanentFailure,
    TemporaryFailure or UncertainOutcome for that message, or MailError when nothing more
    can be sent. `connections` counts connections opened (for the benchmarks).

    Two hooks let the send loop use the time the server takes to answer. `commit` is called
    before anything leaves that could deliver the message, and if it raises, the message is
    not delivered: the journal makes its "sending" entry durable there, while the server
    answers the first command. `meanwhile` may be called while the server answers later,
    each call doing the next piece of the loop's own work (nothing, once none is left): the
    SMTP mailer calls it while the server checks the recipient, where the loop builds the
    next message, and once the message is out, where the loop has `prepare` make that
    message's bytes. Either hook may be called more than once when a message is tried
    again, so both must be safe to repeat.
    """

    description: str
    """Where messages go, for people: 'the folder outbox/' or 'smtp.gmail.com:587'."""

    connections: int = 0

    paced: bool = True
    """Whether the configured rate and daily cap apply (they do not to files in a folder)."""

    @abstractmethod
    def send(
        self,
        message: EmailMessage,
        *,
        commit: Callable[[], None] = nothing,
        meanwhile: Callable[[], None] = nothing,
    ) -> None:
        """Deliver one message to the addresses in its To header (see the class for the hooks)."""

    def prepare(self, message: EmailMessage) -> None:
        """Do now what `send` would first do with `message` (the SMTP mailer makes its bytes),
        so that its turn takes less time. Only a head start: `send` does it all for a message
        that was not prepared. A message must not change once it is prepared."""
        return None

    def close(self) -> None:
        """End the connection, if there is one."""
        return None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
