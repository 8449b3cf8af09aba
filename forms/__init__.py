"""Flask-WTF forms, one module per area. Shape checks only; business rules live in services."""
