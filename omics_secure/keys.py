"""Customer-managed KMS keys for PHI and controlled-access genomic data, ready for service grants.

The key policy carries the statements AWS documents for each service the key serves: for HealthOmics
and HealthLake, kms:CreateGrant, kms:DescribeKey, kms:GenerateDataKey* and kms:Decrypt, allowed only
through that service (kms:ViaService) on behalf of this account (kms:CallerAccount), and grants only
for AWS resources (kms:GrantIsForAWSResource).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from omics_secure._internal.durations import whole_days
from omics_secure._internal.environment import parse_arn, require_concrete_environment
from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.family import HasRole, grantee_of, unwrap
from omics_secure._internal.grants import add_to_grantee_policy
from omics_secure._internal.labels import check_label
from omics_secure._internal.naming import PHI_NAME_FIX, phi_like_name
from omics_secure._internal.principals import check_principals
from omics_secure._internal.props import checked_props

ROTATION_DAYS_RANGE = (90, 2560)
# AWS::KMS::Key Description (CloudFormation resource schema: maxLength 8192); AWS::KMS::Alias AliasName
# (maxLength 256). tests/test_cfn_constraints.py holds these against the schemas cfn-lint ships.
KEY_DESCRIPTION_MAX = 8192
ALIAS_NAME_MAX = 256
PENDING_WINDOW_DAYS_RANGE = (7, 30)
DEFAULT_ROTATION_DAYS = 365
DEFAULT_PENDING_WINDOW_DAYS = 30
_ALIAS = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[a-zA-Z0-9-]+$")

# The key-administrator actions of the default key policy that the KMS console writes.
KEY_ADMIN_ACTIONS = (
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
    "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
)
KEY_USER_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")
GRANT_SERVICE_ACTIONS = ("kms:DescribeKey", "kms:GenerateDataKey*", "kms:Decrypt")
# The same, named one by one for IAM policies (AwsSolutions IAM5 reports wildcard actions).
GRANT_SERVICE_IAM_ACTIONS = ("kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt")


class KeyService(Enum):
    """An AWS service a :class:`PhiKey` serves; each adds the key-policy statements AWS documents for it."""

    HEALTHOMICS_STORAGE = "HealthOmicsStorage"
    HEALTHOMICS_ANALYTICS = "HealthOmicsAnalytics"
    HEALTHOMICS_WORKFLOWS = "HealthOmicsWorkflows"
    HEALTHLAKE = "HealthLake"
    S3 = "S3"
    CLOUDWATCH_LOGS = "CloudWatchLogs"
    CLOUDTRAIL = "CloudTrail"
    SNS = "SNS"
    EC2_EBS = "Ec2Ebs"
    ECR = "Ecr"
    DYNAMODB = "DynamoDb"
    SQS = "Sqs"


@dataclass(frozen=True)
class _ViaService:
    """A service that uses the key on a caller's behalf, so the caller's use is scoped by kms:ViaService."""

    endpoint: str
    key_policy_actions: tuple[str, ...]
    iam_actions: tuple[str, ...]
    creates_grants: bool


# IAM grants name every action (no wildcards) so that they pass the AwsSolutions IAM5 rule.
_VIA_SERVICE = {
    KeyService.HEALTHOMICS_STORAGE: _ViaService(
        "omics", GRANT_SERVICE_ACTIONS, GRANT_SERVICE_IAM_ACTIONS, True),
    KeyService.HEALTHOMICS_ANALYTICS: _ViaService(
        "omics", GRANT_SERVICE_ACTIONS, GRANT_SERVICE_IAM_ACTIONS, True),
    # "HealthOmics Workflows does not use grants" (HealthOmics data-protection guide).
    KeyService.HEALTHOMICS_WORKFLOWS: _ViaService(
        "omics", GRANT_SERVICE_ACTIONS, GRANT_SERVICE_IAM_ACTIONS, False),
    KeyService.HEALTHLAKE: _ViaService(
        "healthlake", GRANT_SERVICE_ACTIONS, GRANT_SERVICE_IAM_ACTIONS, True),
    KeyService.S3: _ViaService(
        "s3", ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"),
        ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"), False),
    KeyService.EC2_EBS: _ViaService(
        "ec2", ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"),
        ("kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo",
         "kms:DescribeKey"), True),
    # Amazon ECR encrypts a repository's images through KMS grants it creates with the repository
    # (https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html): DescribeKey and two
    # CreateGrant calls at creation, GenerateDataKey on push, Decrypt on pull, all via ecr.<region>.
    KeyService.ECR: _ViaService(
        "ecr", ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"),
        ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"), True),
    # DynamoDB encrypts a table under a customer-managed key through a grant it creates with the table, and
    # calls KMS for the caller via dynamodb.<region>:
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html
    KeyService.DYNAMODB: _ViaService(
        "dynamodb", ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"),
        ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"), True),
    # SQS server-side encryption: the sender needs GenerateDataKey and Decrypt through sqs.<region>
    # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
    KeyService.SQS: _ViaService(
        "sqs", ("kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"),
        ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"), False),
}


def key_policy_statements(service: KeyService, *, account: str, region: str, partition: str = cdk.Aws.PARTITION,
                          principals: Sequence[iam.IPrincipal] = ()) -> list[iam.PolicyStatement]:
    """The key-policy statements that let ``service`` use a key in ``account`` and ``region``.

    ``principals`` are the identities allowed to use the key through a via-service (default: the
    account, so that IAM policies decide); service-principal statements (Logs, CloudTrail, SNS
    publishers) are scoped by encryption context or source account instead.
    """
    callers = list(principals) or [iam.AccountPrincipal(account)]
    via = _VIA_SERVICE.get(service)
    if via is not None:
        conditions = {"StringEquals": {
            "kms:ViaService": f"{via.endpoint}.{region}.amazonaws.com",
            "kms:CallerAccount": account,
        }}
        statements = [iam.PolicyStatement(
            sid=f"Allow{service.value}UseViaService", principals=callers,
            actions=list(via.key_policy_actions), resources=["*"], conditions=conditions)]
        if via.creates_grants:
            statements.append(iam.PolicyStatement(
                sid=f"Allow{service.value}CreateGrantViaService", principals=callers,
                actions=["kms:CreateGrant"], resources=["*"],
                conditions={**conditions, "Bool": {"kms:GrantIsForAWSResource": "true"}}))
        return statements
    if service is KeyService.CLOUDWATCH_LOGS:
        return [iam.PolicyStatement(
            sid="AllowCloudWatchLogsEncryption",
            principals=[iam.ServicePrincipal(f"logs.{region}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],
            conditions={"ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account}:log-group:*"}},
        )]
    if service is KeyService.CLOUDTRAIL:
        trail_arns = f"arn:{partition}:cloudtrail:{region}:{account}:trail/*"
        encryption_context = {
            "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account}:trail/*"}
        trail = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        return [
            iam.PolicyStatement(
                sid="AllowCloudTrailEncryptLogs", principals=[trail], actions=["kms:GenerateDataKey*"],
                resources=["*"], conditions={"StringLike": {"aws:SourceArn": trail_arns, **encryption_context}}),
            iam.PolicyStatement(
                sid="AllowCloudTrailDescribeKey", principals=[trail], actions=["kms:DescribeKey"],
                resources=["*"], conditions={"StringLike": {"aws:SourceArn": trail_arns}}),
            iam.PolicyStatement(
                sid="AllowCloudTrailLogDecryption", principals=callers,
                actions=["kms:Decrypt", "kms:ReEncryptFrom"], resources=["*"],
                conditions={"StringEquals": {"kms:CallerAccount": account}, "StringLike": encryption_context}),
        ]
    if service is KeyService.SNS:
        return [
            iam.PolicyStatement(
                sid="AllowAlarmAndEventPublishersToEncryptedTopics",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                            iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": account}}),
            iam.PolicyStatement(
                sid="AllowSNSUseViaService", principals=callers,
                actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"],
                conditions={"StringEquals": {
                    "kms:ViaService": f"sns.{region}.amazonaws.com", "kms:CallerAccount": account}}),
        ]
    raise AssertionError(f"no key-policy statements defined for {service}")


class PhiKey(kms.Key):
    """A customer-managed symmetric key for PHI and controlled-access genomic data.

    Defaults, and why: rotation on every 365 days (NIST SC-12); a 30-day deletion window (the longest
    KMS allows, to catch a mistaken deletion); retained when the stack is deleted (losing the key
    loses every object encrypted under it); the account administration statement that keeps the key
    manageable and never locked out; only the service statements you ask for.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        services: Sequence[KeyService] = (),
        service_users: Sequence[iam.IPrincipal] = (),
        admins: Sequence[iam.IPrincipal] = (),
        users: Sequence[iam.IPrincipal] = (),
        alias: str | None = None,
        description: str | None = None,
        rotation_period: cdk.Duration | None = None,
        pending_window: cdk.Duration | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param services: services the key serves; each adds AWS's documented statements. Default: none.
        :param service_users: principals allowed to use the key through those services. Default: the
            account, so that IAM policies decide.
        :param admins: key administrators, named in the key policy. Default: none besides the account.
        :param users: principals allowed to encrypt and decrypt directly, and to create grants for AWS
            resources (never to revoke them). Default: none. In these three, a wildcard principal
            (``iam.AnyPrincipal()``, ``iam.ArnPrincipal("*")``, ``iam.AccountPrincipal("*")``, ...) is refused
            unless a condition it carries narrows it to an organization, account or principal.
        :param alias: the alias. Default: ``alias/omics-secure/<stack name>/<construct path below the stack>``.
        :param description: the description; never put PHI here. Default: a generic description.
        :param rotation_period: 90 to 2560 days. Default: 365 days.
        :param pending_window: 7 to 30 days. Default: 30 days.
        :param removal_policy: Default: RETAIN; DESTROY is allowed with a warning.
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"PhiKey '{id}'")
        rotation_days = whole_days(problems, "rotation_period", rotation_period, DEFAULT_ROTATION_DAYS,
                              ROTATION_DAYS_RANGE, "the KMS automatic-rotation period")
        pending_days = whole_days(problems, "pending_window", pending_window, DEFAULT_PENDING_WINDOW_DAYS,
                             PENDING_WINDOW_DAYS_RANGE, "the KMS deletion waiting period")
        if services:
            _require_concrete_environment(problems, stack, "services", [s.value for s in services])
        check_label(problems, "description", description, KEY_DESCRIPTION_MAX)
        check_label(problems, "alias", alias, ALIAS_NAME_MAX, name=True)
        if alias is None:
            check_default_alias(problems, "alias", scope, id)
        resolved_alias = alias if alias is not None else default_key_alias(scope, id)
        if not is_unresolved(resolved_alias) and (
                not _ALIAS.match(resolved_alias) or resolved_alias.startswith("alias/aws/")):
            problems.add("alias", alias,
                         "use 'alias/' followed by letters, digits, '/', '_' or '-' (not 'alias/aws/', "
                         "which AWS reserves), e.g. 'alias/genomics/phi'")
        if removal_policy not in (cdk.RemovalPolicy.RETAIN, cdk.RemovalPolicy.DESTROY):
            problems.add("removal_policy", removal_policy,
                         "KMS keys support RETAIN (the default) or DESTROY")
        for prop, principals, admitted_to in (
                ("service_users", service_users, "use this key through its services"),
                ("admins", admins, "administer this key (and change its policy)"),
                ("users", users, "encrypt and decrypt with this key")):
            check_principals(problems, stack, prop, principals, admitted_to)
        problems.raise_if_any()

        super().__init__(
            scope,
            id,
            alias=resolved_alias,
            description=description or "omics-secure: protects PHI and controlled-access genomic data",
            enable_key_rotation=True,
            rotation_period=cdk.Duration.days(rotation_days),
            pending_window=cdk.Duration.days(pending_days),
            removal_policy=removal_policy,
            key_spec=kms.KeySpec.SYMMETRIC_DEFAULT,
            key_usage=kms.KeyUsage.ENCRYPT_DECRYPT,
        )
        if removal_policy is cdk.RemovalPolicy.DESTROY:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:key-destroy",
                "removal_policy=DESTROY: deleting the stack schedules this key for deletion, after which "
                "everything encrypted under it is unrecoverable. Use it only for disposable environments.",
            )
        self._service_users = list(service_users)
        self._services: list[KeyService] = []
        if admins:
            self.add_to_resource_policy(iam.PolicyStatement(
                sid="AllowKeyAdministration", principals=list(admins),
                actions=list(KEY_ADMIN_ACTIONS), resources=["*"]))
        if users:
            self.add_to_resource_policy(iam.PolicyStatement(
                sid="AllowKeyUse", principals=list(users), actions=list(KEY_USER_ACTIONS), resources=["*"]))
            # No kms:RevokeGrant for users: revoking the grant of a HealthOmics store or HealthLake datastore
            # cuts the service off from its own data; delete the store instead.
            self.add_to_resource_policy(iam.PolicyStatement(
                sid="AllowKeyUsersGrantsForAwsResources", principals=list(users),
                actions=["kms:CreateGrant", "kms:ListGrants"], resources=["*"],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}}))
        self.enable_services(*services)

    @property
    def services(self) -> tuple[KeyService, ...]:
        """The services whose statements the key policy carries."""
        return tuple(self._services)

    def add_to_resource_policy(self, statement: iam.PolicyStatement,
                               allow_no_op: bool | None = None) -> iam.AddToResourcePolicyResult:
        """Add ``statement`` to the key policy; roles and users of this stack are matched, not named.

        KMS refuses a key policy naming a principal it cannot see yet ("The principals in the key policy
        must exist and be visible to KMS. When you create a new AWS principal, you might need to enforce
        a delay before including the new principal in a key policy":
        https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html#KMS-CreateKey-request-Policy),
        and a role of the key's own stack is created moments before the key. Such principals are moved
        to a ``*`` principal narrowed by ``aws:PrincipalArn`` (their ARNs) and kms:CallerAccount: the same
        grant, in the key policy, without a principal for KMS to look up.
        """
        result = None
        for part in _without_new_principals(self.stack, statement):
            result = super().add_to_resource_policy(part, allow_no_op)
        assert result is not None
        return result

    @checked_props
    def enable_services(self, *services: KeyService) -> None:
        """Add the key-policy statements for ``services``; a service already enabled is skipped."""
        problems = ProblemCollector(f"PhiKey '{self.node.id}'.enable_services")
        new = [s for s in dict.fromkeys(services) if s not in self._services]
        if new:
            _require_concrete_environment(problems, self.stack, "services", [s.value for s in new])
        problems.raise_if_any()
        for service in new:
            for statement in key_policy_statements(service, account=self.stack.account, region=self.stack.region,
                                                   partition=self.stack.partition, principals=self._service_users):
                self.add_to_resource_policy(statement)
            self._services.append(service)

    @checked_props
    def grant_via_service(self, grantee: iam.IGrantable | HasRole, service: KeyService) -> iam.Grant:
        """Let ``grantee`` use this key only through ``service``, in this account.

        The grant goes on the grantee's identity policy (a role of this app: its ``OmicsSecureGrants``
        managed policy) with the key's ARN as resource, kms:ViaService and kms:CallerAccount as conditions,
        and no wildcard actions. The service's key-policy statements are added too if not there yet.
        """
        problems = ProblemCollector(f"PhiKey '{self.node.id}'.grant_via_service")
        via = _VIA_SERVICE.get(service) if isinstance(service, KeyService) else None
        if via is None:
            problems.add("service", service,
                         "pass a service the caller reaches the key through: "
                         + ", ".join(s.name for s in _VIA_SERVICE))
        problems.raise_if_any()
        assert via is not None
        self.enable_services(service)
        conditions = {"StringEquals": {
            "kms:ViaService": f"{via.endpoint}.{self.stack.region}.amazonaws.com",
            "kms:CallerAccount": self.stack.account,
        }}
        statements = [iam.PolicyStatement(actions=list(via.iam_actions), resources=[self.key_arn],
                                          conditions=conditions)]
        if via.creates_grants:
            statements.append(iam.PolicyStatement(
                actions=["kms:CreateGrant"], resources=[self.key_arn],
                conditions={**conditions, "Bool": {"kms:GrantIsForAWSResource": "true"}}))
        grant, _ = add_to_grantee_policy(grantee_of(grantee), *statements)
        return grant

    @staticmethod
    def from_existing_key_arn(scope: Construct, id: str, key_arn: str, *,
                              services: Sequence[KeyService] = (),
                              service_users: Sequence[iam.IPrincipal] = ()) -> ExistingPhiKey:
        """Use a key created outside this app; see :class:`ExistingPhiKey`."""
        return ExistingPhiKey(scope, id, key_arn=key_arn, services=services, service_users=service_users)


