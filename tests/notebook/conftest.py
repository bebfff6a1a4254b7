"""The notebook layer's tests run against the shared sandbox."""

from tests.support.sandbox_fixtures import *  # noqa: F403
