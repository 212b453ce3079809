"""User-facing errors: the CLI turns these into one line on stderr and an exit code."""

from __future__ import annotations


class WorkbenchError(Exception):
    """Bad input or usage. The message is shown to the user as is; exit code 2."""

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = problems or [message]


class CheckFailed(WorkbenchError):
    """A check ran and found problems (e.g. agreement below --min); exit code 1."""

    exit_code = 1
