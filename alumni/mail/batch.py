"""The one send loop: prepared messages go out through the journal, each at most once per key.

Invitations, notices and first contacts all pass through `Sending.send`. Before a message is
handed to the mail server its key is noted in the journal as `sending`, on disk before the
server can accept the message, and after the server answers as `sent`, `failed`, `deferred`
or `uncertain`. The waits for the server are used: the disk writes while the server answers
the first command, and the next message is built while it considers this one.

A key the journal already has as sent, or whose outcome is unknown (a run died while the
server answered), is not sent again: never twice, and an unknown one only when the chair says
so (`resend_unknown`).
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage

import pandas as pd

from alumni.addresses import check_address
from alumni.config import Config
from alumni.errors import AlumniError, ConfigError
from alumni.mail.base import (
    Mailer,
    MailError,
    PermanentFailure,
    TemporaryFailure,
    UncertainOutcome,
    nothing,
)
from alumni.mail.journal import (
    DEFERRED,
    FAILED,
    NEW_JOURNAL,
    SENDING,
    SENT,
    STARTED,
    UNCERTAIN,
    Entry,
    Journal,
    JournalError,
    JournalLost,
    JournalWriteFailed,
)
from alumni.mail.message import KEY_HEADER
from alumni.mail.open import open_mailer

ALREADY = "already"
"""The outcome of a key the journal already has as sent, or with an unknown outcome."""

FLUSH_SECONDS = 30.0
"""How often a long batch lets its caller write what it has recorded so far."""


@dataclass
class Prepared:
    """One message ready to go: its journal key, the name the output shows, and how to build it.

    `build` makes the message when it is its turn, so a dry run builds none and a long run
    does not hold them all. `settles` are further journal keys that this message answers for
    once it is sent (a report that covers several breaches).
    """

    key: str
    name: str
    build: Callable[[], EmailMessage] = field(repr=False)
    row_id: str = ""
    settles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What became of one prepared message, and when."""

    item: Prepared
    state: str  # SENT, FAILED, DEFERRED, UNCERTAIN, or ALREADY
    at: pd.Timestamp
    reason: str = ""
    earlier: Entry | None = None  # the journal's word on an ALREADY key

    @property
    def sent_before(self) -> bool:
        """Whether an earlier run sent it (an ALREADY key that is not merely unknown)."""
        return self.earlier is not None and self.earlier.state == SENT

    @property
    def in_doubt(self) -> bool:
        """Whether it may or may not have gone out: uncertain now, or held back as uncertain
        since an earlier run."""
        return self.state == UNCERTAIN or (self.state == ALREADY and not self.sent_before)


@dataclass
class Batch:
    """What one pass of the send loop did: an outcome per message it tried, in order."""

    outcomes: list[Outcome] = field(default_factory=list)
    not_reached: int = 0
    """Prepared messages not tried: beyond --limit, beyond the daily cap, or after Ctrl-C."""
    capped_at: int = 0
    """The daily cap, when it stopped the batch early."""
    interrupted: bool = False

    def counts(self) -> Counter[str]:
        return Counter(outcome.state for outcome in self.outcomes)

    def names(self, state: str) -> list[str]:
        return [o.item.name for o in self.outcomes if o.state == state]

    def reasons(self, state: str) -> list[tuple[str, str]]:
        return [(o.item.name, o.reason) for o in self.outcomes if o.state == state]


class _BuiltAhead:
    """Messages of a batch built before their turn, while the server answers the one before.

    Each is built once; what `Prepared.build` raised is kept and raised at the message's
    turn, so an error in building never interrupts a message in flight.
    """

    def __init__(self, queue: Sequence[Prepared]) -> None:
        self.queue = queue
        self._built: dict[int, EmailMessage | Exception] = {}

    def build(self, index: int) -> None:
        if index not in self._built:
            try:
                self._built[index] = self.queue[index].build()
            except Exception as exc:
                self._built[index] = exc

    def prepare(self, index: int, mailer: Mailer) -> None:
        """Let `mailer` prepare the message at `index`, if it was built."""
        built = self._built.get(index)
        if isinstance(built, EmailMessage):
            # What fails here fails again when the message's own turn comes, and is met
            # there: it must not interrupt the message in flight.
            with contextlib.suppress(Exception):
                mailer.prepare(built)

    def take(self, index: int) -> EmailMessage:
        """The message at `index`, built now if it was not built ahead."""
        built = self._built.pop(index, None)
        if built is None:
            return self.queue[index].build()
        if isinstance(built, Exception):
            raise built
        return built


