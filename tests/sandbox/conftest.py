"""Tests of the sandbox itself (``nbauth.sandbox``): the shared sandbox and its clients."""

from tests.support.sandbox_fixtures import *  # noqa: F403