class ExistingPhiKey(Construct):
    """A key created elsewhere, with the key-policy statements its owner must add for ``services``.

    CDK cannot change the policy of a key it does not own, so ``required_statements`` lists what to
    add, a synthesis warning names them, and :meth:`required_key_policy` renders them as JSON.
    """

    @checked_props
    def __init__(self, scope: Construct, id: str, *, key_arn: str,
                 services: Sequence[KeyService] = (), service_users: Sequence[iam.IPrincipal] = ()) -> None:
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"ExistingPhiKey '{id}'")
        if not is_unresolved(key_arn) and not _KEY_ARN.match(key_arn or ""):
            problems.add("key_arn", key_arn,
                         "pass the key's ARN, arn:aws:kms:<region>:<account>:key/<key id>; an alias ARN "
                         "cannot carry a key policy")
        arn = parse_arn(key_arn)
        if arn is not None and not is_unresolved(stack.region) and arn.region != stack.region:
            problems.add("key_arn", key_arn,
                         f"the key is in {arn.region}, stack '{stack.node.id}' in {stack.region}: the service "
                         "statements and every service that uses the key need a key of the stack's region; "
                         f"use a key of {stack.region} (or a multi-Region replica key there)")
        if services:
            _require_concrete_environment(problems, stack, "services", [s.value for s in services])
        problems.raise_if_any()
        super().__init__(scope, id)
        self.key: kms.IKey = kms.Key.from_key_arn(self, "Resource", key_arn)
        self.services = tuple(dict.fromkeys(services))
        self.required_statements: list[iam.PolicyStatement] = [
            statement
            for service in self.services
            for statement in key_policy_statements(service, account=stack.account, region=stack.region,
                                                   partition=stack.partition, principals=service_users)
        ]
        if self.required_statements:
            sids = ", ".join(s.sid or "" for s in self.required_statements)
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:existing-key-policy",
                f"The key {key_arn} is not managed by this app: add these key-policy statements to it "
                f"yourself ({sids}); ExistingPhiKey.required_key_policy() renders them.",
            )

    def required_key_policy(self) -> dict[str, object]:
        """The statements to add, as a policy document (tokens resolved against this stack)."""
        document = iam.PolicyDocument(statements=self.required_statements)
        resolved: dict[str, object] = cdk.Stack.of(self).resolve(document.to_json())
        return resolved


