"""The one rule for how many of a spectrum's largest values a fit keeps (K, hence x_min).

Used by ``compare fit``, the report and the batch alike: ``top`` keeps the K largest values;
``fraction`` keeps ``floor(fraction * n_modes)``, where ``n_modes`` is the number of nonzero
modes recorded in the spectrum's meta (a protein batch stores only the top of each inverse
spectrum), or the number of stored values when the meta does not say.
"""

from __future__ import annotations

from dataclasses import dataclass

from compare.meta import N_MODES
from compare.powerlaw import resolve_k
from compare.spectrum import Spectrum
from compare.validation import check_scalar, check_top_or_fraction

__all__ = ["KRule"]


@dataclass(frozen=True)
class KRule:
    """How many of a spectrum's largest values to keep (K, hence x_min = x_K).

    Parameters
    ----------
    top : int, optional
        Keep the ``top`` largest values.
    fraction : float, optional
        Keep ``floor(fraction * n_total)``, where ``n_total`` is ``meta["n_modes"]`` when the
        spectrum has it (a protein batch stores only the top of each inverse spectrum) and
        the number of stored values otherwise. Exactly one of ``top`` and ``fraction``.
    strict : bool
        A spectrum with fewer values than K raises ``ValueError``; when false (the network
        default) all its values are kept and a note says so.
    """

    top: int | None = None
    fraction: float | None = None
    strict: bool = True

    def __post_init__(self) -> None:
        top, fraction = check_top_or_fraction(self.top, self.fraction)
        if top is None and fraction is None:
            raise ValueError("give top or fraction (got neither)")
        object.__setattr__(self, "top", top)
        object.__setattr__(self, "fraction", fraction)
        check_scalar(self.strict, "strict", bool)

    def describe(self) -> str:
        """Short text, e.g. ``"top 10 % of the modes"`` or ``"K = 1000 (all if fewer)"``.

        Returns
        -------
        str
        """
        if self.fraction is not None:
            return f"top {100 * self.fraction:g} % of the modes (K = floor({self.fraction:g} n))"
        return f"K = {self.top}" + ("" if self.strict else " (all values if fewer)")

    def resolve(self, spectrum: Spectrum) -> tuple[int, str]:
        """K for ``spectrum`` and a note (empty when nothing is unusual).

        Parameters
        ----------
        spectrum : Spectrum
            The spectrum; a fraction is of ``meta["n_modes"]`` when present.

        Returns
        -------
        tuple of (int, str)
            K and the note.

        Raises
        ------
        ValueError
            The spectrum is shorter than K (strict rule) or K < 2.
        """
        n = len(spectrum)
        if self.fraction is not None:
            n_total = int(spectrum.meta.get(N_MODES) or n)
            k = resolve_k(max(n_total, n), fraction=self.fraction)
            if k > n:
                raise ValueError(
                    f"spectrum {spectrum.name!r} holds {n} values, fewer than K = {k} "
                    f"({self.fraction:g} of {n_total} modes)"
                )
            return k, ""
        if self.top > n:
            if self.strict:
                raise ValueError(f"spectrum {spectrum.name!r} holds {n} values, fewer than K = {self.top}")
            if n < 2:
                raise ValueError(f"spectrum {spectrum.name!r} holds {n} value; at least 2 are needed")
            return n, f"only {n} values: all kept (K = {self.top} asked for)"
        return self.top, ""
