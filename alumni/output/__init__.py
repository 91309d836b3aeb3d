"""Renders the jobs' results as the text the terminal shows; it never reads or writes the sheet."""
