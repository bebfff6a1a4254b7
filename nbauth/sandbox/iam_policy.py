"""A small, pure evaluator of IAM identity-based policies (no moto, no network).

What the sandbox needs to judge a request against the policies of the role behind its
credentials, the way AWS does for one account with identity-based policies only::

    policy = Policy.from_document(json_text_or_dict)
    request = AccessRequest("s3:PutObject", "arn:aws:s3:::bucket/private/eu-west-1:abc/x",
                            {"cognito-identity.amazonaws.com:sub": "eu-west-1:abc"})
    evaluate([policy], request)   # Decision.ALLOW / EXPLICIT_DENY / IMPLICIT_DENY

Supported:

* documents: ``Version`` ``2012-10-17`` (policy variables) or ``2008-10-17`` / none (no
  variables: ``${...}`` is literal text); ``Statement`` a list or a single object; ``Sid``;
* ``Effect`` ``Allow`` / ``Deny``; ``Action`` / ``NotAction`` with ``*`` and ``?`` wildcards,
  matched case-insensitively (service prefix and action name, as AWS does);
* ``Resource`` / ``NotResource`` with ``*`` and ``?`` (case-sensitive; ``*`` also spans ``/``
  and ``:``, a plain glob over the whole ARN);
* ``Condition``: ``StringEquals``, ``StringNotEquals``, ``StringEqualsIgnoreCase``,
  ``StringNotEqualsIgnoreCase``, ``StringLike``, ``StringNotLike``, ``ArnEquals``, ``ArnLike``,
  ``ArnNotEquals``, ``ArnNotLike``, ``Bool``, ``Null``; the ``ForAnyValue:`` / ``ForAllValues:``
  qualifiers and the ``...IfExists`` suffix. Operators are ANDed, keys within an operator are
  ANDed, values for a key are ORed; condition keys are case-insensitive. A key absent from the
  request: positive operators are false, negated ones (``StringNotEquals``, ...) true,
  ``IfExists`` true, ``ForAllValues`` true, ``ForAnyValue`` false;
* policy variables ``${key}`` (any request-context key: ``${cognito-identity.amazonaws.com:sub}``,
  ``${aws:username}``, ``${s3:prefix}``, ...), with defaults ``${key, 'default'}`` and the
  escapes ``${*}``, ``${?}``, ``${$}``, in ``Resource`` / ``NotResource`` and condition values.
  A substituted value is literal (a ``*`` in an identity id is not a wildcard). A statement that
  names a variable the request does not carry (and that has no default) does not apply — as
  AWS does, an ``Allow`` then allows nothing;
* decision: an explicit ``Deny`` wins, then any ``Allow``, otherwise an implicit deny.

Not supported (:class:`PolicyError` when a document is parsed): other condition operators
(numeric, date, IP address, binary) — and an unknown operator met at evaluation time fails
closed: an ``Allow`` with it never applies, a ``Deny`` with it always does. ``Principal`` /
``NotPrincipal`` (resource-based policies), permission boundaries, session policies, SCPs and
resource-based policies are out of scope: the caller passes the identity-based policies.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AccessRequest",
    "ContextValue",
    "Decision",
    "Policy",
    "PolicyError",
    "Statement",
    "evaluate",
]

ContextValue = str | Sequence[str]

_VERSION_WITH_VARIABLES = "2012-10-17"
_KNOWN_VERSIONS = (_VERSION_WITH_VARIABLES, "2008-10-17")
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,]+?)\s*,\s*'([^']*)'\s*$")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}

_STRING_OPERATORS = {
    # name: (kind, negated)
    "StringEquals": ("equals", False),
    "StringNotEquals": ("equals", True),
    "StringEqualsIgnoreCase": ("iequals", False),
    "StringNotEqualsIgnoreCase": ("iequals", True),
    "StringLike": ("like", False),
    "StringNotLike": ("like", True),
    "ArnEquals": ("like", False),
    "ArnLike": ("like", False),
    "ArnNotEquals": ("like", True),
    "ArnNotLike": ("like", True),
    "Bool": ("iequals", False),
}


class PolicyError(ValueError):
    """A policy document this evaluator cannot read (malformed, or an unsupported feature)."""


class Decision(enum.Enum):
    """The outcome of evaluating policies for one request."""

    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"

    @property
    def allowed(self) -> bool:
        return self is Decision.ALLOW


@dataclass(frozen=True)
class AccessRequest:
    """One action on one resource, and the request context (condition keys, variables)."""

    action: str  # "s3:GetObject"
    resource: str  # an ARN, or "*" for actions without a resource
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def lookup(self, key: str) -> list[str] | None:
        """The values of context key ``key`` (case-insensitive), or None if absent."""
        wanted = key.lower()
        for name, value in self.context.items():
            if name.lower() == wanted:
                return [value] if isinstance(value, str) else list(value)
        return None


class _Unresolved(Exception):
    """A policy variable the request context does not carry."""


# -- patterns -------------------------------------------------------------------------------


def _glob(text: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)


def _pattern(value: str, request: AccessRequest, *, variables: bool, wildcards: bool) -> str:
    """``value`` as an anchored regex: wildcards (if ``wildcards``) in the policy's own text,
    policy variables (if ``variables``) substituted literally."""
    literal = _glob if wildcards else re.escape
    if not variables:
        return "^" + literal(value) + "$"
    parts: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(value):
        parts.append(literal(value[position : match.start()]))
        parts.append(re.escape(_resolve(match.group(1), request)))
        position = match.end()
    parts.append(literal(value[position:]))
    return "^" + "".join(parts) + "$"


def _resolve(body: str, request: AccessRequest) -> str:
    if body in _ESCAPES:
        return _ESCAPES[body]
    key, default = body.strip(), None
    default_match = _DEFAULT.match(body)
    if default_match is not None:
        key, default = default_match.group(1), default_match.group(2)
    values = request.lookup(key)
    if values and len(values) == 1:
        return values[0]
    if default is not None:
        return default
    raise _Unresolved(key)


def _as_list(value: Any, what: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise PolicyError(f"{what} must be a string or a non-empty list of strings")
    return items


# -- conditions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Condition:
    operator: str  # as written, e.g. "ForAnyValue:StringLike"
    key: str
    values: tuple[str, ...]

    def holds(self, request: AccessRequest, variables: bool) -> bool:
        qualifier, _, name = self.operator.rpartition(":")
        if_exists = name.endswith("IfExists") and name != "IfExists"
        base = name[: -len("IfExists")] if if_exists else name
        actual = request.lookup(self.key)
        if base == "Null":
            expect_absent = [v.lower() == "true" for v in self.values]
            return (actual is None or actual == []) in expect_absent
        spec = _STRING_OPERATORS.get(base)
        if spec is None or qualifier not in ("", "ForAnyValue", "ForAllValues"):
            raise _Unsupported(self.operator)
        kind, negated = spec
        if actual is None or actual == []:
            if if_exists or qualifier == "ForAllValues":
                return True
            if qualifier == "ForAnyValue":
                return False
            return negated
        patterns = [
            re.compile(
                _pattern(v, request, variables=variables, wildcards=kind == "like"),
                re.IGNORECASE if kind == "iequals" else 0,
            )
            for v in self.values
        ]

        def one(value: str) -> bool:
            matched = any(p.match(value) for p in patterns)
            return not matched if negated else matched

        if qualifier == "ForAllValues":
            return all(one(v) for v in actual)
        return any(one(v) for v in actual)


class _Unsupported(Exception):
    """A condition operator the evaluator does not know."""


def _parse_conditions(block: Any) -> tuple[_Condition, ...]:
    if not isinstance(block, dict):
        raise PolicyError("Condition must be an object")
    conditions = []
    for operator, keys in block.items():
        if not isinstance(keys, dict):
            raise PolicyError(f"Condition operator {operator} must map keys to values")
        name = operator.rpartition(":")[2]
        base = name[: -len("IfExists")] if name.endswith("IfExists") else name
        if base not in _STRING_OPERATORS and base != "Null":
            raise PolicyError(f"unsupported condition operator {operator}")
        for key, values in keys.items():
            items = [values] if isinstance(values, (str, bool)) else values
            if not isinstance(items, list) or not all(isinstance(v, (str, bool)) for v in items):
                raise PolicyError(f"Condition values for {key} must be strings")
            strings = tuple(str(v).lower() if isinstance(v, bool) else v for v in items)
            conditions.append(_Condition(operator, key, strings))
    return tuple(conditions)


# -- statements and policies ----------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One parsed statement."""

    effect: str  # "Allow" or "Deny"
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    conditions: tuple[_Condition, ...] = ()
    sid: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Statement:
        if not isinstance(data, dict):
            raise PolicyError("a Statement must be an object")
        effect = data.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyError("Effect must be Allow or Deny")
        if ("Action" in data) == ("NotAction" in data):
            raise PolicyError("a statement needs exactly one of Action and NotAction")
        if ("Resource" in data) == ("NotResource" in data):
            raise PolicyError("a statement needs exactly one of Resource and NotResource")
        not_action = "NotAction" in data
        not_resource = "NotResource" in data
        sid = data.get("Sid")
        return cls(
            effect=effect,
            actions=tuple(_as_list(data["NotAction" if not_action else "Action"], "Action")),
            not_action=not_action,
            resources=tuple(
                _as_list(data["NotResource" if not_resource else "Resource"], "Resource")
            ),
            not_resource=not_resource,
            conditions=_parse_conditions(data["Condition"]) if "Condition" in data else (),
            sid=sid if isinstance(sid, str) else None,
        )

    def applies(self, request: AccessRequest, *, variables: bool = True) -> bool:
        """Whether this statement matches ``request`` (its effect aside)."""
        try:
            return self._applies(request, variables)
        except _Unresolved:
            return False
        except _Unsupported:
            return self.effect == "Deny"  # fail closed

    def _applies(self, request: AccessRequest, variables: bool) -> bool:
        action_hit = any(
            re.match(_pattern(a, request, variables=False, wildcards=True), request.action, re.I)
            for a in self.actions
        )
        if action_hit == self.not_action:
            return False
        # Resolve every resource first: one unknown variable makes the statement not apply.
        patterns = [
            _pattern(r, request, variables=variables, wildcards=True) for r in self.resources
        ]
        resource_hit = any(re.match(p, request.resource) for p in patterns)
        if resource_hit == self.not_resource:
            return False
        return all(c.holds(request, variables) for c in self.conditions)


