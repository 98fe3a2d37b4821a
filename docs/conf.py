"""Sphinx configuration of the hessian-spectra documentation.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (``pip install ".[docs]"``).
Offline (CI, or a machine without network): set ``HESSIAN_SPECTRA_DOCS_OFFLINE=1`` to turn
the intersphinx links to numpy, scipy, torch and pandas off; everything else is the same.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The documented packages are the ones of this tree, also in the tutorials' kernels (which
# inherit the environment), whatever else is installed.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])

project = "hessian-spectra"
author = "the hessian-spectra developers"
copyright = "2026, " + author
version = release = "0.1.0"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "apigen",
]

exclude_patterns = ["_build", "example-report", "**/.ipynb_checkpoints", "api/README.md"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
root_doc = "index"

# Markdown (myst): $...$ and $$...$$ math, ::: fences, definition lists, heading anchors.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# Tutorials are executed on every build, in a temporary folder; an error fails the build.
nb_execution_mode = "force"
nb_execution_in_temp = True
nb_execution_raise_on_error = True
nb_execution_timeout = 300
nb_merge_streams = True

# API reference: pages generated from each package's __all__ and public modules (apigen).
import apigen  # noqa: E402 - docs/_ext is on the path from here on

autosummary_generate = apigen.generate(DOCS)
# A class page: the numpydoc docstring (its Parameters and Attributes) and every documented
# method in full, without autosummary's extra tables of methods and attributes.
templates_path = ["_templates"]
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "none"  # the numpydoc sections state the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
add_module_names = True

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "scipy": ("https://docs.scipy.org/doc/scipy", None),
    "torch": ("https://docs.pytorch.org/docs/stable", None),
    "pandas": ("https://pandas.pydata.org/docs", None),
}
if os.environ.get("HESSIAN_SPECTRA_DOCS_OFFLINE"):
    intersphinx_mapping = {}
intersphinx_timeout = 10

html_theme = "pydata_sphinx_theme"
html_title = "hessian-spectra"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path: list[str] = []
# docs/example-report/ is copied as it is (report.html with its figures) by apigen.
