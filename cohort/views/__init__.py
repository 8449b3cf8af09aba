"""Thin blueprints: load or 404, validate, call one service, commit, redirect."""
