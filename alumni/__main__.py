"""Lets `python -m alumni` run the CLI."""

from alumni.cli import main

main()
