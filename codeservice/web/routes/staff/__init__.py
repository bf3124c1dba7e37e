"""Signing in and out, who am I, staff accounts and API tokens (admin)."""