@dataclass(frozen=True)
class Policy:
    """A parsed identity-based policy document."""

    statements: tuple[Statement, ...]
    version: str | None = _VERSION_WITH_VARIABLES
    name: str | None = None

    @classmethod
    def from_document(cls, document: str | Mapping[str, Any], name: str | None = None) -> Policy:
        """Parse a policy from its JSON text or a dict; :class:`PolicyError` if unreadable."""
        if isinstance(document, str):
            return _parse_cached(document, name)
        return cls._from_dict(document, name)

    @classmethod
    def _from_dict(cls, data: Any, name: str | None) -> Policy:
        if not isinstance(data, Mapping):
            raise PolicyError("a policy document must be a JSON object")
        version = data.get("Version")
        if version is not None and version not in _KNOWN_VERSIONS:
            raise PolicyError(f"unknown policy Version {version!r}")
        raw = data.get("Statement")
        if raw is None:
            raise PolicyError("a policy needs a Statement")
        items = raw if isinstance(raw, list) else [raw]
        return cls(tuple(Statement.from_json(s) for s in items), version, name)

    @property
    def uses_variables(self) -> bool:
        return self.version == _VERSION_WITH_VARIABLES

    def decide(self, request: AccessRequest) -> Decision:
        """This policy alone: explicit deny, allow, or implicit deny."""
        allowed = False
        for statement in self.statements:
            if statement.applies(request, variables=self.uses_variables):
                if statement.effect == "Deny":
                    return Decision.EXPLICIT_DENY
                allowed = True
        return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


@functools.lru_cache(maxsize=256)
def _parse_cached(text: str, name: str | None) -> Policy:
    try:
        data = json.loads(text)
    except ValueError:
        raise PolicyError("a policy document must be JSON") from None
    return Policy._from_dict(data, name)


def evaluate(policies: Iterable[Policy], request: AccessRequest) -> Decision:
    """AWS's rule over several policies: an explicit deny wins, then any allow, else deny."""
    allowed = False
    for policy in policies:
        decision = policy.decide(request)
        if decision is Decision.EXPLICIT_DENY:
            return decision
        allowed = allowed or decision is Decision.ALLOW
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY
