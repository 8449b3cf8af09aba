"""What the business does. Services take a session, flush, and never commit."""


class ServiceError(Exception):
    """A request the business rules refuse; `message` is shown to the person who asked."""

    status_code = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
