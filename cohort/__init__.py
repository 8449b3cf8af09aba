"""Cohort: small, paid, application-only programs from application to refund."""
