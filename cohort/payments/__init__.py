"""Stripe: the gateway the services call, and the signed webhook."""