class Sending:
    """The send side of a run: the journal, the mailer and the run's clock.

    For `--send` the journal is held for the whole run; with `test_to` a run sends one sample
    to that address instead and neither reads nor writes anything else. The mailer opens when
    the first batch (or the sample) starts, so a run can say what it is about to do first.
    """

    def __init__(
        self,
        config: Config,
        clock: Callable[[], pd.Timestamp],
        *,
        test_to: str | None = None,
        mailer: Mailer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        resend_unknown: bool = False,
        new_journal: bool = False,
    ) -> None:
        self.config, self.clock, self.test_to = config, clock, test_to
        self.resend_unknown = resend_unknown
        """Whether messages of unknown fate go out again (`--resend-uncertain`), in every batch."""
        self.new_journal = new_journal
        """Whether the chair confirmed that the journal is lost (`--new-journal`)."""
        self.sleep, self.monotonic = sleep, monotonic
        self.journal = Journal(config.mail.journal)
        self._mailer = mailer
        self._own_mailer = False
        self._known: dict[str, Entry] | None = None

    @classmethod
    @contextmanager
    def open(
        cls,
        config: Config,
        clock: Callable[[], pd.Timestamp],
        test_to: str | None = None,
        resend_unknown: bool = False,
        new_journal: bool = False,
    ) -> Iterator[Sending]:
        """The send side for `--send` (journal held until the end), or for a sample to `test_to`."""
        sending = cls(
            config, clock, test_to=test_to, resend_unknown=resend_unknown, new_journal=new_journal
        )
        try:
            if test_to is None:
                sending.journal.open()
            yield sending
        finally:
            sending.close()

    @property
    def sample(self) -> bool:
        """Whether this run sends only a sample to the test address."""
        return self.test_to is not None

    def close(self) -> None:
        if self._mailer is not None and self._own_mailer:
            self._mailer.close()
        self.journal.close()

    @property
    def mailer(self) -> Mailer:
        """The mailer, opened on first use (an SMTP connection only with the first message)."""
        if self._mailer is None:
            self._mailer = open_mailer(self.config)
            self._own_mailer = True
        return self._mailer

    def check_kept(self, marks: Sequence[str]) -> None:
        """Stop before the first send when the journal is new but the sheet's `marks` (see
        `mail.marks.marks_of_sending`) say mail went out: the journal was deleted or moved, and
        sending on would mail people again. With `new_journal` the chair has confirmed it is
        lost: the new journal is started (the sheet's marks keep those already mailed from a
        second message) and the run goes on."""
        if self.sample or not self.journal.fresh:
            return
        if self.new_journal:
            self.journal.mark(NEW_JOURNAL, STARTED, self.clock(), "started anew (--new-journal)")
            self.journal.fresh = False
            return
        if not marks:
            return
        self.journal.forget_created()
        raise JournalLost(
            f"the send journal {self.journal.path} is new, but the sheet says mail went out ("
            + "; ".join(marks)
            + ") — nothing was sent. If the journal was moved or renamed, set [mail] journal "
            "to where it is now (or put it back). If it is lost for good, run the same command "
            "with --new-journal: the tool then starts a new journal and trusts the sheet's "
            "marks (those marked as mailed are not mailed again; an uncertain message in the "
            "lost journal may go out again)."
        )

    def known(self) -> dict[str, Entry]:
        """The journal's latest word on every key, read once per run and kept up to date."""
        if self._known is None:
            self._known = self.journal.entries()
        return self._known

    def send_sample(self, message: EmailMessage) -> str:
        """`message` once to the test address, its subject marked "[Test] "; no journal entry.

        Returns where it went (the mailer's description).
        """
        assert self.test_to is not None, "a sample needs a test address"
        try:
            address = check_address(self.test_to)
        except ValueError as exc:
            raise ConfigError(f"--test-to: {exc} — give one plain e-mail address.") from exc
        to = message["To"].addresses[0]
        message.replace_header("To", Address(display_name=to.display_name, addr_spec=address))
        message.replace_header("Subject", f"[Test] {message['Subject']}")
        del message[KEY_HEADER]  # a sample is no message of the run
        self.mailer.send(message)
        return self.mailer.description

    def send(
        self,
        items: Sequence[Prepared],
        *,
        limit: int | None = None,
        paced: bool = False,
        resend_unknown: bool = False,
        interruptible: bool = False,
        on_outcome: Callable[[Outcome], None] = lambda outcome: None,
        flush: Callable[[], None] = lambda: None,
        progress: Callable[[int, int], None] = lambda done, total: None,
    ) -> Batch:
        """Send `items` in order, each at most once, until done, `limit`, the cap or a fatal error.

        `paced` keeps [mail] rate_per_minute and daily_cap (for a server, not for the outbox
        folder). A message the mail layer cannot address is recorded as failed, with the
        reason, and the batch goes on. `on_outcome` hears of each message as it is settled;
        `flush` is called every FLUSH_SECONDS and at the end, so the caller's sheet follows.
        Ctrl-C leaves the message in flight uncertain; with `interruptible` the batch then
        returns (`interrupted`), else the KeyboardInterrupt passes on. A MailError (nothing
        more can be sent) leaves the message in flight deferred, and passes on.
        """
        assert not self.sample, "a sample run sends with send_sample only"
        mailer = self.mailer
        mail = self.config.mail
        pace = paced and mailer.paced
        batch = Batch()
        queue = list(items[:limit] if limit is not None else items)
        if pace and mail.daily_cap:
            day_ago = (self.clock() - pd.Timedelta(hours=24)).to_pydatetime()
            room = max(mail.daily_cap - self.journal.attempts_since(day_ago), 0)
            if len(queue) > room:
                batch.capped_at = mail.daily_cap
                queue = queue[:room]
        batch.not_reached = len(items) - len(queue)
        gap = 60.0 / mail.rate_per_minute if pace and mail.rate_per_minute else 0.0
        last_flush = last_send = self.monotonic()
        handed_over = False
        current: Prepared | None = None
        ahead = _BuiltAhead(queue)
        resend = resend_unknown or self.resend_unknown
        try:
            for done, item in enumerate(queue):
                outcome = self._known_outcome(item, resend)
                message = None
                if outcome is None:
                    try:
                        message = ahead.take(done)
                    except ValueError as exc:  # an address the mail layer cannot send to
                        outcome = self._note(item, FAILED, str(exc))
                if message is not None:
                    if gap and handed_over:
                        wait = last_send + gap - self.monotonic()
                        if wait > 0:
                            self.sleep(wait)
                    current = item
                    last_send = self.monotonic()
                    handed_over = True
                    outcome = self._hand_over(
                        mailer,
                        item,
                        message,
                        self._work_ahead(mailer, ahead, done + 1, resend),
                    )
                    current = None
                assert outcome is not None
                batch.outcomes.append(outcome)
                on_outcome(outcome)
                progress(done + 1, len(queue))
                if self.monotonic() - last_flush >= FLUSH_SECONDS:
                    flush()
                    last_flush = self.monotonic()
        except KeyboardInterrupt:
            batch.interrupted = True
            if current is not None:
                outcome = self._note(current, UNCERTAIN, "interrupted while sending")
                batch.outcomes.append(outcome)
                on_outcome(outcome)
            batch.not_reached = len(items) - len(batch.outcomes)
            flush()
            if not interruptible:
                raise
            return batch
        except MailError as exc:
            if current is not None:
                # Raised only before a message was handed over: it was not sent.
                self._note(current, DEFERRED, f"not sent, the run stopped: {exc}")
            flush()
            sent = len(batch.names(SENT))
            if not sent:
                raise
            rest = (
                "the rest were" if current is None else f"{current.name}'s and those after it were"
            )
            raise MailError(
                f"{exc} The run stopped after {sent} message(s) went out (the sheet shows them); "
                f"{rest} not sent: the next run sends them."
            ) from exc
        except JournalWriteFailed as exc:
            # The disk failed mid-run: the journal's own message would say nothing was sent.
            noted = False
            if current is not None and exc.answered is None:
                # It never left (the record comes first): say so if the disk still takes it,
                # else its "sending" entry makes it uncertain, which never sends it twice.
                with contextlib.suppress(JournalError):
                    self._note(current, DEFERRED, f"not sent: {exc.reason} in the journal")
                    noted = True
            raise JournalWriteFailed(
                _journal_stopped(exc, batch, current, noted, flush), exc.path, exc.reason
            ) from exc
        flush()
        return batch

    def _work_ahead(
        self, mailer: Mailer, ahead: _BuiltAhead, index: int, resend_unknown: bool
    ) -> Callable[[], None]:
        """The `meanwhile` hook for the message in flight: the work on the one after it, in
        two pieces, one a call: build it, then let the mailer prepare it."""
        pieces = iter(
            (
                functools.partial(self._build_next, ahead, index, resend_unknown),
                functools.partial(ahead.prepare, index, mailer),
            )
        )
        return lambda: next(pieces, nothing)()

    def _build_next(self, ahead: _BuiltAhead, index: int, resend_unknown: bool) -> None:
        """Build the message after the one in flight while the server answers, unless the
        journal already says it is not to be sent."""
        item = ahead.queue[index] if index < len(ahead.queue) else None
        if item is not None and self._known_outcome(item, resend_unknown) is None:
            ahead.build(index)

    def _known_outcome(self, item: Prepared, resend_unknown: bool) -> Outcome | None:
        entry = self.known().get(item.key)
        if entry is None or not (entry.state == SENT or (entry.unknown and not resend_unknown)):
            return None
        return Outcome(item, ALREADY, pd.Timestamp(entry.at), entry.reason, entry)

    def _hand_over(
        self,
        mailer: Mailer,
        item: Prepared,
        message: EmailMessage,
        meanwhile: Callable[[], None],
    ) -> Outcome:
        message_id = str(message.get("Message-ID", "")).strip()
        for key in dict.fromkeys((item.key, *item.settles)):
            # The keys it answers for too: a report that may have gone is not made anew.
            self.journal.mark(key, SENDING, self.clock(), message_id=message_id)
        try:
            # The mailer commits the journal (fsync) before the message can be delivered.
            mailer.send(message, commit=self.journal.commit, meanwhile=meanwhile)
        except PermanentFailure as exc:
            state, reason = FAILED, exc.reason
        except TemporaryFailure as exc:
            state, reason = DEFERRED, exc.reason
        except UncertainOutcome as exc:
            state, reason = UNCERTAIN, exc.reason
        else:
            if self.journal.uncommitted:
                # A mailer that delivered without committing: a bug. "sending" stays the last
                # word, so the message counts as uncertain and goes out no second time.
                raise RuntimeError(f"{mailer!r} delivered a message without committing the journal")
            state, reason = SENT, ""
        try:
            return self._note(item, state, reason)
        except JournalWriteFailed as exc:
            exc.answered = state
            raise

    def _note(self, item: Prepared, state: str, reason: str = "") -> Outcome:
        """Record `state` for the item's key and the keys it settles."""
        at = self.clock()
        for key in dict.fromkeys((item.key, *item.settles)):
            self.journal.mark(key, state, at, reason)
            self.known()[key] = Entry(key, state, at.to_pydatetime(), reason)
        return Outcome(item, state, at, reason)


