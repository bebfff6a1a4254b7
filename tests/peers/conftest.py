"""Tests of the oidc-provider peer (node) itself."""

from tests.support.keycloak_fixtures import *  # noqa: F403
from tests.support.peer_fixtures import *  # noqa: F403
