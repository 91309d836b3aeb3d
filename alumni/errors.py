"""The exceptions the tool raises: one root for everything a person must fix."""


class AlumniError(Exception):
    """Something a person must fix before the run can go on; the message says what to do.

    `exit_code` follows the CLI's promise: 1 when the problem is in the sheet's data,
    2 when the run could not be done (usage, configuration, a service that keeps failing).
    """

    exit_code = 2


class ConfigError(AlumniError):
    """The configuration file or the command line is wrong."""


class StoreError(AlumniError):
    """The sheet could not be opened, read or written."""


class SheetLockedError(StoreError):
    """The local workbook is open in Excel or LibreOffice."""


class DataError(AlumniError):
    """The sheet's data makes the requested run impossible."""

    exit_code = 1
