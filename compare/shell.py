"""The command-line shell the three commands share.

One parser class, one exit-code table, the common options and :func:`run_command`, which maps
every error to its exit status.

Exit status (the same in ``enmspec``, ``dnnspec`` and ``compare``):

=====  ====================================================================================
0      everything asked for was done
1      a runtime failure: the network, a solver, or some entries of a batch or fetch failed
2      bad usage or bad input (an option, a file, a structure): one line names it and the cause
130    interrupted (Ctrl-C); what was finished is kept
=====  ====================================================================================
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn

from compare.errors import InputError, RuntimeFailure

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

#: Exceptions reported as bad input or usage (exit 2). ``InputError`` is a ``ValueError``.
INPUT_ERRORS: tuple[type[BaseException], ...] = (InputError, ValueError, TypeError)
#: Exceptions reported as runtime failures (exit 1).
RUNTIME_ERRORS: tuple[type[BaseException], ...] = (RuntimeFailure, RuntimeError, OSError, MemoryError)

Handler = Callable[[argparse.Namespace], int]


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose usage errors exit with :data:`EXIT_USAGE` (2)."""

    def error(self, message: str) -> NoReturn:  # noqa: D102 - argparse's hook
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_common_options(parser: argparse.ArgumentParser, *, json: bool = True, quiet: bool = True) -> None:
    """Add the options every subcommand shares: ``--debug``, ``-v/--verbose``, ``--json``, ``--quiet``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        A subcommand's parser.
    json : bool
        Add ``--json`` (print one JSON object).
    quiet : bool
        Add ``--quiet`` (no progress bar).
    """
    group = parser.add_argument_group("output")
    if json:
        group.add_argument("--json", action="store_true", help="print one JSON object")
    if quiet:
        group.add_argument("--quiet", action="store_true", help="no progress bar")
    group.add_argument(
        "-v", "--verbose", action="count", default=0, help="show the log (-v: info, -vv: debug)"
    )
    group.add_argument("--debug", action="store_true", help="show tracebacks")


def configure_logging(verbose: int) -> None:
    """Send the packages' log to stderr: errors only by default, more with ``-v``.

    Parameters
    ----------
    verbose : int
        0: warnings and errors; 1: info; 2 or more: debug.
    """
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    # a batch reports failed entries in its table and on stderr; warnings repeat them by default
    if verbose == 0:
        logging.getLogger().setLevel(logging.ERROR)


def one_line(exc: BaseException) -> str:
    """The exception's message folded into one line (a parser's multi-line message included).

    Parameters
    ----------
    exc : BaseException

    Returns
    -------
    str
        ``str(exc)`` with newlines collapsed, or the exception's type name when it is empty.
    """
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _missing_extra(exc: ImportError) -> str | None:
    name = getattr(exc, "name", None) or ""
    if name.split(".")[0] == "torch":
        return "needs PyTorch: pip install 'hessian-spectra[torch]'"
    if name.split(".")[0] == "pytorch_optimizer":
        return "needs pytorch-optimizer for its optimizers: pip install 'hessian-spectra[torch]'"
    if name.split(".")[0] == "distributed":
        return "needs Dask distributed: pip install 'hessian-spectra[dask]'"
    return None


def run_command(
    prog: str,
    handlers: Mapping[str, Handler],
    args: argparse.Namespace,
    *,
    interrupted: str | None = None,
) -> int:
    """Run the subcommand ``args.command`` with the house conventions; returns the exit status.

    Parameters
    ----------
    prog : str
        Program name for the messages (``enmspec``, ``dnnspec``, ``compare``).
    handlers : mapping of str to callable
        Subcommand name -> ``handler(args) -> int``.
    args : argparse.Namespace
        Parsed arguments, with ``command`` and (optionally) ``debug`` and ``verbose``.
    interrupted : str, optional
        Hint printed on Ctrl-C (exit 130); None re-raises ``KeyboardInterrupt``.

    Returns
    -------
    int
        0 done, 1 runtime failure, 2 bad usage or input, 130 interrupted. With
        ``args.debug`` every error is re-raised with its traceback instead.
    """
    debug = getattr(args, "debug", False)
    configure_logging(getattr(args, "verbose", 0))
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        if debug or interrupted is None:
            raise
        print(f"{prog}: {interrupted}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ImportError as exc:
        hint = _missing_extra(exc)
        if debug or hint is None:
            raise
        print(f"{prog} {args.command} {hint}", file=sys.stderr)
        return EXIT_FAILURE
    except RUNTIME_ERRORS as exc:
        return _report(prog, exc, EXIT_FAILURE, debug, label="failed")
    except INPUT_ERRORS as exc:
        return _report(prog, exc, EXIT_USAGE, debug)


def _report(prog: str, exc: BaseException, status: int, debug: bool, label: str = "error") -> int:
    if debug:
        raise exc
    print(f"{prog}: {label}: {one_line(exc)}", file=sys.stderr)
    return status


def main_for(
    prog: str,
    parser: argparse.ArgumentParser,
    handlers: Mapping[str, Handler],
    argv: Sequence[str] | None,
    *,
    interrupted: str | None = None,
) -> int:
    """Parse ``argv`` with ``parser`` and run the subcommand: the body of each ``main``.

    Parameters
    ----------
    prog : str
        Program name.
    parser : argparse.ArgumentParser
        The program's parser (an :class:`ArgumentParser`).
    handlers : mapping of str to callable
        Subcommand name -> handler.
    argv : sequence of str, optional
        Arguments (None: ``sys.argv[1:]``).
    interrupted : str, optional
        Hint printed on Ctrl-C.

    Returns
    -------
    int
        The exit status.
    """
    args = parser.parse_args(None if argv is None else list(argv))
    return run_command(prog, handlers, args, interrupted=interrupted)