def _without_new_principals(stack: cdk.Stack, statement: iam.PolicyStatement) -> list[iam.PolicyStatement]:
    """``statement``, with roles and users created in ``stack`` moved to an ``aws:PrincipalArn`` condition."""
    new = [p for p in statement.principals if isinstance(p, iam.Role | iam.User) and cdk.Stack.of(p) is stack]
    if not new:
        return [statement]
    named = [p for p in statement.principals if not any(p is n for n in new)]
    arns = [p.role_arn if isinstance(p, iam.Role) else p.user_arn for p in new]
    conditions: dict[str, dict[str, object]] = {
        operator: dict(values) for operator, values in (statement.conditions or {}).items()}
    conditions.setdefault("ArnEquals", {})["aws:PrincipalArn"] = arns[0] if len(arns) == 1 else arns
    conditions.setdefault("StringEquals", {})["kms:CallerAccount"] = stack.account
    matched = iam.PolicyStatement(
        sid=(f"{statement.sid}InTemplate" if named and statement.sid else statement.sid), effect=statement.effect,
        principals=[iam.AnyPrincipal()], actions=list(statement.actions), resources=list(statement.resources),
        conditions=conditions)
    if not named:
        return [matched]
    kept = iam.PolicyStatement(sid=statement.sid, effect=statement.effect, principals=named,
                               actions=list(statement.actions), resources=list(statement.resources),
                               conditions=statement.conditions or None)
    return [kept, matched]


