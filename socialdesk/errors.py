"""Errors the action layer raises; views and the API turn them into clear messages."""


class ActionError(Exception):
    """The request cannot be carried out as given (bad input). HTTP 400."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ActionRefused(ActionError):
    """Policy or role forbids it. HTTP 403; an audit entry is written."""

    status = 403


class ActionConflict(ActionError):
    """Someone else has it, or it changed meanwhile. HTTP 409."""

    status = 409


class ActionNotFound(ActionError):
    """The conversation is not one the actor may see. HTTP 404, never 403: whoever may not see a
    conversation may not learn that it exists either."""

    status = 404