def _journal_stopped(
    exc: JournalWriteFailed,
    batch: Batch,
    current: Prepared | None,
    noted: bool,
    flush: Callable[[], None],
) -> str:
    """What a run stopped by a journal it can no longer write has done, truthfully: the sheet
    is brought up to date first (`flush`), as when the mail server goes away."""
    try:
        flush()
        sheet = "the sheet shows them"
    except AlumniError as problem:
        sheet = f"the sheet could not be updated either ({problem}); the next run does it"
    sent = len(batch.names(SENT))
    if sent:
        went = f"{sent} message(s) went out before that and {sheet}"
    else:
        went = "no message went out before that"
    if current is None:
        this = ""
    elif exc.answered is None:
        this = f"; the message to {current.name} was not sent"
        if not noted:
            this += (
                " (the journal may still show it as uncertain: `--resend-uncertain` sends it, "
                "which is safe for this one)"
            )
    elif exc.answered == SENT:
        this = (
            f"; the message to {current.name} was accepted by the mail server but could not be "
            "recorded, so it counts as uncertain (`alumni uncertain` lists it)"
        )
    else:
        this = (
            f"; what became of the message to {current.name} ({exc.answered}) could not be "
            "recorded, so it counts as uncertain (`alumni uncertain` lists it)"
        )
    return (
        f"the send journal {exc.path} could not be written during the run ({exc.reason}) — the "
        f"run stopped: {went}{this}. Free some space or repair the disk, then run again: nothing "
        "goes out twice."
    )
