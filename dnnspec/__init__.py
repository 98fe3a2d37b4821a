"""Loss-Hessian spectra of deep networks (PyTorch). Not built yet: see the project's issues.

Needs the ``torch`` extra (``pip install hessian-spectra[torch]``); writes
:class:`compare.Spectrum` records of kind ``"network"``.
"""