def _check_services(problems: ProblemCollector, prop: str, services: Sequence[object]) -> bool:
    """True when every entry is a KeyService; otherwise records the problem."""
    unknown = [s for s in services if not isinstance(s, KeyService)]
    if unknown:
        problems.add(prop, unknown, "use members of KeyService: " + ", ".join(s.name for s in KeyService))
    return not unknown


def _require_concrete_environment(problems: ProblemCollector, stack: cdk.Stack, prop: str,
                                  value: object) -> None:
    require_concrete_environment(problems, stack, prop, value,
                                 "the service statements (kms:ViaService, kms:CallerAccount)")


KeyLike = kms.IKey | ExistingPhiKey
"""A key prop: any ``kms.IKey`` (a :class:`PhiKey` included) or an :class:`ExistingPhiKey`."""


def key_of(key: KeyLike) -> kms.IKey:
    """The ``kms.IKey`` of a key prop (an ExistingPhiKey's imported key)."""
    unwrapped: kms.IKey = unwrap(key, "key")
    return unwrapped


def default_key_alias(scope: Construct, id: str) -> str:
    """``alias/omics-secure/<stack name>/<construct path below the stack>`` of a key ``id`` in ``scope``.

    Aliases are unique per account and region, so the whole path is used: two buckets that each make
    their own ``Key`` get two aliases.
    """
    stack = cdk.Stack.of(scope)
    stack_name = stack.stack_name if not is_unresolved(stack.stack_name) else stack.node.id
    below_stack = scope.node.path[len(stack.node.path):].strip("/")
    path = "/".join(part for part in (stack_name, below_stack, id) if part)
    return "alias/omics-secure/" + re.sub(r"[^a-zA-Z0-9/_-]", "-", path)


