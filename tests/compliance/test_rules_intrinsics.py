"""Every rule on the shapes templates give it: intrinsic functions, parameters, conditions, CloudFormation's
string coercions, and near misses (a value one step from compliant). Each case names the rule, the
resource, the verdict and a part of the detail the verdict must carry."""

from __future__ import annotations

import json
from typing import Any

import pytest

from omics_secure.compliance.model import Resource, Rule, Status, TemplateIndex, Verdict
from omics_secure.compliance.rules import (
    access,
    audit,
    backup,
    deploy,
    kms,
    network,
    omics,
    organization,
    readers,
    s3,
)
from omics_secure.compliance.rules import deploy_environment as environment
from omics_secure.inputs.values import TemplateValues

C, NC, CJ, NA = Status.COMPLIANT, Status.NON_COMPLIANT, Status.CANNOT_JUDGE, Status.NOT_APPLICABLE
PHI_TAGS = [{"Key": "omics-secure:data-classification", "Value": "phi"}]
PARAMETERS = {"NoDefault": {"Type": "String"}, "Env": {"Type": "String", "Default": "dev"},
              "Days": {"Type": "Number", "Default": "30"}, "Cidrs": {"Type": "CommaDelimitedList",
                                                                    "Default": "10.0.0.0/8, 0.0.0.0/0"}}
CONDITIONS = {"Free": {"Fn::Equals": [{"Ref": "NoDefault"}, "yes"]}, "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
              "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
              "Both": {"Fn::And": [{"Condition": "NotProd"}, {"Fn::Equals": ["a", "a"]}]},
              "Either": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "Free"}]}}


def judge_in(rule: Rule, resources: dict[str, Any], logical_id: str = "R",
             parameters: dict[str, str] | None = None) -> Verdict:
    template = {"Parameters": PARAMETERS, "Conditions": CONDITIONS, "Resources": resources}
    return rule.evaluate(Resource.from_template(logical_id, resources[logical_id], resources,
                                                TemplateIndex(resources), TemplateValues(template, parameters)))


def one(type_: str, properties: Any, **attributes: Any) -> dict[str, Any]:
    return {"R": {"Type": type_, "Properties": properties, **attributes}}


def key(properties: dict[str, Any], deletion: Any = "Retain") -> dict[str, Any]:
    return one("AWS::KMS::Key", properties, DeletionPolicy=deletion)


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"KeyPolicy": {"Statement": list(statements)}}


def allow(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "kms:Decrypt", "Resource": "*", **extra}


def bucket(properties: dict[str, Any], *, phi: bool = True, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"R": {"Type": "AWS::S3::Bucket", "Properties": {**properties, **({"Tags": PHI_TAGS} if phi else {})}},
            **(extra or {})}


def sg(*ingress: Any) -> dict[str, Any]:
    return one("AWS::EC2::SecurityGroup", {"GroupDescription": "g", "SecurityGroupIngress": list(ingress)})


def tls_policy(version: Any, bucket_ref: Any = None, **statement: Any) -> dict[str, Any]:
    return {"P": {"Type": "AWS::S3::BucketPolicy", "Properties": {
        "Bucket": bucket_ref or {"Ref": "R"}, "PolicyDocument": {"Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"NumericLessThan": {"s3:TlsVersion": version}}, **statement}]}}}}



READER = "Reader (assumable by any principal in account ${template:AWS::AccountId})"


def phi_reader(resource: Any, tags: Any = None, **extra: Any) -> dict[str, Any]:
    """A PHI bucket R and a role that reads ``resource``."""
    return {**bucket({}), "Reader": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"AWS": {"Ref": "AWS::AccountId"}}}]},
        "Tags": tags or [], "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}]}}]}}, **extra}


LOCK = {"ObjectLockEnabled": True, "ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": {
    "DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}}}
KMS_ENCRYPTION = {"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
    "BucketKeyEnabled": True, "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"}}]}}
TRAIL = {"IsLogging": True, "IsMultiRegionTrail": True, "EnableLogFileValidation": True, "KMSKeyId": "k"}
LT = "AWS::EC2::LaunchTemplate"
ENDPOINT_TEMPLATE = {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
                     "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {}}}


def endpoint(ingress: list[Any], **properties: Any) -> dict[str, Any]:
    resources = {**ENDPOINT_TEMPLATE, "R": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
        "VpcEndpointType": "Interface", "VpcId": {"Ref": "Vpc"},
        "SecurityGroupIds": [{"Fn::GetAtt": ["Sg", "GroupId"]}],
        **properties}}}
    resources["Sg"] = {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": ingress}}
    return resources


def lt(data: dict[str, Any]) -> dict[str, Any]:
    return one(LT, {"LaunchTemplateData": data})


def ebs(**volume: Any) -> dict[str, Any]:
    return lt({"BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": volume}]})


def isolated_vpc(extra: dict[str, Any]) -> dict[str, Any]:
    return {"R": {"Type": "AWS::EC2::VPC", "Properties": {"Tags": [{"Key": "omics-secure:isolated", "Value": True}]}},
            "T": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "R"}}}, **extra}


def route(**target: Any) -> dict[str, Any]:
    return {"Route": {"Type": "AWS::EC2::Route", "Properties": {"RouteTableId": {"Ref": "T"},
                                                                 "DestinationCidrBlock": "0.0.0.0/0", **target}}}


def omics_role(*statements: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return one("AWS::IAM::Role", {"AssumeRolePolicyDocument": {"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "omics.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": list(statements)}}], **properties})


def data_trail(values: list[Any], **selector: Any) -> dict[str, Any]:
    return bucket({}, extra={"Trail": {"Type": "AWS::CloudTrail::Trail", "Properties": {**TRAIL, "EventSelectors": [
        {"DataResources": [{"Type": "AWS::S3::Object", "Values": values}], **selector}]}}})


def key_rule(**rule: Any) -> dict[str, Any]:
    return {**key({}), "E": {"Type": "AWS::Events::Rule", "Properties": {
        "EventPattern": {"source": ["aws.kms"], "detail": {"resources": {"ARN": [{"Fn::GetAtt": ["R", "Arn"]}]}}},
        "Targets": [{"Id": "t", "Arn": "arn:aws:sns:us-east-1:111122223333:alerts"}], **rule}}}


NAMED_ROLE = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "named", "AssumeRolePolicyDocument": {
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}}
ROLE_ARN = {"Fn::GetAtt": ["Role", "Arn"]}
ROOT = "arn:aws:iam::111122223333:root"


def key_naming(principal: Any, **extra: Any) -> dict[str, Any]:
    return {**key(policy(allow({"AWS": principal}, **extra))), "Role": NAMED_ROLE}


def resource_policy(type_: str, principal: Any, document: Any = None) -> dict[str, Any]:
    target = {"Topics": ["arn:aws:sns:us-east-1:111122223333:t"]} if type_ == "AWS::SNS::TopicPolicy" \
        else {"Bucket": "b"}
    return {"R": {"Type": type_, "Properties": {**target, "PolicyDocument": document or {"Statement": [{
        "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sns:Publish", "Resource": "*"}]}}},
        "Role": NAMED_ROLE}


def lifecycle(*rules: Any) -> dict[str, Any]:
    return bucket({"LifecycleConfiguration": {"Rules": list(rules)}}, phi=False)


def replica(key_actions: Any, bucket_key: Any = True) -> dict[str, Any]:
    """A destination bucket with an S3 Bucket Key whose bucket policy lets Role replicate into it."""
    return {"Role": NAMED_ROLE, "Key": key(policy(allow({"AWS": ROLE_ARN}, Action=key_actions)))["R"],
            **bucket({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                "BucketKeyEnabled": bucket_key, "ServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}}]}}),
            "P": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "R"}, "PolicyDocument": {
                "Statement": [allow({"AWS": ROLE_ARN}, Action="s3:ReplicateObject")]}}}}


def retained(type_: str, properties: dict[str, Any], deletion: Any = "Retain") -> dict[str, Any]:
    return one(type_, properties, DeletionPolicy=deletion)


def run_configuration(subnet_ids: Any, **subnets: dict[str, Any]) -> dict[str, Any]:
    resources = one("AWS::Omics::Configuration", {"Name": "c", "RunConfigurations": {"VpcConfig": {
        "SecurityGroupIds": ["sg-1"], "SubnetIds": subnet_ids}}})
    for logical_id, zone in subnets.items():
        resources[logical_id] = {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24", **zone}}
    return resources


def delivery(lock: Any) -> dict[str, Any]:
    return {"R": {"Type": "AWS::Config::DeliveryChannel", "Properties": {"S3BucketName": {"Ref": "B"}}},
            "B": {"Type": "AWS::S3::Bucket", "Properties": {"ObjectLockEnabled": lock}}}


EXPIRY = {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}


def people_role(condition: dict[str, Any]) -> dict[str, Any]:
    return one("AWS::IAM::Role", {"AssumeRolePolicyDocument": {"Statement": [{
        "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole", "Condition": condition}]},
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{
            "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}}]})


def credential(type_: str, phi_store: dict[str, Any] | None) -> dict[str, Any]:
    properties = {"UserName": "u"} if type_ == "AWS::IAM::AccessKey" else {}
    return {**one(type_, properties), **({"Data": phi_store} if phi_store else {})}


PHI_BUCKET = {"Type": "AWS::S3::Bucket", "Properties": {"Tags": PHI_TAGS}}
BLOCK_ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
             "RestrictPublicBuckets": True}
AP_POLICY = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                            "Action": "s3:GetObject", "Resource": "*", "Condition": EXPIRY}]}


def access_point(**properties: Any) -> dict[str, Any]:
    return {**one("AWS::S3::AccessPoint", {"Bucket": {"Ref": "Data"}, **properties}), "Data": PHI_BUCKET}


VAULT_KEY = {"Fn::GetAtt": ["VaultKey", "Arn"]}
VAULT_LOCK = {"MinRetentionDays": 35, "MaxRetentionDays": 3650, "ChangeableForDays": 3}
ORG_LOCK, ORG_PROTECT = organization.ORGANIZATION_RULES
LOCK_STATEMENT = {"Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*",
                  "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}}
PROTECT_STATEMENT = {"Effect": "Deny", "Resource": "*", "Action": [
    "cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "config:StopConfigurationRecorder",
    "config:DeleteConfigurationRecorder", "kms:DisableKey", "kms:ScheduleKeyDeletion"]}


SAML_SUB = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:saml-provider/Campus"}
MFA_TRUE = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def mfa_trust(principal: dict[str, Any], condition: Any) -> dict[str, Any]:
    return one("AWS::IAM::Role", {"AssumeRolePolicyDocument": {"Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", "Condition": condition}]}})


def copy_plan(destination: Any, role_statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "R": {"Type": "AWS::Backup::BackupPlan", "Properties": {"BackupPlan": {"BackupPlanRule": [
            {"RuleName": "Daily", "CopyActions": [{"DestinationBackupVaultArn": destination}]}]}}},
        "Selection": {"Type": "AWS::Backup::BackupSelection", "Properties": {"BackupPlanId": {"Ref": "R"},
                      "BackupSelection": {"IamRoleArn": {"Fn::GetAtt": ["BackupRole", "Arn"]}}}},
        "BackupRole": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [
            {"PolicyName": "p", "PolicyDocument": {"Statement": role_statements}}]}},
    }


def scp(statement: dict[str, Any], targets: list[Any] | None = None) -> dict[str, Any]:
    return one("AWS::Organizations::Policy", {
        "Type": "SERVICE_CONTROL_POLICY", "TargetIds": targets or ["ou-ab12-cd34ef56"],
        "Content": {"Version": "2012-10-17", "Statement": [statement]}})


CASES: list[tuple[Rule, dict[str, Any], Status, str]] = [
    # KMSKeyRotationEnabled
    (kms.KEY_ROTATION_ENABLED, key({"EnableKeyRotation": "True"}), C, ""),
    (kms.KEY_ROTATION_ENABLED, key({"EnableKeyRotation": "yes"}), NC, "EnableKeyRotation is yes"),
    (kms.KEY_ROTATION_ENABLED, key({"EnableKeyRotation": {"Fn::If": ["Free", True, False]}}), NC,
     "when condition Free is false"),
    # A Boolean from a parameter is judged as each value the parameter may take.
    (kms.KEY_ROTATION_ENABLED, key({"EnableKeyRotation": {"Ref": "NoDefault"}}), NC,
     "when NoDefault is false: EnableKeyRotation is false"),
    (kms.KEY_ROTATION_ENABLED, key({"KeySpec": "RSA_2048"}), NA, ""),
    (kms.KEY_ROTATION_ENABLED, key({"KeySpec": {"Fn::If": ["IsProd", "RSA_2048", "SYMMETRIC_DEFAULT"]}}), NC,
     "EnableKeyRotation is absent"),
    # KMSAliasNoPhiInName
    (kms.ALIAS_NO_PHI_IN_NAME, one("AWS::KMS::Alias", {"AliasName": {"Fn::Join": ["/", [
        "alias", {"Ref": "Env"}, "subject-0042"]]}, "TargetKeyId": {"Ref": "Key"}}), NC,
     "AliasName looks like PHI (patient or subject identifier)"),
    (kms.ALIAS_NO_PHI_IN_NAME, one("AWS::KMS::Alias", {"AliasName": {"Fn::Sub": "alias/${Env}/${AWS::AccountId}"},
                                                        "TargetKeyId": {"Ref": "Key"}}), C, ""),
    # KMSKeyRetained
    (kms.KEY_RETAINED, key({}, "RetainExceptOnCreate"), C, ""),
    (kms.KEY_RETAINED, key({}, "RetainExceptOnUpdate"), NC, "DeletionPolicy is RetainExceptOnUpdate"),
    (kms.KEY_RETAINED, key({}, "Snapshot"), NC, "Snapshot"),
    (kms.KEY_RETAINED, key({}, {"Fn::If": ["Free", "Retain", "Delete"]}), NC, "when condition Free is false"),
    (kms.KEY_RETAINED, key({}, {"Ref": "NoDefault"}), CJ, "DeletionPolicy is !Ref NoDefault"),
    # KMSKeyPolicyNoOpenPrincipal
    (kms.KEY_POLICY_NO_OPEN_PRINCIPAL, key(policy(allow({"AWS": "*"}, Condition={"StringEquals": {
        "aws:PrincipalOrgID": "o-1"}}))), C, ""),
    (kms.KEY_POLICY_NO_OPEN_PRINCIPAL, key(policy(allow({"AWS": ["arn:aws:iam::1:root", "*"]}))), NC, "wildcard"),
    (kms.KEY_POLICY_NO_OPEN_PRINCIPAL, key(policy(allow({"Fn::If": ["Free", "*", {"AWS": "a"}]}))), NC,
     "when condition Free is true: statement 0 allows a wildcard"),
    (kms.KEY_POLICY_NO_OPEN_PRINCIPAL, key(policy(allow({"AWS": {"Fn::ImportValue": "P"}}))), CJ,
     "AWS is !ImportValue P"),
    (kms.KEY_POLICY_NO_OPEN_PRINCIPAL, key(policy(allow({"AWS": {"Fn::ImportValue": "P"}}), allow("*"))), NC,
     "statement 1 allows a wildcard"),
    (kms.KEY_POLICY_NO_OPEN_PRINCIPAL, key(policy(allow({"Service": [""]}))), NC, "empty principal"),
    (kms.KEY_POLICY_NO_OPEN_PRINCIPAL, key(policy({"Effect": "Deny", "Principal": "*", "Action": "kms:*"})), C, ""),
    (kms.KEY_POLICY_NO_OPEN_PRINCIPAL, key(policy(allow("*", Condition={"Ref": "AWS::NoValue"}))), NC, "wildcard"),
    # KMSGrantServiceStatementScoped
    (kms.GRANT_SERVICE_STATEMENTS_SCOPED, key(policy(allow({"AWS": "a"}, Condition={"StringEquals": {
        "kms:ViaService": {"Fn::Sub": "omics.${AWS::Region}.amazonaws.com"},
        "kms:CallerAccount": {"Ref": "AWS::AccountId"}}}))), C, ""),
    (kms.GRANT_SERVICE_STATEMENTS_SCOPED, key(policy(allow({"AWS": "a"}, Condition={"StringEquals": {
        "kms:ViaService": {"Fn::Sub": "healthlake.${AWS::Region}.amazonaws.com"}}}))), NC,
     "(healthlake) lacks kms:CallerAccount"),
    (kms.GRANT_SERVICE_STATEMENTS_SCOPED, key(policy(allow({"Service": "omics.amazonaws.com"},
                                                           Action=["kms:CreateGrant"], Condition={"StringEquals": {
        "kms:ViaService": "omics.us-east-1.amazonaws.com", "kms:CallerAccount": "1"}}))), NC,
     "without kms:GrantIsForAWSResource"),
    (kms.GRANT_SERVICE_STATEMENTS_SCOPED, key(policy(allow({"Service": "s3.amazonaws.com"}))), C, ""),
    # S3PhiBucketObjectLock
    (s3.PHI_BUCKET_OBJECT_LOCK, bucket(LOCK), C, ""),
    (s3.PHI_BUCKET_OBJECT_LOCK, bucket({**LOCK, "ObjectLockEnabled": "true"}), C, ""),
    (s3.PHI_BUCKET_OBJECT_LOCK, bucket({**LOCK, "ObjectLockConfiguration": {
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {
            "Mode": "COMPLIANCE", "Days": {"Ref": "Days"}}}}}),
     C, ""),
    (s3.PHI_BUCKET_OBJECT_LOCK, bucket({**LOCK, "ObjectLockConfiguration": {
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Years": {
            "Ref": "NoDefault"}}}}}), C, ""),
    (s3.PHI_BUCKET_OBJECT_LOCK, bucket({**LOCK, "ObjectLockConfiguration": {
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": "0"}}}}), NC,
     "no Days or Years"),
    (s3.PHI_BUCKET_OBJECT_LOCK, bucket({**LOCK, "ObjectLockConfiguration": {
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "governance", "Days": 1}}}}), NC,
     "no default retention mode"),
    (s3.PHI_BUCKET_OBJECT_LOCK, bucket({**LOCK, "ObjectLockEnabled": {"Fn::If": ["Free", True, False]}}), NC,
     "when condition Free is false: object lock is not enabled"),
    (s3.PHI_BUCKET_OBJECT_LOCK, bucket({}, phi=False), NA, ""),
    # S3BucketVersioning
    (s3.BUCKET_VERSIONING, bucket({"VersioningConfiguration": {"Status": "Enabled"}}), C, ""),
    (s3.BUCKET_VERSIONING, bucket({"VersioningConfiguration": {"Status": "Suspended"}}), NC, "Suspended"),
    (s3.BUCKET_VERSIONING, bucket({"VersioningConfiguration": {"Status": "enabled"}}), NC, "enabled, not"),
    (s3.BUCKET_VERSIONING, bucket({"VersioningConfiguration": {"Status": {
        "Fn::If": ["IsProd", "Enabled", "Suspended"]}}}), NC, "versioning is Suspended"),
    (s3.BUCKET_VERSIONING, bucket({"VersioningConfiguration": {"Status": {"Fn::ImportValue": "S"}}}), CJ,
     "Status is !ImportValue S"),
    # Every bucket is judged, not only PHI buckets.
    (s3.BUCKET_VERSIONING, bucket({}, phi=False), NC, "versioning is not configured (off)"),
    (s3.BUCKET_VERSIONING, bucket({"VersioningConfiguration": {"Status": "Enabled"}}, phi=False), C, ""),
    # S3BucketEncryptedWithKms
    (s3.BUCKET_ENCRYPTED_WITH_KMS, bucket(KMS_ENCRYPTION, phi=False), C, ""),
    (s3.BUCKET_ENCRYPTED_WITH_KMS, bucket({}, phi=False), NC, "no default encryption configured"),
    (s3.BUCKET_ENCRYPTED_WITH_KMS, bucket({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}), NC, "default encryption is AES256"),
    (s3.BUCKET_ENCRYPTED_WITH_KMS, bucket({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": {"Fn::If": ["Free", "aws:kms", "AES256"]}}}]}}), NC,
     "when condition Free is false: default encryption is AES256"),
    (s3.BUCKET_ENCRYPTED_WITH_KMS, bucket({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": {"Ref": "NoDefault"}}}]}}), NC,
     "when NoDefault is AES256: default encryption is AES256"),
    # A server-access-log target must be SSE-S3 (named by another bucket's LoggingConfiguration) ...
    (s3.BUCKET_ENCRYPTED_WITH_KMS, {**bucket({}, phi=False), "Other": {"Type": "AWS::S3::Bucket", "Properties": {
        "LoggingConfiguration": {"DestinationBucketName": {"Ref": "R"}}}}}, C, ""),
    (s3.BUCKET_ENCRYPTED_WITH_KMS, {**bucket(KMS_ENCRYPTION, phi=False), "Other": {
        "Type": "AWS::S3::Bucket", "Properties": {"LoggingConfiguration": {"DestinationBucketName": {"Ref": "R"}}}}},
     NC, "S3 delivers only into buckets encrypted with SSE-S3"),
    # ... and a bucket that only logs to itself is no log target (near miss).
    (s3.BUCKET_ENCRYPTED_WITH_KMS, bucket({"LoggingConfiguration": {"DestinationBucketName": {"Ref": "R"}}},
                                          phi=False), NC, "no default encryption configured"),
    # S3BucketPublicAccessBlocked: absent means S3's defaults (all on); present, a setting left out is off.
    (s3.BUCKET_PUBLIC_ACCESS_BLOCKED, bucket({}, phi=False), C, ""),
    (s3.BUCKET_PUBLIC_ACCESS_BLOCKED, bucket({"PublicAccessBlockConfiguration": {
        name: True for name in s3.PUBLIC_ACCESS_SETTINGS}}), C, ""),
    (s3.BUCKET_PUBLIC_ACCESS_BLOCKED, bucket({"PublicAccessBlockConfiguration": {"BlockPublicAcls": True}}), NC,
     "leaves IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets off"),
    (s3.BUCKET_PUBLIC_ACCESS_BLOCKED, bucket({"PublicAccessBlockConfiguration": {
        **{name: True for name in s3.PUBLIC_ACCESS_SETTINGS}, "RestrictPublicBuckets": {"Ref": "NoDefault"}}}), NC,
     "when NoDefault is false: PublicAccessBlockConfiguration leaves RestrictPublicBuckets off"),
    (s3.BUCKET_PUBLIC_ACCESS_BLOCKED, bucket({"AccessControl": "PublicRead"}), NC, "PublicRead grants access"),
    (s3.BUCKET_PUBLIC_ACCESS_BLOCKED, bucket({"AccessControl": "LogDeliveryWrite"}), C, ""),
    (s3.BUCKET_PUBLIC_ACCESS_BLOCKED, bucket({"PublicAccessBlockConfiguration": {"Fn::ImportValue": "B"}}), CJ,
     "PublicAccessBlockConfiguration is !ImportValue B"),
    # S3BucketAclsDisabled
    (s3.BUCKET_ACLS_DISABLED, bucket({}, phi=False), C, ""),
    (s3.BUCKET_ACLS_DISABLED, bucket({"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                                      "AccessControl": "Private"}), C, ""),
    (s3.BUCKET_ACLS_DISABLED, bucket({"OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}}), NC,
     "ObjectOwnership is ObjectWriter"),
    (s3.BUCKET_ACLS_DISABLED, bucket({"AccessControl": "LogDeliveryWrite"}), NC, "LogDeliveryWrite grants access"),
    (s3.BUCKET_ACLS_DISABLED, bucket({"OwnershipControls": {"Rules": [{"ObjectOwnership": {
        "Fn::If": ["IsProd", "BucketOwnerEnforced", "BucketOwnerPreferred"]}}]}}), NC,
     "ObjectOwnership is BucketOwnerPreferred"),
    # S3BucketAccessLogged: a log target is not judged; a log target named only by its own logging is not one.
    (s3.BUCKET_ACCESS_LOGGED, bucket({"LoggingConfiguration": {"DestinationBucketName": "logs-bucket"}}), C, ""),
    (s3.BUCKET_ACCESS_LOGGED, bucket({}, phi=False), NC, "no LoggingConfiguration.DestinationBucketName"),
    (s3.BUCKET_ACCESS_LOGGED, bucket({"LoggingConfiguration": {"LogFilePrefix": "x/"}}), NC,
     "no LoggingConfiguration.DestinationBucketName"),
    (s3.BUCKET_ACCESS_LOGGED, {**bucket({}, phi=False), "Other": {"Type": "AWS::S3::Bucket", "Properties": {
        "LoggingConfiguration": {"DestinationBucketName": {"Ref": "R"}}}}}, NA, ""),
    (s3.BUCKET_ACCESS_LOGGED, {**bucket({}, phi=False), "P": {"Type": "AWS::S3::BucketPolicy", "Properties": {
        "Bucket": {"Ref": "R"}, "PolicyDocument": {"Statement": [{
            "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
            "Resource": {"Fn::Sub": "${R.Arn}/*"}}]}}}}, NA, ""),
    (s3.BUCKET_ACCESS_LOGGED, bucket({"LoggingConfiguration": {
        "Fn::If": ["Free", {"DestinationBucketName": "logs"}, {"Ref": "AWS::NoValue"}]}}), NC,
     "when condition Free is false: no LoggingConfiguration"),
    # S3BucketKeyEnabled
    (s3.BUCKET_KEY_ENABLED, bucket(KMS_ENCRYPTION), C, ""),
    (s3.BUCKET_KEY_ENABLED, bucket({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
        "BucketKeyEnabled": "false", "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}}), NC,
     "without BucketKeyEnabled"),
    (s3.BUCKET_KEY_ENABLED, bucket({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse"}}]}}), NA, ""),
    # S3BucketPolicyMinimumTls
    (s3.BUCKET_POLICY_MINIMUM_TLS, bucket({}, extra=tls_policy("1.2")), C, ""),
    (s3.BUCKET_POLICY_MINIMUM_TLS, bucket({}, extra=tls_policy(1.3)), C, ""),
    (s3.BUCKET_POLICY_MINIMUM_TLS, bucket({}, extra=tls_policy("1.1")), NC, "older than 1.1"),
    (s3.BUCKET_POLICY_MINIMUM_TLS, bucket({}, extra=tls_policy("1.2", {"Ref": "Other"})), NC, "no bucket-policy"),
    (s3.BUCKET_POLICY_MINIMUM_TLS, bucket({}, extra=tls_policy("1.2", Effect="Allow")), NC, "no bucket-policy"),
    (s3.BUCKET_POLICY_MINIMUM_TLS, bucket({}, extra=tls_policy("1.2", Action="s3:GetObject")), NC, "no bucket-policy"),
    (s3.BUCKET_POLICY_MINIMUM_TLS, bucket({}, extra=tls_policy("1.2", Principal={"AWS": "arn:aws:iam::1:root"})),
     NC, "no bucket-policy"),
    (s3.BUCKET_POLICY_MINIMUM_TLS, bucket({}, extra=tls_policy("1.2", Condition=[{"NumericLessThan": {
        "s3:TlsVersion": "1.2"}}])), NC, "no bucket-policy"),
    (s3.BUCKET_POLICY_MINIMUM_TLS, bucket({}, extra=tls_policy({"Fn::If": ["Free", "1.2", "1.0"]})), NC,
     "when condition Free is false"),
    (s3.BUCKET_POLICY_MINIMUM_TLS, bucket({}, extra=tls_policy("1.2", {"Fn::ImportValue": "B"})), CJ,
     "Bucket is !ImportValue B"),
    (s3.BUCKET_POLICY_MINIMUM_TLS, bucket({}, extra=tls_policy("1.2", Principal={"Ref": "NoDefault"})), CJ,
     "Principal is !Ref NoDefault"),
    # PhiStoreReadersAccountedFor
    (readers.PHI_STORE_READERS_ACCOUNTED_FOR, phi_reader({"Fn::Sub": "${R.Arn}/*"}), NC, READER + " can read it"),
    (readers.PHI_STORE_READERS_ACCOUNTED_FOR, phi_reader({"Fn::If": ["Free", "*", "arn:aws:s3:::other/*"]}), NC,
     READER + " can read it unconditionally"),
    (readers.PHI_STORE_READERS_ACCOUNTED_FOR, phi_reader({"Fn::Sub": "arn:aws:s3:::${NoDefault}/*"}), NC,
     READER + " can read it when Resource ArnLike arn:aws:s3:::${NoDefault}/*"),
    # A parameter with a default may be given any other value at deployment (the value layer's choices).
    (readers.PHI_STORE_READERS_ACCOUNTED_FOR, phi_reader({"Fn::Sub": "arn:aws:s3:::${Env}/*"}), NC,
     READER + " can read it when Resource ArnLike arn:aws:s3:::${Env}/*"),
    (readers.PHI_STORE_READERS_ACCOUNTED_FOR, phi_reader({"Fn::Sub": "arn:aws:s3:us-east-1:${Env}:job/*"}), C, ""),
    (readers.PHI_STORE_READERS_ACCOUNTED_FOR, phi_reader("*", tags=[{"Key": "omics-secure:approval-id",
                                                                     "Value": {"Fn::Sub": "phs-${Env}"}}]), C, ""),
    (readers.PHI_STORE_READERS_ACCOUNTED_FOR, phi_reader("*", P={"Type": "AWS::S3::BucketPolicy", "Properties": {
        "Bucket": {"Ref": "R"}, "PolicyDocument": {"Statement": [{"Fn::If": ["IsProd", {
            "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}, {"Ref": "AWS::NoValue"}]}]}}}),
     NC, READER + " can read it"),
    # S3PhiBucketKmsEncrypted
    (s3.PHI_BUCKET_KMS_ENCRYPTED, bucket(KMS_ENCRYPTION), C, ""),
    (s3.PHI_BUCKET_KMS_ENCRYPTED, bucket({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": {"Ref": "NoDefault"}}}]}}),
     C, ""),
    (s3.PHI_BUCKET_KMS_ENCRYPTED, bucket({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}}), NC, "without KMSMasterKeyID"),
    (s3.PHI_BUCKET_KMS_ENCRYPTED, bucket({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"}}]}}), NC,
     "AWS managed key alias/aws/s3"),
    (s3.PHI_BUCKET_KMS_ENCRYPTED, bucket({"BucketEncryption": {}}), NC, "no default encryption"),
    (s3.PHI_BUCKET_KMS_ENCRYPTED, bucket({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
        "ServerSideEncryptionByDefault": {}}]}}), NC, "default encryption is not set"),
    (s3.PHI_BUCKET_KMS_ENCRYPTED, bucket({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": {"Fn::ImportValue": "Alg"}}}]}}), CJ, "SSEAlgorithm is"),
    # S3ReplicationKmsEncryptedObjects
    (s3.REPLICATION_KMS_OBJECTS, bucket({**KMS_ENCRYPTION, "ReplicationConfiguration": {"Rules": [{
        "Status": "Enabled", "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        "Destination": {"EncryptionConfiguration": {"ReplicaKmsKeyID": {"Ref": "NoDefault"}}}}]}}), C, ""),
    (s3.REPLICATION_KMS_OBJECTS, bucket({**KMS_ENCRYPTION, "ReplicationConfiguration": {"Rules": [{
        "Id": "r", "Status": "Enabled", "Destination": {}}]}}), NC, "r names no ReplicaKmsKeyID"),
    (s3.REPLICATION_KMS_OBJECTS, bucket({**KMS_ENCRYPTION, "ReplicationConfiguration": {"Rules": [{
        "Status": "Disabled"}]}}), C, ""),
    (s3.REPLICATION_KMS_OBJECTS, bucket({**KMS_ENCRYPTION, "ReplicationConfiguration": {"Rules": [{
        "Status": {"Ref": "NoDefault"}}]}}), CJ, "Status is !Ref NoDefault"),
    (s3.REPLICATION_KMS_OBJECTS, bucket({"ReplicationConfiguration": {"Rules": []}}), NA, ""),
    # S3NoPhiInNamesOrTags
    (s3.NO_PHI_IN_NAMES_OR_TAGS, bucket({"BucketName": {"Fn::Sub": "x-${AWS::Region}-555-12-3456"}}), NC,
     "BucketName looks like PHI"),
    (s3.NO_PHI_IN_NAMES_OR_TAGS, bucket({"BucketName": {"Fn::Join": ["-", ["study", {"Ref": "Env"}]]}}), C, ""),
    # trails
    (audit.TRAIL_LOG_FILE_VALIDATION, one("AWS::CloudTrail::Trail", {"EnableLogFileValidation": "True"}), C, ""),
    (audit.TRAIL_LOG_FILE_VALIDATION, one("AWS::CloudTrail::Trail", {"EnableLogFileValidation": {
        "Fn::If": ["IsProd", True, False]}}), NC, "EnableLogFileValidation is false"),
    (audit.TRAIL_KMS_ENCRYPTED, one("AWS::CloudTrail::Trail", {"KMSKeyId": {"Fn::ImportValue": "K"}}), C, ""),
    (audit.TRAIL_KMS_ENCRYPTED, one("AWS::CloudTrail::Trail", {"KMSKeyId": {
        "Fn::If": ["Free", "k", {"Ref": "AWS::NoValue"}]}}), NC, "when condition Free is false: no KMSKeyId"),
    (audit.TRAIL_ALL_REGIONS, one("AWS::CloudTrail::Trail", {**TRAIL, "IsMultiRegionTrail": "true"}), C, ""),
    (audit.TRAIL_ALL_REGIONS, one("AWS::CloudTrail::Trail", {**TRAIL, "IncludeGlobalServiceEvents": "False"}), NC,
     "IncludeGlobalServiceEvents is false"),
    (audit.TRAIL_ALL_REGIONS, one("AWS::CloudTrail::Trail", {**TRAIL, "IsLogging": {"Ref": "NoDefault"}}), NC,
     "when NoDefault is false: IsLogging is not true"),
    (audit.TRAIL_ALL_REGIONS, one("AWS::CloudTrail::Trail", {**TRAIL, "AdvancedEventSelectors": [{
        "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]}), NC, "no event selector"),
    # CloudTrailPhiBucketDataEvents
    (audit.PHI_BUCKET_DATA_EVENTS, data_trail([{"Fn::Sub": "arn:${AWS::Partition}:s3:::${R}/"}]), C, ""),
    (audit.PHI_BUCKET_DATA_EVENTS, data_trail([{"Fn::Sub": "${R.Arn}/"}]), C, ""),
    (audit.PHI_BUCKET_DATA_EVENTS, data_trail([{"Fn::Sub": "arn:${AWS::Partition}:s3"}]), C, ""),
    (audit.PHI_BUCKET_DATA_EVENTS, data_trail([{"Fn::Sub": "${R.Arn}/genomes/"}]), NC, "read or write"),
    (audit.PHI_BUCKET_DATA_EVENTS, data_trail([{"Fn::Sub": "${R.Arn}/"}], ReadWriteType="WriteOnly"), NC,
     "records read data events"),
    (audit.PHI_BUCKET_DATA_EVENTS, data_trail([{"Fn::ImportValue": "Arn"}]), CJ, "!ImportValue Arn"),
    (audit.PHI_BUCKET_DATA_EVENTS, data_trail([{"Fn::If": ["Free", {"Fn::Sub": "${R.Arn}/"}, "arn:aws:s3:::x/"]}]),
     NC, "when condition Free is false"),
    (audit.PHI_BUCKET_DATA_EVENTS, bucket({}), NA, ""),
    # KMSKeyEventsAlerted
    (audit.KEY_EVENTS_ALERTED, key_rule(), C, ""),
    (audit.KEY_EVENTS_ALERTED, key_rule(State="DISABLED"), NC, "DisableKey"),
    (audit.KEY_EVENTS_ALERTED, key_rule(State={"Fn::If": ["Free", "ENABLED", "DISABLED"]}), NC,
     "when condition Free is false"),
    (audit.KEY_EVENTS_ALERTED, key_rule(State={"Ref": "NoDefault"}), CJ, "State is !Ref NoDefault"),
    (audit.KEY_EVENTS_ALERTED, key_rule(Targets=[]), NC, "no enabled, targeted"),
    # network
    (network.NO_OPEN_INGRESS, sg({"IpProtocol": "tcp", "CidrIp": {"Fn::Select": [1, {"Ref": "Cidrs"}]}}), NC,
     "from 0.0.0.0/0"),
    # The first CIDR of the default list is private; a deployment may pass another list.
    (network.NO_OPEN_INGRESS, sg({"IpProtocol": "tcp", "CidrIp": {"Fn::Select": [0, {"Ref": "Cidrs"}]}}), CJ,
     "when Cidrs is not 10.0.0.0/8,0.0.0.0/0: CidrIp is !Select [0, !Ref Cidrs]"),
    (network.NO_OPEN_INGRESS, sg({"IpProtocol": "tcp", "CidrIp": {"Ref": "Env"}}), NC,
     "which may be 0.0.0.0/0 (nothing in parameter Env's AllowedPattern or AllowedValues forbids it)"),
    (network.NO_OPEN_INGRESS, sg({"IpProtocol": "tcp", "CidrIp": "0.0.0.1/1"}), NC, "from 0.0.0.1/1 (2,092,957,696"),
    (network.NO_OPEN_INGRESS, sg({"IpProtocol": "tcp", "CidrIp": "52.95.0.0/16"}), C, ""),
    (network.NO_OPEN_INGRESS, sg({"IpProtocol": "tcp", "CidrIpv6": "0000:0000::/0"}), NC, "from 0000:0000::/0"),
    (network.NO_OPEN_INGRESS, sg({"IpProtocol": "tcp", "CidrIp": "0.0.0.0/0 "}), NC, "0.0.0.0/0"),
    (network.NO_OPEN_INGRESS, sg({"IpProtocol": "tcp", "CidrIp": {"Fn::GetAtt": ["Other", "CidrBlock"]}}), CJ,
     "!GetAtt Other.CidrBlock"),
    (network.NO_OPEN_INGRESS, sg({"Fn::If": ["Free", {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"},
                                             {"Ref": "AWS::NoValue"}]}), NC, "when condition Free is true"),
    (network.NO_OPEN_INGRESS, one("AWS::EC2::SecurityGroupIngress", {"IpProtocol": "-1", "CidrIp": {
        "Fn::Sub": ["${Prefix}.0.0/0", {"Prefix": {"Ref": "NoDefault"}}]}}), CJ, 'CidrIp is !Sub "${NoDefault}.0.0/0"'),
    (network.IMDSV2_REQUIRED, lt({"MetadataOptions": {"HttpTokens": {"Fn::If": ["IsProd", "required", "optional"]}}}),
     NC, "HttpTokens is optional"),
    (network.IMDSV2_REQUIRED, lt({"MetadataOptions": {"HttpEndpoint": "disabled"}}), C, ""),
    (network.IMDSV2_REQUIRED, lt({"MetadataOptions": {"HttpTokens": "Required"}}), NC, "HttpTokens is Required"),
    (network.IMDSV2_REQUIRED, one("AWS::AutoScaling::LaunchConfiguration", {"MetadataOptions": {
        "HttpTokens": "required"}}), C, ""),
    (network.IMDSV2_REQUIRED, one("AWS::EC2::Instance", {"LaunchTemplate": {"LaunchTemplateId": "lt-1"}}), NA, ""),
    (network.EBS_ENCRYPTED_WITH_CUSTOMER_KEY, ebs(Encrypted="True", KmsKeyId={"Fn::ImportValue": "Key"}), C, ""),
    (network.EBS_ENCRYPTED_WITH_CUSTOMER_KEY, ebs(Encrypted={"Ref": "NoDefault"}, KmsKeyId="k"), NC,
     "when NoDefault is false: volume /dev/xvda is not encrypted"),
    (network.EBS_ENCRYPTED_WITH_CUSTOMER_KEY, ebs(Encrypted=True, KmsKeyId="arn:aws:kms:us-east-1:1:alias/aws/ebs"),
     NC, "AWS-managed key"),
    (network.EBS_ENCRYPTED_WITH_CUSTOMER_KEY, one("AWS::AutoScaling::LaunchConfiguration", {"BlockDeviceMappings": [
        {"DeviceName": "/dev/sda1", "Ebs": {"Encrypted": "true"}}]}), CJ, "account's default EBS key"),
    (network.EBS_ENCRYPTED_WITH_CUSTOMER_KEY, one("AWS::AutoScaling::LaunchConfiguration", {"BlockDeviceMappings": [
        {"DeviceName": "/dev/sda1", "VirtualName": "ephemeral0"}]}), NC, "no block device mappings"),
    (network.EBS_ENCRYPTED_WITH_CUSTOMER_KEY, one("AWS::EC2::Volume", {"Encrypted": "false"}), NC, "not encrypted"),
    (network.ISOLATED_VPC_NO_INTERNET_PATH, isolated_vpc(route(GatewayId="local")), C, ""),
    (network.ISOLATED_VPC_NO_INTERNET_PATH, isolated_vpc(route(GatewayId="vgw-0123")), C, ""),
    (network.ISOLATED_VPC_NO_INTERNET_PATH, isolated_vpc(route(GatewayId="igw-0123")), NC, "GatewayId"),
    (network.ISOLATED_VPC_NO_INTERNET_PATH, isolated_vpc(route(GatewayId={"Fn::ImportValue": "Gw"})), CJ,
     "GatewayId is !ImportValue Gw"),
    (network.ISOLATED_VPC_NO_INTERNET_PATH, isolated_vpc(route(GatewayId={"Ref": "Elsewhere"})), CJ,
     "GatewayId is !Ref Elsewhere"),
    (network.ISOLATED_VPC_NO_INTERNET_PATH, isolated_vpc(route(CarrierGatewayId="cagw-1")), NC, "CarrierGatewayId"),
    (network.ISOLATED_VPC_NO_INTERNET_PATH, isolated_vpc({**route(GatewayId={"Ref": "Igw"}), "Igw": {
        "Type": "AWS::EC2::InternetGateway"}}), NC, "an internet gateway"),
    (network.VPC_FLOW_LOGS_ALL_TRAFFIC, {"R": {"Type": "AWS::EC2::VPC", "Properties": {}}, "F": {
        "Type": "AWS::EC2::FlowLog", "Properties": {"ResourceType": "VPC", "ResourceId": {"Ref": "R"},
                                                   "TrafficType": {"Ref": "NoDefault"}}}}, NC,
     "when NoDefault is ACCEPT: flow logs capture only ACCEPT traffic, not ALL"),
    (network.VPC_FLOW_LOGS_ALL_TRAFFIC, {"R": {"Type": "AWS::EC2::VPC", "Properties": {}}, "F": {
        "Type": "AWS::EC2::FlowLog", "Condition": "Free", "Properties": {
            "ResourceType": "VPC", "ResourceId": {"Ref": "R"}, "TrafficType": "ALL"}}}, NC,
     "when condition Free is false: no flow log"),
    (network.ENDPOINT_SECURITY_GROUPS_VPC_ONLY, endpoint([{"CidrIp": {"Fn::GetAtt": ["Vpc", "CidrBlock"]}}]), C, ""),
    (network.ENDPOINT_SECURITY_GROUPS_VPC_ONLY, endpoint([{"CidrIp": "10.0.0.0/8"}]), NC, "outside the VPC's"),
    (network.ENDPOINT_SECURITY_GROUPS_VPC_ONLY, endpoint([{"Description": "x"}]), NC, "names no source"),
    (network.ENDPOINT_SECURITY_GROUPS_VPC_ONLY, endpoint([{"CidrIp": {"Fn::If": [
        "Free", "10.0.1.0/24", "0.0.0.0/0"]}}]), NC, "when condition Free is false"),
    (network.ENDPOINT_SECURITY_GROUPS_VPC_ONLY, endpoint([], VpcEndpointType="Gateway"), NA, ""),
    # omics
    (omics.OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, omics_role(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::b/*"}}),
     C, ""),
    (omics.OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, omics_role(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::*"}}), NC,
     "on every resource"),
    (omics.OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, omics_role(
        {"Effect": "Allow", "Action": {"Fn::If": ["Free", "kms:*", "kms:Decrypt"]}, "Resource": "k"}), NC,
     "when condition Free is true"),
    (omics.OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, omics_role(
        {"Effect": "Allow", "Action": {"Ref": "NoDefault"}, "Resource": "k"}), CJ, "!Ref NoDefault"),
    (omics.OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, omics_role(
        {"Effect": "Allow", "Action": "logs:*", "Resource": "*"}), C, ""),
    (omics.OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, omics_role(
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), NC, "uses NotAction"),
    (omics.OMICS_STORE_CUSTOMER_MANAGED_KEY, one("AWS::Omics::VariantStore", {"SseConfig": {
        "Type": "KMS", "KeyArn": {"Fn::If": ["Free", "k", {"Ref": "AWS::NoValue"}]}}}), NC,
     "when condition Free is false"),
    (omics.OMICS_STORE_CUSTOMER_MANAGED_KEY, one("AWS::Omics::VariantStore", {"SseConfig": {
        "Fn::ImportValue": "Sse"}}), CJ, "SseConfig is !ImportValue Sse"),
    (omics.HEALTHLAKE_DATASTORE_CUSTOMER_MANAGED_KEY, one("AWS::HealthLake::FHIRDatastore", {"SseConfiguration": {
        "KmsEncryptionConfig": {"CmkType": "CUSTOMER_MANAGED_KMS_KEY", "KmsKeyId": {"Ref": "NoDefault"}}}}), C, ""),
    (omics.HEALTHLAKE_DATASTORE_CUSTOMER_MANAGED_KEY, one("AWS::HealthLake::FHIRDatastore", {"SseConfiguration": {
        "KmsEncryptionConfig": {"CmkType": "CUSTOMER_MANAGED_KMS_KEY"}}}), NC, "without KmsKeyId"),
    (omics.SEQUENCE_STORE_ACCESS_LOGGING, one("AWS::Omics::SequenceStore", {"AccessLogLocation": " s3:// "}), NC,
     "no AccessLogLocation"),
    (omics.SEQUENCE_STORE_ACCESS_LOGGING, one("AWS::Omics::SequenceStore", {"AccessLogLocation": {
        "Fn::Sub": "s3://logs-${AWS::AccountId}/"}}), C, ""),
    # KMSKeyPolicyPrincipalNotCreatedInTemplate
    (deploy.KEY_POLICY_PRINCIPAL_NOT_NEW, key_naming(ROOT, Condition={"ArnEquals": {
        "aws:PrincipalArn": "arn:aws:iam::111122223333:role/named"}}), C, ""),
    (deploy.KEY_POLICY_PRINCIPAL_NOT_NEW, key_naming(ROLE_ARN), NC,
     "statement 0 names Role, created in this template"),
    (deploy.KEY_POLICY_PRINCIPAL_NOT_NEW, key_naming("arn:aws:iam::111122223333:role/named"), NC, "names Role"),
    (deploy.KEY_POLICY_PRINCIPAL_NOT_NEW, key_naming({"Fn::If": ["Free", ROLE_ARN, ROOT]}), NC,
     "when condition Free is true: statement 0 names Role"),
    (deploy.KEY_POLICY_PRINCIPAL_NOT_NEW, key_naming({"Ref": "NoDefault"}), CJ, "AWS is !Ref NoDefault"),
    # ResourcePolicyPrincipalNotCreatedInTemplate
    (deploy.RESOURCE_POLICY_PRINCIPAL_NOT_NEW, resource_policy("AWS::SNS::TopicPolicy", ROOT), C, ""),
    (deploy.RESOURCE_POLICY_PRINCIPAL_NOT_NEW, resource_policy("AWS::SNS::TopicPolicy", ROLE_ARN), NC,
     "statement 0 names Role"),
    (deploy.RESOURCE_POLICY_PRINCIPAL_NOT_NEW, resource_policy("AWS::S3::BucketPolicy", {
        "Fn::If": ["Free", ROOT, ROLE_ARN]}), NC, "when condition Free is false: statement 0 names Role"),
    (deploy.RESOURCE_POLICY_PRINCIPAL_NOT_NEW, resource_policy("AWS::S3::BucketPolicy", ROOT, {
        "Fn::ImportValue": "Doc"}), CJ, "policy document is !ImportValue Doc"),
    # S3LifecycleRulesAccepted
    (deploy.LIFECYCLE_RULES_ACCEPTED, lifecycle(
        {"Id": "markers", "Status": "Enabled", "ExpiredObjectDeleteMarker": True,
         "NoncurrentVersionExpiration": {"NoncurrentDays": 30}},
        {"Id": "expire", "Status": "Enabled", "ExpirationInDays": 365}), C, ""),
    (deploy.LIFECYCLE_RULES_ACCEPTED, lifecycle({"Id": "r", "Status": "Enabled", "ExpiredObjectDeleteMarker": "false",
                                                 "ExpirationInDays": "30"}), NC,
     "r sets ExpiredObjectDeleteMarker with ExpirationInDays"),
    (deploy.LIFECYCLE_RULES_ACCEPTED, lifecycle({"Status": "Enabled", "ExpiredObjectDeleteMarker": True}), NC,
     "rule 0 sets only ExpiredObjectDeleteMarker"),
    (deploy.LIFECYCLE_RULES_ACCEPTED, lifecycle({"Id": "r", "Status": "Enabled", "ExpiredObjectDeleteMarker": True,
                                                 "NoncurrentVersionExpirationInDays": 30, "ExpirationInDays": {
                                                     "Fn::If": ["Free", 30, {"Ref": "AWS::NoValue"}]}}), NC,
     "when condition Free is true: r sets ExpiredObjectDeleteMarker with ExpirationInDays"),
    (deploy.LIFECYCLE_RULES_ACCEPTED, bucket({"LifecycleConfiguration": {"Rules": {"Ref": "NoDefault"}}}), CJ,
     "!Ref NoDefault"),
    (deploy.LIFECYCLE_RULES_ACCEPTED, bucket({}), NA, ""),
    # S3ReplicationRoleCanDecryptReplicaKey
    (deploy.REPLICA_KEY_ALLOWS_DECRYPT, replica(["kms:Encrypt", "kms:Decrypt"]), C, ""),
    (deploy.REPLICA_KEY_ALLOWS_DECRYPT, replica("kms:Encrypt"), NC,
     "Role may not kms:Decrypt with Key (replicas written here)"),
    (deploy.REPLICA_KEY_ALLOWS_DECRYPT, replica("kms:Encrypt", bucket_key="True"), NC, "may not kms:Decrypt"),
    (deploy.REPLICA_KEY_ALLOWS_DECRYPT, replica("kms:Encrypt", bucket_key=False), NA, ""),
    (deploy.REPLICA_KEY_ALLOWS_DECRYPT, replica({"Fn::If": ["Free", "kms:Decrypt", "kms:Encrypt"]}), NC,
     "when condition Free is false: Role may not kms:Decrypt with Key"),
    (deploy.REPLICA_KEY_ALLOWS_DECRYPT, replica("kms:Encrypt", bucket_key={"Ref": "NoDefault"}), NC,
     "when NoDefault is true: Role may not kms:Decrypt with Key"),
    # RetainedResourceFixedName
    (deploy.RETAINED_FIXED_NAME, retained("AWS::S3::Bucket", {"BucketName": {"Fn::Sub": "data-${AWS::StackId}"}}),
     C, ""),
    (deploy.RETAINED_FIXED_NAME, retained("AWS::DynamoDB::Table", {"TableName": "samples"}), NC,
     "TableName 'samples' is fixed and the resource is retained (Retain)"),
    (deploy.RETAINED_FIXED_NAME, retained("AWS::DynamoDB::Table", {"TableName": "samples"}, "Delete"), NA, ""),
    (deploy.RETAINED_FIXED_NAME, retained("AWS::ECR::Repository", {"RepositoryName": "pipelines"}, {
        "Fn::If": ["Free", "Retain", "Delete"]}), NC, "when condition Free is true: RepositoryName 'pipelines'"),
    (deploy.RETAINED_FIXED_NAME, retained("AWS::Kinesis::Stream", {"Name": {
        "Fn::If": ["Free", "events", {"Ref": "AWS::NoValue"}]}}), NC, "when condition Free is true: Name 'events'"),
    (deploy.RETAINED_FIXED_NAME, retained("AWS::SecretsManager::Secret", {"Name": {"Ref": "NoDefault"}}), NC,
     "!Ref NoDefault (built from parameters or pseudo parameters)"),
    # OmicsRunSubnetZoneSupported
    (deploy.OMICS_RUN_ZONE_IDS_SUPPORTED, run_configuration([{"Ref": "A"}], A={"AvailabilityZoneId": "use1-az1"}),
     C, ""),
    (deploy.OMICS_RUN_ZONE_IDS_SUPPORTED, run_configuration([{"Ref": "A"}], A={"AvailabilityZoneId": "use1-az3"}),
     NC, "A is in use1-az3"),
    (deploy.OMICS_RUN_ZONE_IDS_SUPPORTED, run_configuration([{"Ref": "A"}], A={"AvailabilityZoneId": {
        "Fn::If": ["Free", "use1-az1", "use1-az3"]}}), NC, "when condition Free is false: A is in use1-az3"),
    (deploy.OMICS_RUN_ZONE_IDS_SUPPORTED, run_configuration({"Fn::ImportValue": "Subnets"}), CJ,
     "!ImportValue Subnets"),
    # a zone id from a parameter, or of a region whose zones were not all read, is not judged (by design)
    (deploy.OMICS_RUN_ZONE_IDS_SUPPORTED, run_configuration([{"Ref": "A"}], A={"AvailabilityZoneId": {
        "Ref": "NoDefault"}}), NA, ""),
    # OmicsRunSubnetZonePinned
    (deploy.OMICS_RUN_ZONES_PINNED, run_configuration([{"Ref": "A"}], A={"AvailabilityZoneId": "use1-az1"}), C, ""),
    (deploy.OMICS_RUN_ZONES_PINNED, run_configuration([{"Ref": "A"}], A={"AvailabilityZone": "us-east-1a"}), NC,
     "A pick their zone by name"),
    (deploy.OMICS_RUN_ZONES_PINNED, run_configuration({"Fn::If": ["Free", [{"Ref": "A"}], [{"Ref": "B"}]]}, A={
        "AvailabilityZoneId": "use1-az1"}, B={"AvailabilityZone": "us-east-1a"}), NC,
     "when condition Free is false: B pick their zone by name"),
    (deploy.OMICS_RUN_ZONES_PINNED, run_configuration({"Fn::ImportValue": "Subnets"}), CJ, "!ImportValue Subnets"),
    # ConfigDeliveryBucketWithoutObjectLock
    (deploy.CONFIG_DELIVERY_BUCKET_UNLOCKED, delivery(False), C, ""),
    (deploy.CONFIG_DELIVERY_BUCKET_UNLOCKED, delivery(True), NC, "S3BucketName is B, which has object lock enabled"),
    (deploy.CONFIG_DELIVERY_BUCKET_UNLOCKED, delivery("True"), NC, "object lock enabled"),
    (deploy.CONFIG_DELIVERY_BUCKET_UNLOCKED, delivery({"Fn::If": ["Free", True, False]}), NC,
     "when condition Free is true: S3BucketName is B"),
    (deploy.CONFIG_DELIVERY_BUCKET_UNLOCKED, delivery({"Ref": "NoDefault"}), NC,
     "when NoDefault is true: S3BucketName is B, which has object lock enabled"),
    (deploy.CONFIG_DELIVERY_BUCKET_UNLOCKED, one("AWS::Config::DeliveryChannel", {
        "S3BucketName": {"Fn::ImportValue": "ConfigBucket"}}), NA, ""),
    # IAMPeopleRoleMfaAndExpiry
    (access.PEOPLE_ROLE_MFA_AND_EXPIRY, people_role({**EXPIRY, "Bool": {"aws:MultiFactorAuthPresent": "true"}}),
     C, ""),
    (access.PEOPLE_ROLE_MFA_AND_EXPIRY, people_role(EXPIRY), NC, "trust statement 0 requires neither federation"),
    (access.PEOPLE_ROLE_MFA_AND_EXPIRY, people_role({"Bool": {"aws:MultiFactorAuthPresent": True}}), NC,
     "has no end date"),
    (access.PEOPLE_ROLE_MFA_AND_EXPIRY, people_role({**EXPIRY, "Bool": {"aws:MultiFactorAuthPresent": {
        "Fn::If": ["Free", "true", "false"]}}}), NC, "when condition Free is false: trust statement 0 requires"),
    (access.PEOPLE_ROLE_MFA_AND_EXPIRY, people_role({**EXPIRY, "Bool": {"aws:MultiFactorAuthPresent": {
        "Ref": "NoDefault"}}}), CJ, "!Ref NoDefault"),
    # IAMNoUsersOrAccessKeysWithPhi (never compliant: not applicable without PHI in the template)
    (access.NO_LONG_LIVED_CREDENTIALS, credential("AWS::IAM::User", None), NA, ""),
    (access.NO_LONG_LIVED_CREDENTIALS, credential("AWS::IAM::User", PHI_BUCKET), NC,
     "an IAM user in a template that holds PHI"),
    (access.NO_LONG_LIVED_CREDENTIALS, credential("AWS::IAM::AccessKey", {
        "Type": "AWS::Omics::SequenceStore", "Properties": {"Name": "s"}}), NC, "an IAM access key"),
    (access.NO_LONG_LIVED_CREDENTIALS, credential("AWS::IAM::User", {**PHI_BUCKET, "Condition": "Free"}), NC,
     "when condition Free is true: an IAM user"),
    (access.NO_LONG_LIVED_CREDENTIALS, credential("AWS::IAM::User", {"Type": "AWS::S3::Bucket", "Properties": {
        "Tags": [{"Key": "omics-secure:data-classification", "Value": {"Fn::If": ["IsProd", "phi", "public"]}}]}}),
     NC, "when Env is not dev and condition IsProd is true: an IAM user"),
    # S3PhiAccessPointPolicyPrivate
    (access.PHI_ACCESS_POINT_PRIVATE, access_point(Policy=AP_POLICY, PublicAccessBlockConfiguration=BLOCK_ALL), C, ""),
    (access.PHI_ACCESS_POINT_PRIVATE, access_point(Policy=AP_POLICY, VpcConfiguration={"VpcId": {
        "Ref": "NoDefault"}}), C, ""),
    (access.PHI_ACCESS_POINT_PRIVATE, access_point(PublicAccessBlockConfiguration=BLOCK_ALL), NC,
     "no access-point policy: access to PHI bucket Data"),
    (access.PHI_ACCESS_POINT_PRIVATE, access_point(Policy=AP_POLICY, PublicAccessBlockConfiguration={
        **BLOCK_ALL, "BlockPublicPolicy": {"Fn::If": ["Free", True, False]}}), NC,
     "when condition Free is false: internet network origin"),
    (access.PHI_ACCESS_POINT_PRIVATE, access_point(Policy=AP_POLICY, VpcConfiguration={
        "Fn::If": ["Free", {"VpcId": "vpc-1"}, {"Ref": "AWS::NoValue"}]}), NC,
     "when condition Free is false: internet network origin"),
    (access.PHI_ACCESS_POINT_PRIVATE, access_point(Policy={"Fn::ImportValue": "P"},
                                                   PublicAccessBlockConfiguration=BLOCK_ALL), CJ,
     "policy document is !ImportValue P"),
    (access.PHI_ACCESS_POINT_PRIVATE, one("AWS::S3::AccessPoint", {"Bucket": {"Fn::ImportValue": "B"}}), NA, ""),
    # AWS Backup vaults: a key ARN from a parameter without a default could be alias/aws/backup; a lock
    # only on one branch; ChangeableForDays from a Number parameter (a string, as CloudFormation passes it).
    (backup.BACKUP_VAULT_CMK_LOCKED, one("AWS::Backup::BackupVault", {
        "EncryptionKeyArn": {"Ref": "NoDefault"}, "LockConfiguration": VAULT_LOCK}), CJ, "known only at deploy time"),
    (backup.BACKUP_VAULT_CMK_LOCKED, one("AWS::Backup::BackupVault", {
        "EncryptionKeyArn": VAULT_KEY, "LockConfiguration": {"Fn::If": ["IsProd", VAULT_LOCK,
                                                                        {"Ref": "AWS::NoValue"}]}}), NC,
     "no LockConfiguration"),
    (backup.BACKUP_VAULT_CMK_LOCKED, one("AWS::Backup::BackupVault", {
        "EncryptionKeyArn": VAULT_KEY, "LockConfiguration": {**VAULT_LOCK, "ChangeableForDays": {"Ref": "Days"}}}),
     CJ, "when Days is not 30: ChangeableForDays is !Ref Days"),
    (backup.BACKUP_VAULT_CMK_LOCKED, one("AWS::Backup::BackupVault", {
        "EncryptionKeyArn": VAULT_KEY, "LockConfiguration": {"MinRetentionDays": {"Ref": "Days"}}}), NC,
     "governance mode"),
    # OrganizationRegionLock and OrganizationControlsProtected
    (ORG_LOCK, scp(LOCK_STATEMENT), C, ""),
    (ORG_LOCK, scp({**LOCK_STATEMENT, "Effect": {"Fn::If": ["Free", "Deny", "Allow"]}}), NC,
     "when condition Free is false: no service control policy denies requests outside the approved regions"),
    (ORG_LOCK, scp(LOCK_STATEMENT, targets=[{"Ref": "NoDefault"}]), CJ, "TargetIds"),
    (ORG_LOCK, one("AWS::Organizations::Policy", {
        "Type": "SERVICE_CONTROL_POLICY", "TargetIds": ["r-ab12"], "Content": {"Fn::ImportValue": "Policy"}}), CJ,
     "!ImportValue Policy"),
    (ORG_LOCK, scp(LOCK_STATEMENT, targets=["ou-ab12-cd34ef56", {"Ref": "AWS::NoValue"}]), C, ""),
    (ORG_PROTECT, scp(PROTECT_STATEMENT), C, ""),
    (ORG_PROTECT, scp({**PROTECT_STATEMENT, "Action": {"Fn::If": ["Free", PROTECT_STATEMENT["Action"],
                                                                   ["kms:DisableKey"]]}}), NC,
     "when condition Free is false: cloudtrail:StopLogging (the trail) is denied by no service control policy"),
    (ORG_PROTECT, scp({**PROTECT_STATEMENT, "Condition": {"ArnNotLike": {
        "aws:PrincipalArn": {"Ref": "NoDefault"}}}}), CJ, "aws:PrincipalArn"),
    # IAMTrustMfaFederatedNeverPresent and IAMTrustMfaFromRoleSessions: an MFA condition on one branch only; a
    # provider ARN from Fn::Sub; an MFA condition whose value is only known at deploy time.
    (environment.TRUST_MFA_FEDERATED, mfa_trust({"Federated": SAML_SUB}, {"Fn::If": ["Free", MFA_TRUE, {}]}), NC,
     "when condition Free is true: trust statement 0 requires MFA of the federated principal !Sub"),
    (environment.TRUST_MFA_FEDERATED, mfa_trust({"Federated": SAML_SUB}, {"Fn::ImportValue": "Conditions"}), CJ,
     "!ImportValue Conditions"),
    (environment.TRUST_MFA_FEDERATED, mfa_trust({"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:"
                                                                    "role/aws-reserved/sso.amazonaws.com/${Env}/"
                                                                    "AWSReservedSSO_R_1"}}, MFA_TRUE), NC,
     "IAM Identity Center's roles (!Sub"),
    (environment.TRUST_MFA_ROLE_SESSIONS, mfa_trust({"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:"
                                                                        "role/analysts"}}, MFA_TRUE), NC,
     "sessions of !Sub"),
    (environment.TRUST_MFA_ROLE_SESSIONS, mfa_trust({"AWS": {"Ref": "NoDefault"}}, MFA_TRUE), CJ,
     "AWS is !Ref NoDefault"),
    # OrganizationAllowlistCoversServices: the allowlist's actions from an Fn::If; targets from a parameter.
    (environment.ALLOWLIST_COVERS_SERVICES, scp({"Effect": "Allow", "Resource": "*", "Action": {
        "Fn::If": ["Free", ["ssm:*", "ssmmessages:*", "ec2messages:*"], ["ssm:*"]]}}), NC,
     "when condition Free is false: on ou-ab12-cd34ef56, Session Manager"),
    (environment.ALLOWLIST_COVERS_SERVICES, scp({"Effect": "Allow", "Resource": "*", "Action": ["ssm:*"]},
                                                targets=[{"Ref": "NoDefault"}]), CJ, "TargetIds"),
    # OrganizationPolicyTypeEnabled: the type from a parameter; an enabler under a condition.
    (environment.POLICY_TYPE_ENABLED, one("AWS::Organizations::Policy", {"Type": {"Ref": "NoDefault"}}), CJ,
     "!Ref NoDefault"),
    (environment.POLICY_TYPE_ENABLED, {"R": {**scp(LOCK_STATEMENT)["R"], "DependsOn": "Types"}, "Types": {
        "Type": "Custom::OrganizationsPolicyTypes", "Condition": "Free",
        "Properties": {"PolicyTypes": ["SERVICE_CONTROL_POLICY"]}}}, NC, "when condition Free is false"),
    # BackupCopyRoleCanCopy: the destination from a parameter without a default; CopyActions on one branch.
    (environment.BACKUP_COPY_ROLE_CAN_COPY, copy_plan({"Ref": "NoDefault"}, [
        {"Effect": "Allow", "Action": "backup:CopyIntoBackupVault", "Resource": {"Ref": "NoDefault"}}]), CJ,
     "!Ref NoDefault"),
    (environment.BACKUP_COPY_ROLE_CAN_COPY, copy_plan({"Ref": "NoDefault"}, [
        {"Effect": "Allow", "Action": "backup:CopyIntoBackupVault", "Resource": "arn:aws:backup:*:*:backup-vault:*"}]),
     C, ""),
    (environment.BACKUP_COPY_ROLE_CAN_COPY, copy_plan(
        {"Fn::Sub": "arn:${AWS::Partition}:backup:us-west-2:${AWS::AccountId}:backup-vault:dr"},
        [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]), NC,
     "BackupRole may not backup:CopyIntoBackupVault into !Sub"),
]


@pytest.mark.parametrize(("rule", "resources", "status", "detail"), CASES,
                         ids=[f"{case[0].id}-{index}" for index, case in enumerate(CASES)])
def test_rule_on_template_shapes(rule, resources, status, detail):
    verdict = judge_in(rule, resources)
    assert verdict.status is status, verdict.detail
    assert detail in verdict.detail
    assert "{'" not in verdict.detail and "None" not in verdict.detail


def test_a_nested_stack_is_judged_only_when_its_template_was_read():
    from dataclasses import replace as with_fields
    from pathlib import Path

    from omics_secure.compliance.rules.stacks import NESTED_STACK_JUDGED
    from omics_secure.inputs.assembly import StackArtifact

    resources = one("AWS::CloudFormation::Stack", {"TemplateURL": "https://s3.amazonaws.com/b/nested.json"})
    parent = StackArtifact("Parent", Path("parent.json"), {"Resources": resources}, {})
    resource = Resource.from_template("R", resources["R"], resources, stack=parent)
    assert NESTED_STACK_JUDGED.evaluate(resource).status is C
    unread = with_fields(parent, unread_nested={"R": "its TemplateURL is not a local file"})
    verdict = NESTED_STACK_JUDGED.evaluate(Resource.from_template("R", resources["R"], resources, stack=unread))
    assert verdict.status is CJ and "its TemplateURL is not a local file" in verdict.detail
    alone = NESTED_STACK_JUDGED.evaluate(Resource.from_template("R", resources["R"], resources))
    assert (alone.status, alone.detail) == (CJ, "the check was given this resource without its stack, so its nested "
                                                "template was not read")


def test_every_rule_has_intrinsic_cases():
    """Here, or in the image rules' own table (tests/compliance/test_rules_images.py), which adds parameter
    overrides to each case."""
    from omics_secure.compliance.packs import OMICS_SECURE_PACK
    from tests.compliance.test_rules_airlock import INTRINSIC_CASES as AIRLOCK_CASES
    from tests.compliance.test_rules_images import CASES as IMAGE_CASES

    with_intrinsics = {rule.id for rule, template, *_ in [*IMAGE_CASES, *AIRLOCK_CASES]
                       if any(mark in json.dumps(template) for mark in ('"Ref"', '"Fn::'))}
    # NestedStackJudged reads the stack, not a property: its cases are in the test above.
    assert {case[0].id for case in CASES} | with_intrinsics | {"NestedStackJudged"} == {
        rule.id for rule in OMICS_SECURE_PACK.rules}


def test_a_resource_is_judged_wherever_a_parameter_value_creates_it():
    # Env defaults to dev, where IsProd is false; any other value may be prod, so the key may exist.
    resources = {"R": {"Type": "AWS::KMS::Key", "Condition": "IsProd", "Properties": {}}}
    verdict = judge_in(kms.KEY_ROTATION_ENABLED, resources)
    assert verdict.status is NC and verdict.detail.startswith("when Env is not dev and condition IsProd is true:")
    assert judge_in(kms.KEY_ROTATION_ENABLED, resources, parameters={"Env": "dev"}).status is NA
    assert judge_in(kms.KEY_ROTATION_ENABLED, resources, parameters={"Env": "prod"}).status is NC


def test_conditions_combine_with_and_or_not():
    def rotation(condition: str, parameters: dict[str, str] | None = None) -> Status:
        return judge_in(kms.KEY_ROTATION_ENABLED, key({"EnableKeyRotation": {"Fn::If": [condition, True, False]}}),
                        parameters=parameters).status
    # Env defaults to dev; another value may be prod, so every condition on Env is judged both ways.
    assert rotation("NotProd", {"Env": "dev"}) is C and rotation("NotProd", {"Env": "prod"}) is NC
    assert rotation("NotProd") is NC
    assert rotation("Both", {"Env": "dev"}) is C and rotation("Both", {"Env": "prod"}) is NC
    assert rotation("Either", {"Env": "prod"}) is C and rotation("Either", {"Env": "dev"}) is NC  # Free decides
