"""Evaluation cases taken from AWS's policy-evaluation pages: each case names its page and example."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from omics_secure.policy import ALWAYS, NEVER, Context, Policies, Principal, Request, decide, parse_policy

IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
A, B = "111111111111", "222222222222"
ROLE = Principal.role(f"arn:aws:iam::{A}:role/analyst")
USER = Principal.user(f"arn:aws:iam::{A}:user/carlossalazar")
OTHER_ROLE = Principal.role(f"arn:aws:iam::{B}:role/collaborator")
BUCKET_OBJECT = "arn:aws:s3:::amzn-s3-demo-bucket/records/1.vcf"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


@dataclass
class Case:
    page: str
    example: str
    principal: Principal
    action: str
    resource: str
    allowed: bool
    identity: list[dict[str, Any]] = field(default_factory=list)
    resource_policy: dict[str, Any] | None = None
    boundary: dict[str, Any] | None = None
    scps: list[list[dict[str, Any]]] = field(default_factory=list)
    rcps: list[list[dict[str, Any]]] = field(default_factory=list)
    endpoint: dict[str, Any] | None = None
    context: dict[str, Any] = field(default_factory=dict)
    kms: bool = False
    resource_account: str = A

    def decide(self) -> Any:
        policies = Policies(
            identity=tuple(parse_policy(d, f"identity {i}") for i, d in enumerate(self.identity)),
            boundary=parse_policy(self.boundary, "boundary") if self.boundary else None,
            resource=parse_policy(self.resource_policy, "resource") if self.resource_policy else None,
            scps=tuple(tuple(parse_policy(d, "scp") for d in level) for level in self.scps),
            rcps=tuple(tuple(parse_policy(d, "rcp") for d in level) for level in self.rcps),
            endpoint=parse_policy(self.endpoint, "endpoint") if self.endpoint else None,
            resource_grant_required=self.kms)
        request = Request(self.principal, self.action, self.resource, self.resource_account,
                          Context.of(self.context))
        return decide(request, policies)


CASES = [
    Case(IAM + "reference_policies_evaluation-logic_policy-eval-basics.html",
         "Carlos's identity policy allows s3:PutObject on his bucket; no bucket policy",
         USER, "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/x", True,
         identity=[doc(allow(["s3:GetBucketLocation", "s3:ListBucket", "s3:PutObject"],
                             "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*"))]),
    Case(IAM + "reference_policies_evaluation-logic_policy-eval-basics.html",
         "Important: within one account, the resource-based policy alone allowing suffices",
         USER, "s3:GetObject", BUCKET_OBJECT, True,
         resource_policy=doc(allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/*",
                                   Principal={"AWS": USER.arn}))),
    Case(IAM + "reference_policies_evaluation-logic_policy-eval-denyallow.html",
         "Deny evaluation: an explicit deny in any policy overrides every allow",
         USER, "s3:GetObject", BUCKET_OBJECT, False,
         identity=[doc(allow("s3:*"), deny("s3:GetObject"))],
         resource_policy=doc(allow("s3:GetObject", "*", Principal="*"))),
    Case(IAM + "reference_policies_evaluation-logic_policy-eval-denyallow.html",
         "By default all requests are implicitly denied",
         ROLE, "s3:GetObject", BUCKET_OBJECT, False),
    Case(IAM + "reference_policies_evaluation-logic-cross-account.html",
         "cross-account: the resource policy names the account but the caller's identity policy allows nothing",
         OTHER_ROLE, "s3:GetObject", BUCKET_OBJECT, False,
         resource_policy=doc(allow("s3:GetObject", "*", Principal={"AWS": f"arn:aws:iam::{B}:root"}))),
    Case(IAM + "reference_policies_evaluation-logic-cross-account.html",
         "cross-account: the identity policy allows but the resource policy does not name the caller",
         OTHER_ROLE, "s3:GetObject", BUCKET_OBJECT, False,
         identity=[doc(allow("s3:GetObject"))],
         resource_policy=doc(allow("s3:GetObject", "*", Principal={"AWS": A}))),
    Case(IAM + "reference_policies_evaluation-logic-cross-account.html",
         "cross-account: both the identity policy and the resource policy (naming the account) allow",
         OTHER_ROLE, "s3:GetObject", BUCKET_OBJECT, True,
         identity=[doc(allow("s3:GetObject"))],
         resource_policy=doc(allow("s3:GetObject", "*", Principal={"AWS": B}))),
    Case(IAM + "reference_policies_elements_principal.html#principal-accounts",
         "an account as principal delegates: in the same account, its roles still need an identity-based allow",
         ROLE, "s3:GetObject", BUCKET_OBJECT, False,
         resource_policy=doc(allow("s3:GetObject", "*", Principal={"AWS": f"arn:aws:iam::{A}:root"}))),
    Case(IAM + "reference_policies_evaluation-logic_policy-eval-denyallow.html",
         "Organizations SCPs: an SCP that does not allow the action is an implicit deny",
         ROLE, "s3:GetObject", BUCKET_OBJECT, False,
         identity=[doc(allow("s3:*"))], scps=[[doc(allow("ec2:*"))]]),
    Case(IAM + "reference_policies_evaluation-logic_policy-eval-denyallow.html",
         "Organizations SCPs: every level (root, OU, account) must allow",
         ROLE, "s3:GetObject", BUCKET_OBJECT, False,
         identity=[doc(allow("s3:*"))], scps=[[doc(allow("*"))], [doc(allow("ec2:*"))]]),
    Case(IAM + "reference_policies_evaluation-logic_policy-eval-denyallow.html",
         "Organizations SCPs: FullAWSAccess at every level leaves the identity policy to decide",
         ROLE, "s3:GetObject", BUCKET_OBJECT, True,
         identity=[doc(allow("s3:*"))], scps=[[doc(allow("*"))], [doc(allow("*"))]]),
    Case(IAM + "reference_policies_evaluation-logic_policy-eval-denyallow.html",
         "SCPs do not restrict service principals",
         Principal.service("cloudtrail.amazonaws.com"), "s3:PutObject", BUCKET_OBJECT, True,
         resource_policy=doc(allow("s3:PutObject", "*", Principal={"Service": "cloudtrail.amazonaws.com"})),
         scps=[[doc(deny("*"), allow("*"))]]),
    Case("https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html",
         "an RCP that denies access from outside the organization",
         OTHER_ROLE, "s3:GetObject", BUCKET_OBJECT, False,
         identity=[doc(allow("s3:*"))],
         resource_policy=doc(allow("s3:GetObject", "*", Principal={"AWS": B})),
         rcps=[[doc(allow("*", Principal="*"),
                    deny("s3:*", Principal="*",
                         Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-1"}}))]]),
    Case(IAM + "access_policies_boundaries.html#access_policies_boundaries-eval-logic",
         "identity policy allows s3 but the boundary allows only ec2 and CloudWatch: denied",
         USER, "s3:GetObject", BUCKET_OBJECT, False,
         identity=[doc(allow("s3:*"))], boundary=doc(allow(["cloudwatch:*", "ec2:*"]))),
    Case(IAM + "access_policies_boundaries.html#access_policies_boundaries-eval-logic",
         "a resource-based policy naming an IAM user is not limited by the user's boundary",
         USER, "s3:GetObject", BUCKET_OBJECT, True,
         boundary=doc(allow("ec2:*")),
         resource_policy=doc(allow("s3:GetObject", "*", Principal={"AWS": USER.arn}))),
    Case(IAM + "access_policies_boundaries.html#access_policies_boundaries-eval-logic",
         "a resource-based policy naming a role's ARN is limited by the role's boundary",
         ROLE, "s3:GetObject", BUCKET_OBJECT, False,
         boundary=doc(allow("ec2:*")),
         resource_policy=doc(allow("s3:GetObject", "*", Principal={"AWS": ROLE.arn}))),
    Case("https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html",
         "without the statement that allows the account, IAM policies do not give access to the key",
         ROLE, "kms:Decrypt", KEY, False, kms=True,
         identity=[doc(allow("kms:Decrypt", KEY))],
         resource_policy=doc(allow("kms:*", "*", Principal={"AWS": f"arn:aws:iam::{A}:role/admin"}))),
    Case("https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html",
         "the key policy allows the account: IAM policies then give access",
         ROLE, "kms:Decrypt", KEY, True, kms=True,
         identity=[doc(allow("kms:Decrypt", KEY))],
         resource_policy=doc(allow("kms:*", "*", Principal={"AWS": f"arn:aws:iam::{A}:root"}))),
    Case("https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html",
         "a key policy that names a role gives it access without an IAM policy",
         ROLE, "kms:Decrypt", KEY, True, kms=True,
         resource_policy=doc(allow(["kms:Decrypt"], "*", Principal={"AWS": ROLE.arn}))),
    Case(IAM + "reference_policies_elements_notaction.html",
         "NotAction with Allow: everything except IAM",
         USER, "s3:GetObject", BUCKET_OBJECT, True,
         identity=[{"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}]),
    Case(IAM + "reference_policies_elements_notaction.html",
         "NotAction with Allow: the listed service stays implicitly denied",
         USER, "iam:CreateUser", "arn:aws:iam::111111111111:user/x", False,
         identity=[{"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}]),
    Case(IAM + "reference_policies_elements_notresource.html",
         "Deny with NotResource: everything but the named bucket is denied",
         USER, "s3:GetObject", "arn:aws:s3:::other/x", False,
         identity=[doc(allow("s3:*")),
                   {"Statement": [{"Effect": "Deny", "Action": "s3:*",
                                   "NotResource": ["arn:aws:s3:::amzn-s3-demo-bucket/*"]}]}]),
    Case(IAM + "reference_policies_elements_notprincipal.html",
         "Deny with NotPrincipal: the excluded role keeps its access",
         ROLE, "s3:GetObject", BUCKET_OBJECT, True,
         identity=[doc(allow("s3:*"))],
         resource_policy={"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                         "NotPrincipal": {"AWS": [ROLE.arn, f"arn:aws:iam::{A}:root"]}}]}),
    Case(IAM + "reference_policies_elements_notprincipal.html",
         "Deny with NotPrincipal naming only the account: the account's roles are not excluded",
         ROLE, "s3:GetObject", BUCKET_OBJECT, False,
         identity=[doc(allow("s3:*"))],
         resource_policy={"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                         "NotPrincipal": {"AWS": f"arn:aws:iam::{A}:root"}}]}),
    Case(IAM + "reference_policies_elements_action.html",
         "action names are case-insensitive and take wildcards",
         USER, "S3:getobject", BUCKET_OBJECT, True, identity=[doc(allow("s3:Get*"))]),
    Case(IAM + "reference_policies_elements_resource.html",
         "resource ARNs are case-sensitive",
         USER, "s3:GetObject", BUCKET_OBJECT, False,
         identity=[doc(allow("s3:GetObject", "arn:aws:s3:::AMZN-S3-DEMO-BUCKET/*"))]),
    Case(IAM + "reference_policies_elements_resource.html",
         "a resource ARN with ? matches one character",
         USER, "s3:GetObject", BUCKET_OBJECT, True,
         identity=[doc(allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucke?/*"))]),
    Case(IAM + "reference_policies_variables.html",
         "${aws:username} in a resource: each user's own prefix",
         USER, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/carlossalazar/a", True,
         identity=[doc(allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"))],
         context={"aws:username": "carlossalazar"}),
    Case(IAM + "reference_policies_variables.html",
         "${aws:username} in a resource: another user's prefix is not matched",
         USER, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/maria/a", False,
         identity=[doc(allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"))],
         context={"aws:username": "carlossalazar"}),
    Case("https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html",
         "a request through an endpoint whose policy does not allow it is denied",
         ROLE, "s3:GetObject", BUCKET_OBJECT, False,
         identity=[doc(allow("s3:*"))],
         endpoint=doc(allow("s3:GetObject", "arn:aws:s3:::other-bucket/*", Principal="*"))),
]


@pytest.mark.parametrize("case", CASES, ids=[c.example for c in CASES])
def test_aws_documented_decisions(case):
    assert case.decide() == (ALWAYS if case.allowed else NEVER), f"{case.example} ({case.page})"
