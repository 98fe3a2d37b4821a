"""Argument validation with one message form, after scikit-learn's ``check_scalar``/``Interval``.

Every check raises ``TypeError`` (wrong type) or ``ValueError`` (out of range) with the message
``"<name> must be <what>, got <value>"``, for example ``"top must be an int >= 2, got 1.5"``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection
from dataclasses import dataclass

__all__ = ["Interval", "check_choice", "check_scalar", "check_top_or_fraction"]


@dataclass(frozen=True)
class Interval:
    """A range of allowed numbers; either end may be open, closed or absent.

    Parameters
    ----------
    low, high : float, optional
        The ends (None: unbounded).
    closed : {"both", "left", "right", "neither"}
        Which ends belong to the interval.
    """

    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def __post_init__(self) -> None:
        if self.closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed must be one of both, left, right, neither, got {self.closed!r}")

    def __contains__(self, value: float) -> bool:
        """Whether ``value`` lies in the interval (NaN never does)."""
        if value != value:
            return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and (value < self.low or (value == self.low and not left)):
            return False
        return not (self.high is not None and (value > self.high or (value == self.high and not right)))

    def __str__(self) -> str:
        """``">= 2"``, ``"> 0"``, ``"in (0, 1]"``: the words used in the messages."""
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            return f"in {'[' if left else '('}{self.low:g}, {self.high:g}{']' if right else ')'}"
        if self.low is not None:
            return f"{'>=' if left else '>'} {self.low:g}"
        if self.high is not None:
            return f"{'<=' if right else '<'} {self.high:g}"
        return "finite"


_TYPE_WORDS = {int: "an int", float: "a number", bool: "a bool", str: "a string"}


def check_scalar(
    value: object,
    name: str,
    kind: type,
    *,
    interval: Interval | None = None,
    finite: bool = True,
) -> int | float | bool | str:
    """Check one scalar option; returns it converted to ``kind``.

    Parameters
    ----------
    value : object
        The value given.
    name : str
        The option's name, as the user wrote it (``top``, ``--top``).
    kind : {int, float, bool, str}
        Expected type. ``int`` accepts integral numbers (numpy ints too), never ``bool`` or a
        float with a fraction; ``float`` accepts any real number except ``bool``.
    interval : Interval, optional
        Allowed range of a number.
    finite : bool
        Refuse NaN and infinities (numbers only).

    Returns
    -------
    int, float, bool or str
        ``value`` as ``kind``.

    Raises
    ------
    TypeError
        ``value`` is not of the expected type.
    ValueError
        ``value`` is outside ``interval`` or not finite.

    Examples
    --------
    >>> check_scalar(5, "top", int, interval=Interval(2))
    5
    >>> check_scalar(1.5, "top", int, interval=Interval(2))
    Traceback (most recent call last):
    ...
    TypeError: top must be an int >= 2, got 1.5
    """
    words = _TYPE_WORDS.get(kind, kind.__name__)
    wanted = f"{words} {interval}" if interval is not None else words
    if kind is bool:
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be {wanted}, got {value!r}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise TypeError(f"{name} must be {wanted}, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {wanted}, got {value!r}")
    if kind is int:
        if isinstance(value, numbers.Integral):
            converted: int | float = int(value)
        elif math.isfinite(value) and float(value).is_integer():
            converted = int(value)
        else:
            raise TypeError(f"{name} must be {wanted}, got {value!r}")
    else:
        converted = float(value)
        if finite and not math.isfinite(converted):
            raise ValueError(f"{name} must be {wanted} and finite, got {value!r}")
    if interval is not None and converted not in interval:
        raise ValueError(f"{name} must be {wanted}, got {value!r}")
    return converted


def check_choice(value: object, name: str, choices: Collection) -> object:
    """Check that ``value`` is one of ``choices``; returns it.

    Parameters
    ----------
    value : object
    name : str
        The option's name.
    choices : collection
        Allowed values.

    Returns
    -------
    object
        ``value``.

    Raises
    ------
    ValueError
        ``value`` is not one of ``choices``.
    """
    if value not in choices:
        listed = ", ".join(str(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value


def check_top_or_fraction(
    top: object, fraction: object, *, default_fraction: float | None = None
) -> tuple[int | None, float | None]:
    """The one rule for the two ways of choosing K: ``top`` or ``fraction``, never both.

    Parameters
    ----------
    top : int, optional
        Keep the ``top`` largest values (an int >= 2).
    fraction : float, optional
        Keep ``floor(fraction * n)`` of them (in (0, 1]).
    default_fraction : float, optional
        Used when neither is given; None leaves both unset (all values).

    Returns
    -------
    tuple
        ``(top, fraction)``, at most one of them not None.

    Raises
    ------
    ValueError
        Both are given, or one is out of range.
    TypeError
        One has the wrong type.
    """
    if top is not None and fraction is not None:
        raise ValueError(f"give top or fraction, not both (got top={top!r}, fraction={fraction!r})")
    if top is not None:
        return int(check_scalar(top, "top", int, interval=Interval(2))), None
    if fraction is None:
        fraction = default_fraction
    if fraction is not None:
        fraction = float(check_scalar(fraction, "fraction", float, interval=Interval(0, 1, "right")))
    return None, fraction
