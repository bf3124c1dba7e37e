"""Errors from storage that a use case may expect and answer."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError as ConstraintViolation

__all__ = ["ConstraintViolation"]
