"""Tests of the notebook layer: ``%load_ext nbauth``, the ``%nbauth`` magics, the live session,
the login widget. Shared helpers: ``tests/support/notebook_shell.py``."""
