"""The sandbox's IAM policy evaluator and S3 request mapping, without a server.

Here rather than in ``tests/unit``: the unit tier imports nothing from ``nbauth.sandbox``
(``tests/test_repository.py``). Neither module imports moto (checked below).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from nbauth.sandbox.aws_errors import AwsError
from nbauth.sandbox.iam_policy import AccessRequest, Decision, Policy, PolicyError, evaluate
from nbauth.sandbox.principals import Principal, SignedRequest
from nbauth.sandbox.s3_policies import S3PolicyAuthorizer, s3_accesses
from nbauth.sandbox.seed import role_policy

SUB = "us-east-1:11111111-2222-3333-4444-555555555555"
OTHER = "us-east-1:99999999-8888-7777-6666-555555555555"
BUCKET_ARN = "arn:aws:s3:::b"


def policy(*statements: dict[str, Any], version: str | None = "2012-10-17") -> Policy:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        doc["Version"] = version
    return Policy.from_document(json.dumps(doc))


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(policies: list[Policy] | Policy, action: str, resource: str) -> Decision:
    items = [policies] if isinstance(policies, Policy) else policies
    return evaluate(items, AccessRequest(action, resource))


# -- actions and resources --------------------------------------------------------------------


def test_allow_deny_and_implicit_deny():
    p = policy(allow("s3:GetObject", f"{BUCKET_ARN}/*"))
    assert decide(p, "s3:GetObject", f"{BUCKET_ARN}/k") is Decision.ALLOW
    assert decide(p, "s3:PutObject", f"{BUCKET_ARN}/k") is Decision.IMPLICIT_DENY
    assert decide(p, "s3:GetObject", "arn:aws:s3:::other/k") is Decision.IMPLICIT_DENY
    assert decide([], "s3:GetObject", f"{BUCKET_ARN}/k") is Decision.IMPLICIT_DENY


def test_explicit_deny_wins_in_any_policy_and_any_order():
    allows = policy(allow("s3:*", "*"))
    denies = policy(deny("s3:PutObject", f"{BUCKET_ARN}/locked/*"))
    for order in ([allows, denies], [denies, allows]):
        assert decide(order, "s3:PutObject", f"{BUCKET_ARN}/locked/x") is Decision.EXPLICIT_DENY
        assert decide(order, "s3:PutObject", f"{BUCKET_ARN}/open/x") is Decision.ALLOW
    both = policy(allow("s3:*", "*"), deny("s3:*", f"{BUCKET_ARN}/locked/*"))
    assert decide(both, "s3:GetObject", f"{BUCKET_ARN}/locked/x") is Decision.EXPLICIT_DENY


def test_single_statement_object_and_list_or_string_elements():
    doc = {"Version": "2012-10-17", "Statement": allow("s3:GetObject", f"{BUCKET_ARN}/*")}
    assert decide(Policy.from_document(doc), "s3:GetObject", f"{BUCKET_ARN}/x").allowed
    p = policy(allow(["s3:GetObject", "s3:PutObject"], [f"{BUCKET_ARN}/a/*", f"{BUCKET_ARN}/b"]))
    assert decide(p, "s3:PutObject", f"{BUCKET_ARN}/b").allowed
    assert not decide(p, "s3:PutObject", f"{BUCKET_ARN}/c").allowed


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:Get*", "s3:GetObject", True),
        ("s3:Get*", "s3:PutObject", False),
        ("S3:getobject", "s3:GetObject", True),  # service prefix and name: case-insensitive
        ("s3:GetObjec?", "s3:GetObject", True),
        ("s3:GetObjec?", "s3:GetObjects", False),
        ("*", "sts:GetCallerIdentity", True),
        ("s3:*Object", "s3:DeleteObject", True),
        ("iam:*", "s3:GetObject", False),
    ],
)
def test_action_wildcards(pattern: str, action: str, expected: bool):
    assert decide(policy(allow(pattern, "*")), action, BUCKET_ARN).allowed is expected


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        (f"{BUCKET_ARN}/public/*", f"{BUCKET_ARN}/public/a/b.txt", True),
        (f"{BUCKET_ARN}/public/*", f"{BUCKET_ARN}/publicx", False),
        (f"{BUCKET_ARN}/file?.txt", f"{BUCKET_ARN}/file1.txt", True),
        (f"{BUCKET_ARN}/file?.txt", f"{BUCKET_ARN}/file12.txt", False),
        (f"{BUCKET_ARN}/a.b", f"{BUCKET_ARN}/aXb", False),  # regex characters are literal
        (f"{BUCKET_ARN}/Public/*", f"{BUCKET_ARN}/public/x", False),  # resources: case matters
        ("arn:aws:s3:::*", f"{BUCKET_ARN}/anything", True),
    ],
)
def test_resource_wildcards(pattern: str, resource: str, expected: bool):
    assert decide(policy(allow("s3:GetObject", pattern)), "s3:GetObject", resource).allowed is (
        expected
    )


def test_not_action_and_not_resource():
    p = policy({"Effect": "Allow", "NotAction": "s3:Delete*", "Resource": "*"})
    assert decide(p, "s3:GetObject", BUCKET_ARN).allowed
    assert not decide(p, "s3:DeleteObject", BUCKET_ARN).allowed
    q = policy({"Effect": "Deny", "Action": "s3:*", "NotResource": f"{BUCKET_ARN}/public/*"})
    both = [policy(allow("s3:*", "*")), q]
    assert decide(both, "s3:GetObject", f"{BUCKET_ARN}/public/x") is Decision.ALLOW
    assert decide(both, "s3:GetObject", f"{BUCKET_ARN}/secret") is Decision.EXPLICIT_DENY


# -- policy variables -------------------------------------------------------------------------

OWN = allow("s3:PutObject", f"{BUCKET_ARN}/private/${{cognito-identity.amazonaws.com:sub}}/*")


def test_identity_sub_variable():
    p = policy(OWN)
    ctx = {"cognito-identity.amazonaws.com:sub": SUB}
    ok = evaluate([p], AccessRequest("s3:PutObject", f"{BUCKET_ARN}/private/{SUB}/f", ctx))
    assert ok is Decision.ALLOW
    other = evaluate([p], AccessRequest("s3:PutObject", f"{BUCKET_ARN}/private/{OTHER}/f", ctx))
    assert other is Decision.IMPLICIT_DENY


def test_unknown_variable_makes_the_statement_not_apply():
    p = policy(OWN)
    literal = f"{BUCKET_ARN}/private/${{cognito-identity.amazonaws.com:sub}}/f"
    assert decide(p, "s3:PutObject", literal) is Decision.IMPLICIT_DENY
    assert decide(p, "s3:PutObject", f"{BUCKET_ARN}/private/{SUB}/f") is Decision.IMPLICIT_DENY
    # ... a Deny naming a missing variable does not apply either (as in AWS)
    d = [policy(allow("s3:*", "*")), policy(deny("s3:*", f"{BUCKET_ARN}/${{aws:username}}/*"))]
    assert decide(d, "s3:GetObject", f"{BUCKET_ARN}/alice/x") is Decision.ALLOW
    alice = AccessRequest("s3:GetObject", f"{BUCKET_ARN}/alice/x", {"aws:username": "alice"})
    assert evaluate(d, alice) is Decision.EXPLICIT_DENY


def test_substituted_values_are_literal_and_escapes_work():
    p = policy(allow("s3:GetObject", f"{BUCKET_ARN}/home/${{aws:username}}/*"))
    star = AccessRequest("s3:GetObject", f"{BUCKET_ARN}/home/bob/x", {"aws:username": "*"})
    assert evaluate([p], star) is Decision.IMPLICIT_DENY  # a "*" value is no wildcard
    e = policy(allow("s3:GetObject", f"{BUCKET_ARN}/lit/${{*}}"))
    assert decide(e, "s3:GetObject", f"{BUCKET_ARN}/lit/*").allowed
    assert not decide(e, "s3:GetObject", f"{BUCKET_ARN}/lit/x").allowed
    dflt = policy(allow("s3:GetObject", f"{BUCKET_ARN}/home/${{aws:username, 'guest'}}/*"))
    assert decide(dflt, "s3:GetObject", f"{BUCKET_ARN}/home/guest/x").allowed


def test_variables_are_literal_text_in_a_2008_policy():
    p = policy(OWN, version="2008-10-17")
    literal = f"{BUCKET_ARN}/private/${{cognito-identity.amazonaws.com:sub}}/f"
    assert decide(p, "s3:PutObject", literal).allowed
    ctx = {"cognito-identity.amazonaws.com:sub": SUB}
    sub = AccessRequest("s3:PutObject", f"{BUCKET_ARN}/private/{SUB}/f", ctx)
    assert evaluate([p], sub) is Decision.IMPLICIT_DENY


# -- conditions -------------------------------------------------------------------------------

LIST_PUBLIC = allow(
    "s3:ListBucket", BUCKET_ARN, Condition={"StringLike": {"s3:prefix": ["public/", "public/*"]}}
)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("public/", True), ("public/data/", True), ("public", False), ("", False), (None, False),
     ("private/", False)],
)  # fmt: skip
def test_string_like_on_s3_prefix(prefix: str | None, expected: bool):
    ctx = {} if prefix is None else {"s3:prefix": prefix}
    decision = evaluate([policy(LIST_PUBLIC)], AccessRequest("s3:ListBucket", BUCKET_ARN, ctx))
    assert decision.allowed is expected


def test_condition_values_take_variables():
    own = allow(
        "s3:ListBucket",
        BUCKET_ARN,
        Condition={"StringLike": {"s3:prefix": "private/${cognito-identity.amazonaws.com:sub}/*"}},
    )
    ctx = {"cognito-identity.amazonaws.com:sub": SUB, "s3:prefix": f"private/{SUB}/x"}
    assert evaluate([policy(own)], AccessRequest("s3:ListBucket", BUCKET_ARN, ctx)).allowed
    ctx["s3:prefix"] = f"private/{OTHER}/x"
    assert not evaluate([policy(own)], AccessRequest("s3:ListBucket", BUCKET_ARN, ctx)).allowed


def test_string_equals_keys_are_case_insensitive_values_are_not():
    p = policy(allow("s3:ListBucket", "*", Condition={"StringEquals": {"S3:Prefix": "Docs/"}}))
    assert evaluate([p], AccessRequest("s3:ListBucket", "*", {"s3:prefix": "Docs/"})).allowed
    assert not evaluate([p], AccessRequest("s3:ListBucket", "*", {"s3:prefix": "docs/"})).allowed
    i = policy(allow("s3:ListBucket", "*", Condition={"StringEqualsIgnoreCase": {"k": "Docs/"}}))
    assert evaluate([i], AccessRequest("s3:ListBucket", "*", {"k": "DOCS/"})).allowed


def test_operators_are_anded_values_are_ored():
    cond = {"StringEquals": {"a": ["1", "2"], "b": "x"}, "StringLike": {"c": "y*"}}
    p = policy(allow("s3:GetObject", "*", Condition=cond))
    ok = {"a": "2", "b": "x", "c": "yes"}
    assert evaluate([p], AccessRequest("s3:GetObject", "*", ok)).allowed
    for key, bad in (("a", "3"), ("b", "z"), ("c", "no")):
        assert not evaluate([p], AccessRequest("s3:GetObject", "*", {**ok, key: bad})).allowed


def test_negated_operators_missing_keys_and_if_exists():
    neg = policy(deny("s3:*", "*", Condition={"StringNotEquals": {"aws:RequestedRegion": "r1"}}))
    base = policy(allow("s3:*", "*"))
    req = lambda **ctx: AccessRequest("s3:GetObject", "*", ctx)  # noqa: E731
    assert evaluate([base, neg], req(**{"aws:RequestedRegion": "r1"})) is Decision.ALLOW
    assert evaluate([base, neg], req(**{"aws:RequestedRegion": "r2"})) is Decision.EXPLICIT_DENY
    assert evaluate([base, neg], req()) is Decision.EXPLICIT_DENY  # absent: negation holds
    ie = policy(allow("s3:*", "*", Condition={"StringEqualsIfExists": {"k": "v"}}))
    assert evaluate([ie], req()).allowed
    assert not evaluate([ie], req(k="w")).allowed
    null = policy(allow("s3:*", "*", Condition={"Null": {"k": "true"}}))
    assert evaluate([null], req()).allowed and not evaluate([null], req(k="v")).allowed
    flag = policy(allow("s3:*", "*", Condition={"Bool": {"aws:SecureTransport": False}}))
    assert evaluate([flag], req(**{"aws:SecureTransport": "false"})).allowed


def test_for_any_value_and_for_all_values():
    anyv = policy(allow("s3:*", "*", Condition={"ForAnyValue:StringLike": {"tags": "team-*"}}))
    allv = policy(allow("s3:*", "*", Condition={"ForAllValues:StringEquals": {"tags": ["a", "b"]}}))
    req = lambda tags: AccessRequest("s3:GetObject", "*", {} if tags is None else {"tags": tags})  # noqa: E731
    assert evaluate([anyv], req(["x", "team-1"])).allowed
    assert not evaluate([anyv], req(["x"])).allowed
    assert not evaluate([anyv], req(None)).allowed
    assert evaluate([allv], req(["a", "b"])).allowed
    assert not evaluate([allv], req(["a", "c"])).allowed
    assert evaluate([allv], req(None)).allowed  # ForAllValues over nothing holds


@pytest.mark.parametrize(
    "document",
    [
        "{not json",
        "[]",
        {"Version": "2012-10-17"},
        {"Version": "2099-01-01", "Statement": []},
        {"Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotAction": "x", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "s3:*"}]},
        {"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]},
        {"Statement": [allow("s3:*", "*", Condition={"NumericLessThan": {"s3:max-keys": "10"}})]},
    ],
)
def test_unreadable_documents_are_policy_errors(document: Any):
    with pytest.raises(PolicyError):
        Policy.from_document(document)


# -- the seeded policies ----------------------------------------------------------------------


def seeded(signed_in: bool) -> list[Policy]:
    return [Policy.from_document(json.dumps(role_policy("b", signed_in=signed_in)))]


@pytest.mark.parametrize(
    ("signed_in", "action", "resource", "prefix", "expected"),
    [
        (False, "s3:GetObject", "b/public/hello.txt", None, True),
        (False, "s3:ListBucket", "b", "public/", True),
        (False, "s3:ListBucket", "b", None, False),
        (False, "s3:PutObject", "b/public/x", None, False),
        (False, "s3:PutObject", f"b/private/{SUB}/x", None, False),
        (False, "s3:GetObject", f"b/private/{SUB}/x", None, False),
        (True, "s3:GetObject", "b/public/data/example.csv", None, True),
        (True, "s3:PutObject", f"b/private/{SUB}/notes.txt", None, True),
        (True, "s3:DeleteObject", f"b/private/{SUB}/notes.txt", None, True),
        (True, "s3:PutObject", f"b/private/{OTHER}/notes.txt", None, False),
        (True, "s3:GetObject", f"b/private/{OTHER}/notes.txt", None, False),
        (True, "s3:ListBucket", "b", f"private/{SUB}/", True),
        (True, "s3:ListBucket", "b", f"private/{OTHER}/", False),
        (True, "s3:ListBucket", "b", "", False),
        (True, "s3:PutObject", "b/public/x", None, False),
    ],
)
def test_seeded_policy_matrix(signed_in, action, resource, prefix, expected):
    ctx = {"cognito-identity.amazonaws.com:sub": SUB}
    if prefix is not None:
        ctx["s3:prefix"] = prefix
    request = AccessRequest(action, f"arn:aws:s3:::{resource}", ctx)
    assert evaluate(seeded(signed_in), request).allowed is expected


# -- S3 requests → actions and resources ------------------------------------------------------


def s3(method: str, path: str, query: dict[str, list[str]] | None = None, **headers: str):
    hdrs = {k.replace("_", "-"): v for k, v in headers.items()}
    request = SignedRequest("s3", "us-east-1", method, path, query or {}, hdrs, "127.0.0.1:5000")
    return [(a.action, a.resource) for a in s3_accesses(request)]


@pytest.mark.parametrize(
    ("method", "path", "query", "expected"),
    [
        ("GET", "/b/public/hello.txt", None, ("s3:GetObject", "arn:aws:s3:::b/public/hello.txt")),
        ("HEAD", "/b/k", None, ("s3:GetObject", "arn:aws:s3:::b/k")),
        ("PUT", "/b/dir/k", None, ("s3:PutObject", "arn:aws:s3:::b/dir/k")),
        ("DELETE", "/b/k", None, ("s3:DeleteObject", "arn:aws:s3:::b/k")),
        ("GET", "/b", {"list-type": ["2"], "prefix": ["p/"]}, ("s3:ListBucket", "arn:aws:s3:::b")),
        ("GET", "/b/", None, ("s3:ListBucket", "arn:aws:s3:::b")),
        ("HEAD", "/b", None, ("s3:ListBucket", "arn:aws:s3:::b")),
        ("GET", "/b", {"location": [""]}, ("s3:GetBucketLocation", "arn:aws:s3:::b")),
        ("PUT", "/b", None, ("s3:CreateBucket", "arn:aws:s3:::b")),
        ("POST", "/b/k", {"uploads": [""]}, ("s3:PutObject", "arn:aws:s3:::b/k")),
        (
            "PUT",
            "/b/k",
            {"partNumber": ["1"], "uploadId": ["u"]},
            ("s3:PutObject", "arn:aws:s3:::b/k"),
        ),
        ("POST", "/b/k", {"uploadId": ["u"]}, ("s3:PutObject", "arn:aws:s3:::b/k")),
        ("DELETE", "/b/k", {"uploadId": ["u"]}, ("s3:AbortMultipartUpload", "arn:aws:s3:::b/k")),
        ("POST", "/b", {"delete": [""]}, ("s3:DeleteObject", "arn:aws:s3:::b/*")),
        ("GET", "/b/k", {"versionId": ["v"]}, ("s3:GetObjectVersion", "arn:aws:s3:::b/k")),
        ("GET", "/b/k", {"tagging": [""]}, ("s3:GetObjectTagging", "arn:aws:s3:::b/k")),
        ("GET", "/", None, ("s3:ListAllMyBuckets", "*")),
        ("GET", "/b/a key/ü.txt", None, ("s3:GetObject", "arn:aws:s3:::b/a key/ü.txt")),
    ],
)
def test_s3_request_mapping(method, path, query, expected):
    assert s3(method, path, query) == [expected]


def test_copy_needs_put_on_target_and_get_on_source():
    assert s3("PUT", "/b/private/x", x_amz_copy_source="/b/public/hello%20world.txt") == [
        ("s3:PutObject", "arn:aws:s3:::b/private/x"),
        ("s3:GetObject", "arn:aws:s3:::b/public/hello world.txt"),
    ]
    assert s3("PUT", "/b/t", x_amz_copy_source="b/s?versionId=3")[1] == (
        "s3:GetObjectVersion",
        "arn:aws:s3:::b/s",
    )


def test_virtual_hosted_addressing():
    request = SignedRequest("s3", "us-east-1", "GET", "/public/k", {}, {}, "b.localhost:5000")
    assert [(a.action, a.resource) for a in s3_accesses(request)] == [
        ("s3:GetObject", "arn:aws:s3:::b/public/k")
    ]
    aws = SignedRequest(
        "s3", "eu-west-1", "GET", "/k", {}, {}, "my.bucket.s3.eu-west-1.amazonaws.com"
    )
    assert s3_accesses(aws)[0].resource == "arn:aws:s3:::my.bucket/k"


def test_list_prefix_becomes_the_s3_prefix_condition_key():
    request = SignedRequest("s3", "r", "GET", "/b", {"list-type": ["2"], "prefix": ["public/"]})
    assert s3_accesses(request)[0].context["s3:prefix"] == "public/"


# -- the authorizer ---------------------------------------------------------------------------

GUEST_ROLE = "arn:aws:iam::123456789012:role/guest"
USER_ROLE = "arn:aws:iam::123456789012:role/user"


@pytest.fixture
def authorizer() -> S3PolicyAuthorizer:
    roles = {GUEST_ROLE: seeded(False), USER_ROLE: seeded(True)}
    return S3PolicyAuthorizer(lambda arn: roles.get(arn, []))


def user(role: str = USER_ROLE, identity: str = SUB) -> Principal:
    return Principal("ASIAX", "assumed-role", role_arn=role, identity_id=identity)


def test_authorizer_allows_and_denies_with_awss_error(authorizer: S3PolicyAuthorizer):
    authorizer(user(), SignedRequest("s3", "r", "PUT", f"/b/private/{SUB}/x"))
    with pytest.raises(AwsError) as err:
        authorizer(user(), SignedRequest("s3", "r", "PUT", f"/b/private/{OTHER}/x"))
    assert (err.value.code, err.value.status) == ("AccessDenied", 403)
    assert "not authorized to perform: s3:PutObject" in err.value.message
    assert f"arn:aws:s3:::b/private/{OTHER}/x" in err.value.message
    with pytest.raises(AwsError):  # copying from another identity's prefix into one's own
        copy = {"x-amz-copy-source": f"b/private/{OTHER}/y"}
        authorizer(user(), SignedRequest("s3", "r", "PUT", f"/b/private/{SUB}/x", {}, copy))


def test_admin_and_other_services_are_not_policy_checked(authorizer: S3PolicyAuthorizer):
    admin = Principal("testing", "admin")
    authorizer(admin, SignedRequest("s3", "r", "DELETE", "/b"))
    authorizer(user(GUEST_ROLE), SignedRequest("sts", "r", "POST", "/"))
    with pytest.raises(AwsError):
        authorizer(user("arn:aws:iam::123456789012:role/unknown"),
                   SignedRequest("s3", "r", "GET", "/b/public/x"))  # fmt: skip
    with pytest.raises(AwsError):  # no role, no identity: nothing allowed
        authorizer(Principal("AKIA", "assumed-role"), SignedRequest("s3", "r", "GET", "/b/x"))


def test_policy_modules_do_not_import_moto():
    code = (
        "import sys, nbauth.sandbox.iam_policy, nbauth.sandbox.s3_policies;"
        "print(sorted(m for m in sys.modules if m == 'moto' or m.startswith('moto.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
