"""PhiKey: defaults, key-policy statements, grants, errors, and a clean run of every pack."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template
from constructs import Construct

from omics_secure import KeyService, OmicsSecureConfigError, PhiKey
from tests.harness import ACCOUNT, REGION


def key_policy_statements(stack: cdk.Stack) -> list[dict]:
    keys = Template.from_stack(stack).find_resources("AWS::KMS::Key")
    (key,) = keys.values()
    return key["Properties"]["KeyPolicy"]["Statement"]


def statement(stack: cdk.Stack, sid: str) -> dict:
    matching = [s for s in key_policy_statements(stack) if s.get("Sid") == sid]
    assert len(matching) == 1, f"expected one statement {sid}, found {len(matching)}"
    return matching[0]


def test_defaults_rotate_retain_alias_and_pending_window(stack, compliant):
    PhiKey(stack, "DataKey")
    template = Template.from_stack(stack)
    template.has_resource("AWS::KMS::Key", {
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": Match.object_like({
            "EnableKeyRotation": True,
            "RotationPeriodInDays": 365,
            "PendingWindowInDays": 30,
            "KeySpec": "SYMMETRIC_DEFAULT",
        }),
    })
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/omics-secure/TestStack/DataKey"})
    compliant(stack)


VIA_SERVICE_CONDITIONS = {"StringEquals": {
    "kms:ViaService": f"omics.{REGION}.amazonaws.com", "kms:CallerAccount": ACCOUNT}}
ACCOUNT_ROOT = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}


def test_healthomics_storage_statements_are_the_documented_grant_statement(stack):
    PhiKey(stack, "DataKey", services=[KeyService.HEALTHOMICS_STORAGE])
    use = statement(stack, "AllowHealthOmicsStorageUseViaService")
    assert use["Principal"] == ACCOUNT_ROOT
    assert sorted(use["Action"]) == ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*"]
    assert use["Condition"] == VIA_SERVICE_CONDITIONS
    grant = statement(stack, "AllowHealthOmicsStorageCreateGrantViaService")
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {**VIA_SERVICE_CONDITIONS, "Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_healthomics_workflows_get_no_create_grant(stack):
    PhiKey(stack, "DataKey", services=[KeyService.HEALTHOMICS_WORKFLOWS])
    sids = {s.get("Sid") for s in key_policy_statements(stack)}
    assert "AllowHealthOmicsWorkflowsUseViaService" in sids
    assert not any("Workflows" in (sid or "") and "CreateGrant" in (sid or "") for sid in sids)


def test_healthlake_statements_use_the_regional_healthlake_endpoint(stack):
    PhiKey(stack, "DataKey", services=[KeyService.HEALTHLAKE])
    for sid in ("AllowHealthLakeUseViaService", "AllowHealthLakeCreateGrantViaService"):
        conditions = statement(stack, sid)["Condition"]["StringEquals"]
        assert conditions == {"kms:ViaService": f"healthlake.{REGION}.amazonaws.com", "kms:CallerAccount": ACCOUNT}


@pytest.mark.parametrize(("service", "endpoint", "grants"), [
    (KeyService.S3, "s3", False),
    (KeyService.EC2_EBS, "ec2", True),
    (KeyService.HEALTHOMICS_ANALYTICS, "omics", True),
])
def test_via_service_statements(stack, service, endpoint, grants):
    PhiKey(stack, "DataKey", services=[service])
    use = statement(stack, f"Allow{service.value}UseViaService")
    assert use["Condition"]["StringEquals"]["kms:ViaService"] == f"{endpoint}.{REGION}.amazonaws.com"
    sids = {s.get("Sid") for s in key_policy_statements(stack)}
    assert (f"Allow{service.value}CreateGrantViaService" in sids) is grants


def test_cloudwatch_logs_statement_is_scoped_to_this_accounts_log_groups(stack):
    PhiKey(stack, "DataKey", services=[KeyService.CLOUDWATCH_LOGS])
    logs = statement(stack, "AllowCloudWatchLogsEncryption")
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert logs["Condition"] == {"ArnLike": {
        "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"}}


def test_cloudtrail_statements_are_scoped_by_source_arn_and_encryption_context(stack):
    PhiKey(stack, "DataKey", services=[KeyService.CLOUDTRAIL])
    encrypt = statement(stack, "AllowCloudTrailEncryptLogs")
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Condition"]["StringLike"] == {
        "aws:SourceArn": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/*",
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*",
    }
    assert statement(stack, "AllowCloudTrailDescribeKey")["Action"] == "kms:DescribeKey"
    decrypt = statement(stack, "AllowCloudTrailLogDecryption")
    assert decrypt["Principal"] == ACCOUNT_ROOT
    assert decrypt["Condition"]["StringEquals"] == {"kms:CallerAccount": ACCOUNT}


def test_sns_statements_let_alarms_and_events_publish_from_this_account_only(stack):
    PhiKey(stack, "DataKey", services=[KeyService.SNS])
    publishers = statement(stack, "AllowAlarmAndEventPublishersToEncryptedTopics")
    assert sorted(publishers["Principal"]["Service"]) == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    assert publishers["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    via = statement(stack, "AllowSNSUseViaService")
    assert via["Condition"]["StringEquals"]["kms:ViaService"] == f"sns.{REGION}.amazonaws.com"


def test_account_administration_statement_prevents_lock_out(stack):
    PhiKey(stack, "DataKey", services=[KeyService.HEALTHLAKE])
    admin = [s for s in key_policy_statements(stack) if s["Action"] == "kms:*"]
    assert admin == [{"Action": "kms:*", "Effect": "Allow", "Principal": ACCOUNT_ROOT, "Resource": "*"}]


def test_named_service_users_replace_the_account_principal(app, stack):
    # A role of another stack exists before this key is created, so the key policy names it.
    roles = cdk.Stack(app, "Roles", env=cdk.Environment(account=ACCOUNT, region=REGION))
    role = iam.Role(roles, "PipelineRole", assumed_by=iam.ServicePrincipal("omics.amazonaws.com"))
    PhiKey(stack, "DataKey", services=[KeyService.HEALTHOMICS_STORAGE], service_users=[role])
    principal = statement(stack, "AllowHealthOmicsStorageUseViaService")["Principal"]
    assert principal["AWS"]["Fn::ImportValue"].startswith("Roles:ExportsOutputFnGetAttPipelineRole")


def test_roles_of_the_keys_own_stack_are_matched_by_principal_arn_not_named(stack):
    """KMS refuses a key policy naming a principal it cannot see yet, and such a role is seconds old."""
    role = iam.Role(stack, "PipelineRole", assumed_by=iam.ServicePrincipal("omics.amazonaws.com"))
    PhiKey(stack, "DataKey", services=[KeyService.HEALTHOMICS_STORAGE], service_users=[role])
    use = statement(stack, "AllowHealthOmicsStorageUseViaService")
    assert use["Principal"] == {"AWS": "*"}
    assert use["Condition"]["ArnEquals"] == {"aws:PrincipalArn": {"Fn::GetAtt": [
        stack.get_logical_id(role.node.default_child), "Arn"]}}  # type: ignore[arg-type]
    assert use["Condition"]["StringEquals"] == {"kms:ViaService": f"omics.{REGION}.amazonaws.com",
                                                "kms:CallerAccount": ACCOUNT}
    grants = statement(stack, "AllowHealthOmicsStorageCreateGrantViaService")
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert grants["Principal"] == {"AWS": "*"} and "ArnEquals" in grants["Condition"]


def test_a_statement_naming_an_existing_and_a_new_principal_is_split(stack):
    key = PhiKey(stack, "DataKey")
    new_role = iam.Role(stack, "New", assumed_by=iam.AccountRootPrincipal())
    existing = iam.Role.from_role_arn(stack, "Existing", f"arn:aws:iam::{ACCOUNT}:role/existing")
    key.add_to_resource_policy(iam.PolicyStatement(sid="Both", principals=[existing, new_role],
                                                   actions=["kms:Decrypt"], resources=["*"]))
    assert statement(stack, "Both")["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:role/existing"}
    matched = statement(stack, "BothInTemplate")
    assert matched["Principal"] == {"AWS": "*"} and matched["Action"] == "kms:Decrypt"


def test_admins_and_users_are_named_in_the_key_policy(stack, compliant):
    admin = iam.Role(stack, "KeyAdmin", assumed_by=iam.AccountRootPrincipal())
    user = iam.Role(stack, "KeyUser", assumed_by=iam.AccountRootPrincipal())
    PhiKey(stack, "DataKey", admins=[admin], users=[user])
    administration = statement(stack, "AllowKeyAdministration")
    assert "kms:ScheduleKeyDeletion" in administration["Action"]
    assert "kms:Decrypt" not in administration["Action"]
    # Roles of the key's own stack are matched by aws:PrincipalArn (KMS cannot see them yet).
    assert administration["Principal"] == {"AWS": "*"}
    assert administration["Condition"]["ArnEquals"]["aws:PrincipalArn"]["Fn::GetAtt"][0].startswith("KeyAdmin")
    use = statement(stack, "AllowKeyUse")
    assert use["Condition"]["ArnEquals"]["aws:PrincipalArn"]["Fn::GetAtt"][0].startswith("KeyUser")
    grants = statement(stack, "AllowKeyUsersGrantsForAwsResources")
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert "kms:RevokeGrant" not in grants["Action"]
    compliant(stack)


def test_rotation_period_and_pending_window_are_configurable(stack):
    PhiKey(stack, "DataKey", rotation_period=cdk.Duration.days(90), pending_window=cdk.Duration.days(7))
    Template.from_stack(stack).has_resource_properties(
        "AWS::KMS::Key", {"RotationPeriodInDays": 90, "PendingWindowInDays": 7})


def test_enable_services_is_idempotent(stack):
    key = PhiKey(stack, "DataKey", services=[KeyService.S3])
    key.enable_services(KeyService.S3, KeyService.HEALTHLAKE, KeyService.HEALTHLAKE)
    sids = [s.get("Sid") for s in key_policy_statements(stack) if s.get("Sid")]
    assert len(sids) == len(set(sids))
    assert key.services == (KeyService.S3, KeyService.HEALTHLAKE)


def test_every_service_at_once_passes_every_pack(stack, compliant):
    PhiKey(stack, "DataKey", services=list(KeyService))
    compliant(stack)


def test_grant_via_service_scopes_the_role_policy_and_names_actions(stack, compliant):
    role = iam.Role(stack, "RunRole", assumed_by=iam.ServicePrincipal("omics.amazonaws.com"))
    key = PhiKey(stack, "DataKey")
    key.grant_via_service(role, KeyService.HEALTHOMICS_WORKFLOWS)
    key.grant_via_service(role, KeyService.HEALTHLAKE)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::Policy", 0)
    (policy,) = template.find_resources("AWS::IAM::ManagedPolicy").values()
    assert policy["Properties"]["Roles"] == [{"Ref": stack.get_logical_id(role.node.default_child)}]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert all("*" not in action for s in statements for action in cdk_list(s["Action"]))
    via_services = {s["Condition"]["StringEquals"]["kms:ViaService"] for s in statements}
    assert via_services == {f"omics.{REGION}.amazonaws.com", f"healthlake.{REGION}.amazonaws.com"}
    assert all(s["Condition"]["StringEquals"]["kms:CallerAccount"] == ACCOUNT for s in statements)
    create_grants = [s for s in statements if "kms:CreateGrant" in cdk_list(s["Action"])]
    assert len(create_grants) == 1
    assert create_grants[0]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert set(key.services) == {KeyService.HEALTHOMICS_WORKFLOWS, KeyService.HEALTHLAKE}
    compliant(stack)


def cdk_list(value):
    return value if isinstance(value, list) else [value]


def test_grant_via_service_refuses_a_service_principal_service(stack):
    key = PhiKey(stack, "DataKey")
    role = iam.Role(stack, "Role", assumed_by=iam.AccountRootPrincipal())
    with pytest.raises(OmicsSecureConfigError, match=r"service=KeyService.CLOUDTRAIL.*HEALTHOMICS_STORAGE"):
        key.grant_via_service(role, KeyService.CLOUDTRAIL)


def test_destroy_is_allowed_with_a_warning(stack):
    PhiKey(stack, "DataKey", removal_policy=cdk.RemovalPolicy.DESTROY)
    Annotations.from_stack(stack).has_warning("/TestStack/DataKey", Match.string_like_regexp("unrecoverable"))
    Template.from_stack(stack).has_resource("AWS::KMS::Key", {"DeletionPolicy": "Delete"})


@pytest.mark.parametrize(("props", "message"), [
    ({"rotation_period": cdk.Duration.days(30)}, r"rotation_period='30 days': .* 90 to 2560 days"),
    ({"rotation_period": cdk.Duration.days(2561)}, r"rotation_period='2561 days'"),
    ({"rotation_period": 365}, r"rotation_period=365: pass a cdk.Duration"),
    ({"rotation_period": cdk.Duration.hours(36)}, r"rotation_period='1 day 12 hours': use a whole number of days"),
    ({"pending_window": cdk.Duration.days(6)}, r"pending_window='6 days': .* 7 to 30 days"),
    ({"pending_window": cdk.Duration.days(31)}, r"pending_window='31 days'"),
    ({"services": ["healthomics"]}, r"services\[0\]='healthomics': pass a member of KeyService"),
    ({"alias": "genomics-key"}, r"alias='genomics-key': use 'alias/'"),
    ({"alias": "alias/aws/s3"}, r"alias='alias/aws/s3'.*reserves"),
    ({"removal_policy": cdk.RemovalPolicy.SNAPSHOT}, r"removal_policy=.*RETAIN .* or DESTROY"),
])
def test_bad_props_raise_one_clear_error(stack, props, message):
    with pytest.raises(OmicsSecureConfigError, match=message):
        PhiKey(stack, "DataKey", **props)


def test_every_problem_is_reported_at_once(stack):
    with pytest.raises(OmicsSecureConfigError) as raised:
        PhiKey(stack, "DataKey", rotation_period=cdk.Duration.days(1), pending_window=cdk.Duration.days(1))
    assert [p.prop for p in raised.value.problems] == ["rotation_period", "pending_window"]
    assert str(raised.value).startswith("PhiKey 'DataKey': invalid props")


def test_service_statements_need_a_concrete_account_and_region(app):
    agnostic = cdk.Stack(app, "Agnostic")
    with pytest.raises(OmicsSecureConfigError,
                       match=r"services=\['HealthLake'\]: .*account and region.*env=cdk.Environment"):
        PhiKey(agnostic, "DataKey", services=[KeyService.HEALTHLAKE])


def test_a_key_without_services_works_in_an_environment_agnostic_stack(app):
    agnostic = cdk.Stack(app, "Agnostic")
    PhiKey(agnostic, "DataKey")
    Template.from_stack(agnostic).resource_count_is("AWS::KMS::Key", 1)


def test_existing_key_lists_the_statements_its_owner_must_add(stack):
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    existing = PhiKey.from_existing_key_arn(stack, "Imported", arn, services=[KeyService.HEALTHOMICS_STORAGE])
    cdk.CfnWaitConditionHandle(stack, "Placeholder")  # CloudFormation refuses a template with no resources
    assert existing.key.key_arn == arn
    assert [s.sid for s in existing.required_statements] == [
        "AllowHealthOmicsStorageUseViaService", "AllowHealthOmicsStorageCreateGrantViaService"]
    document = existing.required_key_policy()
    assert document["Statement"][0]["Condition"]["StringEquals"]["kms:CallerAccount"] == ACCOUNT
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Imported", Match.string_like_regexp("AllowHealthOmicsStorageUseViaService"))
    Template.from_stack(stack).resource_count_is("AWS::KMS::Key", 0)


@pytest.mark.parametrize("arn", [
    f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/genomics",
    "1234abcd-12ab-34cd-56ef-1234567890ab",
])
def test_existing_key_needs_a_key_arn(stack, arn):
    with pytest.raises(OmicsSecureConfigError, match=r"key_arn=.*pass the key's ARN"):
        PhiKey.from_existing_key_arn(stack, "Imported", arn)


def test_default_aliases_follow_the_construct_path_so_two_buckets_keys_differ(stack):
    first, second = Construct(stack, "First"), Construct(stack, "Second")
    PhiKey(first, "Key")
    PhiKey(second, "Key")
    aliases = sorted(a["Properties"]["AliasName"]
                     for a in Template.from_stack(stack).find_resources("AWS::KMS::Alias").values())
    assert aliases == ["alias/omics-secure/TestStack/First/Key", "alias/omics-secure/TestStack/Second/Key"]
