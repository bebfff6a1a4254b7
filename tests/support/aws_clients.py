"""boto3 clients as a browser running Amplify would make them: unsigned, and without retries."""

from __future__ import annotations

from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config

#: Faults injected by the sandbox must be seen by the test, not retried away.
NO_RETRIES = {"mode": "standard", "total_max_attempts": 1}


def unsigned_client(service: str, endpoint_url: str, **config: Any) -> Any:
    """An unsigned boto3 client without retries (``config``: more ``botocore.config.Config``)."""
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries=NO_RETRIES, **config),
    )
