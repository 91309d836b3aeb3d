"""Fixtures every test module may use: the real SMTP servers on 127.0.0.1."""

from tests.fakes.smtp_server import smtp_server, ssl_smtp_server, tls_smtp_server

__all__ = ["smtp_server", "ssl_smtp_server", "tls_smtp_server"]
