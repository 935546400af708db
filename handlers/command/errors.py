"""Errors a member can act on. The message is the sentence they see; the dispatcher adds the usage."""

from __future__ import annotations


class UserError(Exception):
    def __init__(self, message: str, *, usage: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage
        self.field = field  # the option (or form field) the problem is about, when it is about one


class NotAllowed(UserError):
    """The speaker's role does not allow this."""
