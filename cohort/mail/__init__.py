"""E-mail: an outbox written with the change, delivered over SMTP by the worker."""
