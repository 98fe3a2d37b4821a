"""Exceptions raised by :mod:`compare`."""

from __future__ import annotations


class SpectrumFileError(ValueError):
    """A spectrum file is missing, unreadable or not in the documented format."""