def check_default_alias(problems: ProblemCollector, prop: str, scope: Construct, id: str) -> None:
    """The alias a key gets by default (:func:`default_key_alias`) must not look like PHI either: it is made of the
    stack name and the construct path. A construct id that looks like PHI is reported as ``id`` already."""
    if not isinstance(id, str) or phi_like_name(id) is not None:
        return
    alias = default_key_alias(scope, id)
    kind = None if is_unresolved(alias) else phi_like_name(alias)
    if kind is not None:
        problems.add(prop, alias, f"the default alias, made of the stack name and the construct path, looks like PHI "
                                  f"({kind}); rename the stack or construct that holds it, or pass {prop}="
                                  f"'alias/<project code>/...'; {PHI_NAME_FIX}")


def prepare_key_for_services(scope: Construct, key: kms.IKey, *services: KeyService) -> None:
    """Make ``key`` usable by ``services`` for a store or datastore created in ``scope``.

    A :class:`PhiKey` gets the grant-ready statements added (idempotently). CDK cannot edit the policy
    of any other key, so ``scope`` gets a warning naming the statements the key's owner must add.
    """
    if isinstance(key, PhiKey):
        key.enable_services(*services)
        return
    stack = cdk.Stack.of(scope)
    sids = ", ".join(
        statement.sid or ""
        for service in services
        for statement in key_policy_statements(service, account=stack.account, region=stack.region,
                                               partition=stack.partition)
    )
    cdk.Annotations.of(scope).add_warning_v2(
        "omics-secure:foreign-key-policy",
        f"The key is not a PhiKey of this app, so its policy cannot be edited here: its owner must add the "
        f"statements {sids} (omics_secure.key_policy_statements renders them), or creating the store fails.",
    )
