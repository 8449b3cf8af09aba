"""The one error a business rule refuses with: its message is shown to the person who asked.

It sits below the services so that adapters the services use (the Stripe gateway) can raise it
without importing the services.
"""


class ServiceError(Exception):
    """A request the business rules refuse; `message` is shown to the person who asked."""

    status_code = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
