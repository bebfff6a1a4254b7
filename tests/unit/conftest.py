"""Unit tests: nbauth's parts with fakes (``tests.support.fakes``), no network.

No sandbox fixtures here, on purpose: this tier imports neither moto nor ``nbauth.sandbox``
(``tests/test_repository.py`` checks it). A test that needs the sandbox belongs in
``tests/integration`` or ``tests/sandbox``.
"""
