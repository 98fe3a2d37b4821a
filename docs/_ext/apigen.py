"""Generate the API and command-line reference from the code itself, at every build.

The API pages list each package's ``__all__`` (``compare``, ``compare.report``, ``enmspec``,
``dnnspec``), one autosummary page per name, and every public module (found by walking the
packages, so a new module appears without an edit) with the members it defines that no package
re-exports. The CLI page is written from the argparse parsers (``<package>.cli.build_parser``),
so a new subcommand or option appears as soon as the parser has it. ``conf.py`` writes the
pages to ``docs/api/_auto/`` (not tracked) before Sphinx looks for its sources.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import shutil
from pathlib import Path

TOP_PACKAGES = ("compare", "enmspec", "dnnspec")
PACKAGES = ("compare", "compare.report", "enmspec", "dnnspec")
KIND_TITLES = {
    "class": "Classes",
    "exception": "Exceptions",
    "function": "Functions",
    "data": "Constants",
}
RST_SPECIAL = re.compile(r"([\\*`|_])")


def public_names(package: str) -> list[str]:
    """The names a package exports, sorted: its ``__all__``."""
    return sorted(importlib.import_module(package).__all__)


def public_modules() -> list[str]:
    """Every importable module of the three packages with no leading underscore in its path."""
    found = []
    for top in TOP_PACKAGES:
        package = importlib.import_module(top)
        for info in pkgutil.walk_packages(package.__path__, prefix=top + "."):
            if any(part.startswith("_") for part in info.name.split(".")) or info.name in PACKAGES:
                continue
            found.append(info.name)
    return sorted(found)


def kind_of(obj: object) -> str:
    """``class``, ``exception``, ``function`` or ``data`` (autosummary's groups)."""
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "data"


def _title(text: str, char: str) -> str:
    return f"{text}\n{char * len(text)}\n"


def _escape(text: str) -> str:
    return RST_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def package_page(package: str, first: dict[int, str]) -> str:
    """reStructuredText of one package: its docstring and an autosummary table per kind.

    A name bound to an object that an earlier package already exports (``enmspec.ConvergenceError``
    is ``compare.ConvergenceError``) is listed with a link to that page instead of a second one.
    """
    module = importlib.import_module(package)
    groups: dict[str, list[str]] = {kind: [] for kind in KIND_TITLES}
    aliases = []
    for name in public_names(package):
        obj = getattr(module, name)
        target = first.get(id(obj))
        if target is not None and target != f"{package}.{name}":
            aliases.append((name, target))
        else:
            groups[kind_of(obj)].append(name)
    lines = [f".. _api-{package}:", "", _title(f"``{package}``", "="), f".. automodule:: {package}"]
    lines += ["   :no-members:", "", f".. currentmodule:: {package}", ""]
    for kind, names in groups.items():
        if not names:
            continue
        lines += [_title(KIND_TITLES[kind], "-"), ".. autosummary::", "   :toctree: generated", ""]
        lines += [f"   {name}" for name in names] + [""]
    if aliases:
        lines += [_title("Also exported here", "-")]
        lines += [f"* ``{package}.{name}``: the same object as :py:obj:`{to}`" for name, to in aliases]
        lines.append("")
    return "\n".join(lines)


def exported_objects() -> dict[int, str]:
    """``id(object) -> "package.name"``, the first package (in :data:`PACKAGES` order) exporting it."""
    exported = {}
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in public_names(package):
            obj = getattr(module, name)
            if kind_of(obj) != "data":
                exported.setdefault(id(obj), f"{package}.{name}")
    return exported


def module_page(name: str, exported: dict[int, str]) -> str:
    """reStructuredText of one module: its docstring and the members not documented elsewhere."""
    module = importlib.import_module(name)
    own = [
        (attr, obj)
        for attr, obj in vars(module).items()
        if not attr.startswith("_") and getattr(obj, "__module__", None) == name and kind_of(obj) != "data"
    ]
    elsewhere = [(attr, exported[id(obj)]) for attr, obj in own if id(obj) in exported]
    here = [attr for attr, obj in own if id(obj) not in exported]
    lines = [_title(f"``{name}``", "="), f".. automodule:: {name}"]
    lines += [f"   :members: {', '.join(here)}" if here else "   :no-members:"]
    if name in set(exported.values()):
        lines.append("   :no-index:")  # enmspec.fetch is both a module and the function it exports
    lines.append("")
    if elsewhere:
        refs = ", ".join(f":py:obj:`{attr} <{target}>`" for attr, target in elsewhere)
        lines += [f"Documented under their package name: {refs}.", ""]
    return "\n".join(lines)


def modules_page(modules: list[str]) -> str:
    """The index of the module pages."""
    lines = [_title("Modules", "="), "Every public module, with what it defines besides the package names."]
    lines.append("")
    lines += [".. toctree::", "   :maxdepth: 1", ""] + [f"   module/{name}" for name in modules]
    return "\n".join(lines) + "\n"


def _option_signature(action: argparse.Action, formatter: argparse.HelpFormatter) -> str:
    if not action.option_strings:
        return formatter._metavar_formatter(action, action.dest)(1)[0]
    if action.nargs == 0:
        return ", ".join(action.option_strings)
    args = formatter._format_args(action, action.dest.upper())
    return ", ".join(f"{option} {args}" for option in action.option_strings)


def _parser_lines(prog: str, parser: argparse.ArgumentParser) -> list[str]:
    formatter = parser._get_formatter()
    usage = parser.format_usage().strip().removeprefix("usage: ")
    lines = []
    if parser.description:
        lines += [_escape(parser.description), ""]
    lines += [".. code-block:: text", "", "   " + "\n   ".join(usage.splitlines()), ""]
    lines += [f".. program:: {prog}", ""]
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        lines += [f".. option:: {_option_signature(action, formatter)}", ""]
        help_text = formatter._expand_help(action) if action.help else ""
        if action.choices is not None and not action.option_strings:
            help_text += f" (one of {', '.join(map(str, action.choices))})"
        if not help_text.strip():
            help_text = "Positional argument." if not action.option_strings else ""
        lines += [f"   {_escape(help_text)}", ""] if help_text else []
    return lines


def subcommands(parser: argparse.ArgumentParser) -> dict[str, tuple[argparse.ArgumentParser, str]]:
    """``name -> (parser, one-line help)`` of a parser's subcommands."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            found.update({name: (sub, helps.get(name, "")) for name, sub in action.choices.items()})
    return found


def cli_programs() -> dict[str, argparse.ArgumentParser]:
    """``program name -> parser`` for every package with a ``cli.build_parser``."""
    return {top: importlib.import_module(f"{top}.cli").build_parser() for top in TOP_PACKAGES}


def cli_page() -> str:
    """reStructuredText of every command, subcommand and option, from the parsers."""
    lines = [
        ".. _cli-reference:",
        "",
        _title("Command line", "="),
        "Written from the argparse parsers at each build. Exit status, the same for all three",
        "programs: 0 everything done; 1 a runtime failure; 2 bad usage or bad input; 130 interrupted.",
        "",
    ]
    for prog, parser in cli_programs().items():
        lines += [_title(f"``{prog}``", "-")] + _parser_lines(prog, parser)
        for name, (sub, help_text) in subcommands(parser).items():
            lines += [_title(f"``{prog} {name}``", "~")]
            if help_text:
                lines += [f"*{_escape(help_text)}*", ""]
            lines += _parser_lines(f"{prog} {name}", sub)
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    # Unchanged pages keep their time stamp, so that Sphinx does not reread them.
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def generate(srcdir: str | Path) -> list[str]:
    """Write ``api/_auto/``: the package pages, the module pages and the CLI page.

    Called from ``conf.py``, before Sphinx looks for its source files; returns the package
    pages (for ``autosummary_generate``).
    """
    out = Path(srcdir) / "api" / "_auto"
    modules = public_modules()
    exported = exported_objects()
    wanted = {f"{package}.rst": package_page(package, exported) for package in PACKAGES}
    wanted.update({f"module/{name}.rst": module_page(name, exported) for name in modules})
    wanted["modules.rst"] = modules_page(modules)
    wanted["cli.rst"] = cli_page()
    for stale in out.glob("module/*.rst"):
        if f"module/{stale.name}" not in wanted:
            stale.unlink()
    for relative, text in wanted.items():
        _write(out / relative, text)
    return [f"api/_auto/{package}.rst" for package in PACKAGES]


def copy_example_report(app: object, exception: BaseException | None) -> None:
    """Copy ``docs/example-report/`` into the built site as it is (report.html and its figures)."""
    if exception is None and app.builder.format == "html":
        source = Path(app.srcdir) / "example-report"
        shutil.copytree(source, Path(app.outdir) / "example-report", dirs_exist_ok=True)


def setup(app: object) -> dict:
    """Sphinx entry point."""
    app.connect("build-finished", copy_example_report)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
