"""E-mail: building and rendering messages, the send journal, and the backends that deliver them."""
