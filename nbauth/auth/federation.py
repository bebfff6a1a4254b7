"""Checks on ``federate_to_identity_pool``'s arguments, before anything is sent or changed."""

from __future__ import annotations

from ..errors import InvalidParameterError, InvalidTokenError

__all__ = ["check_federation_arguments"]


def check_federation_arguments(
    token: object, developer_provided_identity_id: object, custom_role_arn: object
) -> None:
    """Raise a typed error naming the bad argument and what to pass instead."""
    if not isinstance(token, str) or not token.strip():
        raise InvalidTokenError(
            "federate_to_identity_pool() needs the provider's token as a non-empty string.",
        )
    if developer_provided_identity_id is not None and (
        not isinstance(developer_provided_identity_id, str)
        or ":" not in developer_provided_identity_id
    ):
        raise InvalidParameterError(
            f"developer_provided_identity_id must look like '<region>:<uuid>', got "
            f"{developer_provided_identity_id!r}.",
            "Pass the IdentityId returned by GetOpenIdTokenForDeveloperIdentity.",
        )
    if custom_role_arn is not None and not str(custom_role_arn).startswith("arn:"):
        raise InvalidParameterError(
            f"custom_role_arn must be an IAM role ARN, got {custom_role_arn!r}.",
            "Pass arn:aws:iam::<account>:role/<name>, or leave it out.",
        )
