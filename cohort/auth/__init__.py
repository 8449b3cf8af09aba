"""Staff accounts: passwords, sign-in throttling, roles, services and commands."""
