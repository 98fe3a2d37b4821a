"""The error kinds every command line maps to an exit status, and the errors of :mod:`compare`.

Two kinds, and every exception of the three packages derives from one of them:

* :class:`InputError` (a ``ValueError``): bad input or bad usage, a file, an option or a
  structure that cannot be used as given; the command lines exit with status 2.
* :class:`RuntimeFailure` (a ``RuntimeError``): the input was fine but the work failed (the
  network, a solver, a numerical breakdown); exit status 1.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input or bad usage (exit status 2): the message names the input and the cause."""


class RuntimeFailure(RuntimeError):
    """A runtime failure on valid input (exit status 1): the network, a solver, the numerics."""


class ConvergenceError(RuntimeFailure):
    """An iterative eigensolver stopped before every requested eigenvalue converged.

    The one base of both packages' solvers (``enmspec``'s shift-invert slices and
    ``dnnspec``'s Lanczos and power iteration).

    Parameters
    ----------
    message : str
        What did not converge, and what to change.
    n_converged : int
        How many of the requested eigenvalues met the tolerance.
    products : int
        Matrix or Hessian-vector products spent.
    steps : int
        Krylov steps (or iterations) taken.
    """

    def __init__(self, message: str, *, n_converged: int = 0, products: int = 0, steps: int = 0) -> None:
        super().__init__(message)
        self.n_converged = int(n_converged)
        self.products = int(products)
        self.steps = int(steps)

    def __reduce__(self):  # keep the counts when a worker process sends the error back
        state = (type(self), str(self), self.n_converged, self.products, self.steps)
        return (_rebuild_convergence_error, state)


def _rebuild_convergence_error(
    cls: type[ConvergenceError], message: str, n_converged: int, products: int, steps: int
) -> ConvergenceError:
    return cls(message, n_converged=n_converged, products=products, steps=steps)


class SpectrumFileError(InputError):
    """A spectrum file is missing, unreadable or not in the documented format."""
