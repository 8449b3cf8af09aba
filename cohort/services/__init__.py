"""What the business does. Services take a session, flush, and never commit."""

from cohort.errors import ServiceError

__all__ = ["ServiceError"]
