"""Tests of the oidc-provider peer (node) itself."""

from tests.support.peer_fixtures import *  # noqa: F403
