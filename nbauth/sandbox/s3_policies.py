"""S3 requests judged against the IAM policies of the role behind their credentials.

The signed-request layer verifies a request's signature, finds its :class:`Principal` and
calls an :class:`~nbauth.sandbox.principals.Authorizer`; :class:`S3PolicyAuthorizer` is the
one for S3. It maps the request to the S3 action(s) and resource ARN(s) AWS would check
(:func:`s3_accesses`), collects the role's policies from moto's IAM backend (inline policies
from ``PutRolePolicy`` and attached managed policies, read on every request, so changes
made with the IAM API apply at once) and evaluates them with :mod:`nbauth.sandbox.iam_policy`,
with ``${cognito-identity.amazonaws.com:sub}`` set to the caller's identity id.

What is and is not checked:

* only S3 is policy-checked; other services (Cognito, STS, IAM through the admin key) are
  allowed once their signature checks out. ``sts:GetCallerIdentity`` is always allowed in AWS
  too;
* the admin principal (the sandbox's documented admin key, the account's root) may do
  everything;
* ``HeadObject`` needs ``s3:GetObject``, ``HeadBucket`` ``s3:ListBucket``, ``CopyObject`` /
  ``UploadPartCopy`` ``s3:PutObject`` on the target and ``s3:GetObject`` on the source,
  multipart uploads (create, upload part, complete) ``s3:PutObject``;
* ``DeleteObjects`` (``POST ?delete``) needs ``s3:DeleteObject`` on ``arn:aws:s3:::bucket/*``:
  the keys are in the request body, which the authorizer does not see, so a batch delete is
  allowed only to a caller who may delete every key (AWS checks each key instead). A caller
  limited to a prefix deletes objects one by one;
* browser-form ``POST`` uploads to a bucket likewise need ``s3:PutObject`` on ``bucket/*``;
* condition keys: ``s3:prefix``, ``s3:delimiter``, ``s3:max-keys`` (ListBucket, and
  ListBucketVersions),
  ``s3:x-amz-acl``, ``s3:x-amz-copy-source``, ``s3:VersionId``; ``aws:PrincipalArn``,
  ``aws:PrincipalAccount``, ``aws:PrincipalType``, ``aws:RequestedRegion``,
  ``aws:SecureTransport`` (``false``: the sandbox is http); ``cognito-identity.amazonaws.com:sub``.
  ``aws:username`` is absent, as for any role session, and so is ``aws:userid``.

Addressing: path style (``http://127.0.0.1:<port>/bucket/key``, what botocore uses for an
``endpoint_url`` with an IP address) and virtual-hosted style (``bucket.localhost:<port>``,
``bucket.s3.<region>.amazonaws.com``).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .aws_errors import AwsError
from .iam_policy import AccessRequest, ContextValue, Decision, Policy, PolicyError, evaluate
from .principals import Principal, SignedRequest

__all__ = [
    "S3Access",
    "S3PolicyAuthorizer",
    "moto_role_policies",
    "s3_accesses",
]

logger = logging.getLogger(__name__)

_VIRTUAL_HOST = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.\-]*?)\.(?:s3[.\-].*amazonaws\.com(?:\.cn)?|localhost)$"
)

# Sub-resources (query parameters) that change what a bucket or object request does.
_BUCKET_SUBRESOURCES: dict[str, dict[str, str]] = {
    "GET": {
        "location": "GetBucketLocation",
        "uploads": "ListBucketMultipartUploads",
        "versions": "ListBucketVersions",
        "acl": "GetBucketAcl",
        "policy": "GetBucketPolicy",
        "policyStatus": "GetBucketPolicyStatus",
        "tagging": "GetBucketTagging",
        "cors": "GetBucketCORS",
        "versioning": "GetBucketVersioning",
        "lifecycle": "GetLifecycleConfiguration",
        "website": "GetBucketWebsite",
        "logging": "GetBucketLogging",
        "notification": "GetBucketNotification",
        "encryption": "GetEncryptionConfiguration",
        "publicAccessBlock": "GetBucketPublicAccessBlock",
        "ownershipControls": "GetBucketOwnershipControls",
        "object-lock": "GetBucketObjectLockConfiguration",
        "accelerate": "GetAccelerateConfiguration",
        "requestPayment": "GetBucketRequestPayment",
        "replication": "GetReplicationConfiguration",
    },
    "PUT": {
        "acl": "PutBucketAcl",
        "policy": "PutBucketPolicy",
        "tagging": "PutBucketTagging",
        "cors": "PutBucketCORS",
        "versioning": "PutBucketVersioning",
        "lifecycle": "PutLifecycleConfiguration",
        "website": "PutBucketWebsite",
        "logging": "PutBucketLogging",
        "notification": "PutBucketNotification",
        "encryption": "PutEncryptionConfiguration",
        "publicAccessBlock": "PutBucketPublicAccessBlock",
        "ownershipControls": "PutBucketOwnershipControls",
        "object-lock": "PutBucketObjectLockConfiguration",
        "accelerate": "PutAccelerateConfiguration",
        "requestPayment": "PutBucketRequestPayment",
        "replication": "PutReplicationConfiguration",
    },
    "DELETE": {
        "policy": "DeleteBucketPolicy",
        "tagging": "PutBucketTagging",
        "cors": "PutBucketCORS",
        "lifecycle": "PutLifecycleConfiguration",
        "website": "DeleteBucketWebsite",
        "encryption": "PutEncryptionConfiguration",
        "publicAccessBlock": "PutBucketPublicAccessBlock",
        "ownershipControls": "PutBucketOwnershipControls",
        "replication": "PutReplicationConfiguration",
    },
}
_BUCKET_DEFAULT = {"GET": "ListBucket", "HEAD": "ListBucket", "PUT": "CreateBucket",
                   "DELETE": "DeleteBucket"}  # fmt: skip
_OBJECT_SUBRESOURCES: dict[str, dict[str, str]] = {
    "GET": {
        "uploadId": "ListMultipartUploadParts",
        "acl": "GetObjectAcl",
        "tagging": "GetObjectTagging",
        "attributes": "GetObjectAttributes",
        "retention": "GetObjectRetention",
        "legal-hold": "GetObjectLegalHold",
        "torrent": "GetObjectTorrent",
    },
    "PUT": {
        "acl": "PutObjectAcl",
        "tagging": "PutObjectTagging",
        "retention": "PutObjectRetention",
        "legal-hold": "PutObjectLegalHold",
        "uploadId": "PutObject",  # UploadPart / UploadPartCopy
    },
    "DELETE": {"uploadId": "AbortMultipartUpload", "tagging": "DeleteObjectTagging"},
    "POST": {
        "uploads": "PutObject",  # CreateMultipartUpload
        "uploadId": "PutObject",  # CompleteMultipartUpload
        "restore": "RestoreObject",
        "select": "GetObject",  # SelectObjectContent
    },
}
_OBJECT_DEFAULT = {"GET": "GetObject", "HEAD": "GetObject", "PUT": "PutObject",
                   "DELETE": "DeleteObject"}  # fmt: skip
_VERSIONED = {"GetObject": "GetObjectVersion", "DeleteObject": "DeleteObjectVersion",
              "GetObjectAcl": "GetObjectVersionAcl", "PutObjectAcl": "PutObjectVersionAcl",
              "GetObjectTagging": "GetObjectVersionTagging",
              "PutObjectTagging": "PutObjectVersionTagging",
              "DeleteObjectTagging": "DeleteObjectVersionTagging"}  # fmt: skip


@dataclass(frozen=True)
class S3Access:
    """One permission a request needs: ``s3:<action>`` on ``resource``, with condition keys."""

    action: str  # "s3:GetObject"
    resource: str  # "arn:aws:s3:::bucket/key", "arn:aws:s3:::bucket" or "*"
    context: Mapping[str, ContextValue] = field(default_factory=dict)


def _first(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _bucket_and_key(request: SignedRequest) -> tuple[str, str]:
    host = request.host.rsplit(":", 1)[0] if not request.host.startswith("[") else ""
    path = request.path or "/"
    match = _VIRTUAL_HOST.match(host.lower()) if host and not _is_ip(host) else None
    if match is not None:
        return match.group("bucket"), path.lstrip("/")
    bucket, _, key = path.lstrip("/").partition("/")
    return bucket, key


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _copy_source(header: str) -> tuple[str, str | None]:
    """``x-amz-copy-source`` (``[/]bucket/key[?versionId=v]``, URL-encoded) → (bucket/key, v)."""
    source, _, query = header.partition("?")
    version = urllib.parse.parse_qs(query).get("versionId", [None])[0]
    return urllib.parse.unquote(source).lstrip("/"), version


def s3_accesses(request: SignedRequest) -> list[S3Access]:
    """What AWS would check for this S3 request: one or more (action, resource) pairs."""
    method = request.method.upper()
    query = request.query
    bucket, key = _bucket_and_key(request)
    base: dict[str, ContextValue] = {}
    for name, header in (("s3:x-amz-acl", "x-amz-acl"),
                         ("s3:x-amz-copy-source", "x-amz-copy-source")):  # fmt: skip
        if header in request.headers:
            base[name] = request.headers[header]
    version_id = _first(query, "versionId")
    if version_id is not None:
        base["s3:VersionId"] = version_id

    if not bucket:
        return [S3Access("s3:ListAllMyBuckets", "*", base)]
    bucket_arn = f"arn:aws:s3:::{bucket}"
    if not key:
        if method == "POST":
            # DeleteObjects / form upload: the keys are in the body (see the module docstring).
            action = "DeleteObject" if "delete" in query else "PutObject"
            return [S3Access(f"s3:{action}", f"{bucket_arn}/*", base)]
        named = _BUCKET_SUBRESOURCES.get(method, {})
        action = next((named[q] for q in named if q in query), None) or _BUCKET_DEFAULT.get(
            method, f"Unknown{method.title()}Bucket"
        )
        context = dict(base)
        if action in ("ListBucket", "ListBucketVersions") and method == "GET":
            for name in ("prefix", "delimiter", "max-keys"):
                value = _first(query, name)
                if value is not None:
                    context[f"s3:{name}"] = value
        return [S3Access(f"s3:{action}", bucket_arn, context)]

    object_arn = f"{bucket_arn}/{key}"
    named = _OBJECT_SUBRESOURCES.get(method, {})
    action = next((named[q] for q in named if q in query), None) or _OBJECT_DEFAULT.get(
        method, f"Unknown{method.title()}Object"
    )
    if version_id is not None:
        action = _VERSIONED.get(action, action)
    accesses = [S3Access(f"s3:{action}", object_arn, base)]
    copy_header = request.headers.get("x-amz-copy-source")
    if method == "PUT" and copy_header:
        source, source_version = _copy_source(copy_header)
        source_action = "s3:GetObjectVersion" if source_version else "s3:GetObject"
        accesses.append(S3Access(source_action, f"arn:aws:s3:::{source}", base))
    return accesses


# -- policies from moto ---------------------------------------------------------------------


def moto_role_policies(role_arn: str) -> list[Policy]:
    """The role's inline and attached managed policies from moto's IAM backend (the sandbox's
    IAM API); an unknown role has none. Unreadable documents are skipped (logged)."""
    from moto.iam.models import iam_backends

    from .principals import ACCOUNT_ID

    backend = iam_backends[ACCOUNT_ID]["aws"]
    role = next((r for r in backend.get_roles() if r.arn == role_arn), None)
    if role is None:
        return []
    documents: list[tuple[str, str]] = list(role.policies.items())
    for managed in role.managed_policies.values():
        default = next((v for v in managed.versions if v.is_default), None)
        if default is not None:
            documents.append((managed.name, default.document))
    policies = []
    for name, document in documents:
        try:
            policies.append(Policy.from_document(_decoded(document), name))
        except PolicyError as err:
            logger.warning("skipping policy %s of %s: %s", name, role_arn, err)
    return policies


def _decoded(document: str) -> str:
    if document.lstrip().startswith("%7B"):
        return urllib.parse.unquote(document)  # URL-encoded, as IAM's API returns them
    return document


# -- the authorizer -------------------------------------------------------------------------


class S3PolicyAuthorizer:
    """The sandbox's :class:`~nbauth.sandbox.principals.Authorizer` for S3.

    ``role_policies(role_arn)`` returns the role's identity-based policies; by default
    :func:`moto_role_policies`. Raises ``AwsError("AccessDenied", ..., 403)`` with AWS's
    message when a needed permission is not allowed.
    """

    def __init__(self, role_policies: Callable[[str], Sequence[Policy]] | None = None) -> None:
        self._role_policies = role_policies or moto_role_policies

    def __call__(self, principal: Principal, request: SignedRequest) -> None:
        if request.service != "s3" or principal.kind == "admin":
            return
        accesses = s3_accesses(request)
        policies = self._role_policies(principal.role_arn) if principal.role_arn else []
        context = _principal_context(principal, request)
        for access in accesses:
            decision = evaluate(
                policies,
                AccessRequest(access.action, access.resource, {**context, **access.context}),
            )
            if not decision.allowed:
                raise AwsError("AccessDenied", _denied(principal, access, decision), 403)


def _principal_context(principal: Principal, request: SignedRequest) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = {
        "aws:PrincipalAccount": principal.account_id,
        "aws:RequestedRegion": request.region,
        "aws:SecureTransport": "false",
    }
    if principal.role_arn is not None:
        context["aws:PrincipalArn"] = principal.role_arn
        context["aws:PrincipalType"] = "AssumedRole"
    if principal.identity_id is not None:
        context["cognito-identity.amazonaws.com:sub"] = principal.identity_id
    return context


def _denied(principal: Principal, access: S3Access, decision: Decision) -> str:
    reason = (
        "with an explicit deny in an identity-based policy"
        if decision is Decision.EXPLICIT_DENY
        else f"because no identity-based policy allows the {access.action} action"
    )
    return (
        f"User: {principal.arn} is not authorized to perform: {access.action} "
        f'on resource: "{access.resource}" {reason}'
    )
