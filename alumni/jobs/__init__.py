"""One module per use case: read the sheet, call the rules, write the changes."""
