"""Opens the mail backend the configuration asks for: the outbox folder or an SMTP server."""

from __future__ import annotations

import os
from collections.abc import Mapping

from alumni.config import Config
from alumni.errors import ConfigError
from alumni.mail.base import Mailer
from alumni.mail.outbox import OutboxMailer
from alumni.mail.smtp import SmtpMailer


def open_mailer(config: Config, env: Mapping[str, str] = os.environ) -> Mailer:
    """The mailer for [mail] backend; nothing connects until the first message is sent."""
    backend = config.mail.backend
    if backend == "outbox":
        return OutboxMailer(config.mail.outbox)
    if backend == "smtp":
        return SmtpMailer.from_config(config.smtp, env)
    raise ConfigError(f'[mail] backend is {backend!r} — use "outbox" or "smtp".')
