"""The airlock's functions, requests table and Step Functions workflow (built by the ``Airlock`` construct)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from omics_secure._internal.acknowledgments import acknowledge
from omics_secure._internal.tags import AIRLOCK_FUNCTION_TAG, AIRLOCK_ROLE_TAG, AIRLOCK_WORKFLOW
from omics_secure.keys import KeyService, PhiKey
from omics_secure.network import IsolatedVpc, encrypted_log_group

RUNTIME_DIRECTORY = Path(__file__).parent / "runtime"
RUNTIME = lambda_.Runtime.PYTHON_3_14
HANDLER_MODULE = "airlock_lambda"
# The actions of AWS's AWSLambdaVPCAccessExecutionRole: Lambda creates the function's network interfaces with the
# execution role (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions).
VPC_NETWORK_INTERFACE_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
                                 "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
                                 "ec2:UnassignPrivateIpAddresses")
# "IAM policies for logging to CloudWatch Logs": these log-delivery actions have no resource-level permissions.
# https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy
STATE_MACHINE_LOG_DELIVERY_ACTIONS = ("logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                                      "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                                      "logs:DescribeResourcePolicies", "logs:DescribeLogGroups")
# https://docs.aws.amazon.com/step-functions/latest/dg/xray-iam.html
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                "xray:GetSamplingTargets")
TABLE_READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:DescribeTable")
TABLE_WRITE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
SCAN_WAIT = cdk.Duration.seconds(60)


def key_statement(key: kms.IKey, service: KeyService, actions: Sequence[str]) -> iam.PolicyStatement:
    """Use of ``key`` through ``service`` only (kms:ViaService); a PhiKey gets the service's key-policy statements."""
    stack = cdk.Stack.of(key)
    if isinstance(key, PhiKey):
        key.enable_services(service)
    endpoint = {KeyService.S3: "s3", KeyService.DYNAMODB: "dynamodb", KeyService.SQS: "sqs"}[service]
    return iam.PolicyStatement(actions=list(dict.fromkeys(actions)), resources=[key.key_arn],
                               conditions={"StringEquals": {
                                   "kms:ViaService": f"{endpoint}.{stack.region}.amazonaws.com",
                                   "kms:CallerAccount": stack.account}})


def requests_table(scope: Construct, key: kms.IKey) -> dynamodb.Table:
    """The record of every request: retained, deletion-protected, continuous backups (35 days of point-in-time
    recovery), encrypted with the customer-managed key
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html)."""
    if isinstance(key, PhiKey):
        key.enable_services(KeyService.DYNAMODB)
    table = dynamodb.Table(
        scope, "Requests",
        partition_key=dynamodb.Attribute(name="request_id", type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=key,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True, recovery_period_in_days=35),
        deletion_protection=True,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    for pack in ("HIPAA.Security", "NIST.800.53.R5"):
        acknowledge(table, f"{pack}-DynamoDBInBackupPlan",
                    "The requests table keeps continuous backups with 35 days of point-in-time recovery, deletion "
                    "protection and is retained on stack deletion; every step it records is also published to "
                    "EventBridge and its API calls to CloudTrail, so AWS Backup would add a third copy of the record.")
    return table


class Functions(Construct):
    """The airlock's Lambda functions: one role, policy and log group each, in the isolated VPC.

    ``AWS::Lambda::Function`` (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html):
    ``VpcConfig`` in the isolated subnets, ``ReservedConcurrentExecutions`` (HIPAA/NIST LambdaConcurrency),
    ``DeadLetterConfig`` to a KMS-encrypted queue (LambdaDLQ), environment variables encrypted with the key
    (``KmsKeyArn``), a log group of its own (``LoggingConfig``), retained and encrypted.
    """

    def __init__(self, scope: Construct, id: str, *, network: IsolatedVpc, key: kms.IKey,
                 log_retention_days: int, reserved_concurrency: int) -> None:
        super().__init__(scope, id)
        stack = cdk.Stack.of(self)
        self.key = key
        self.network = network
        self.log_retention_days = log_retention_days
        self.reserved_concurrency = reserved_concurrency
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=network.vpc, allow_all_outbound=False,
            description="Airlock functions: HTTPS to the VPC endpoints only")
        network.allow_https_egress(self.security_group)
        if isinstance(key, PhiKey):
            key.enable_services(KeyService.SQS, KeyService.CLOUDWATCH_LOGS)
        self.dead_letters = sqs.Queue(
            self, "DeadLetters", encryption=sqs.QueueEncryption.KMS, encryption_master_key=key, enforce_ssl=True,
            retention_period=cdk.Duration.days(14))
        self.code = lambda_.Code.from_asset(str(RUNTIME_DIRECTORY), exclude=["__pycache__", "*.pyc", "__init__.py"])
        self.functions: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        self.policies: dict[str, iam.ManagedPolicy] = {}
        self.log_groups: list[logs.LogGroup] = []
        self._region = stack.region

    def add(self, name: str, handler: str, description: str, statements: Sequence[iam.PolicyStatement],
            environment: Mapping[str, str], timeout: cdk.Duration, function_name: str | None = None
            ) -> lambda_.Function:
        scope = Construct(self, name)
        log_group = encrypted_log_group(scope, "LogGroup", self.key, self.log_retention_days)
        role = iam.Role(scope, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"omics-secure airlock: {description}")
        cdk.Tags.of(role).add(AIRLOCK_ROLE_TAG, AIRLOCK_WORKFLOW)
        policy = iam.ManagedPolicy(
            scope, "Policy", roles=[role], description=f"omics-secure airlock: {description}",
            statements=[
                iam.PolicyStatement(sid="WriteOwnLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                    resources=[log_group.log_group_arn]),
                iam.PolicyStatement(sid="VpcNetworkInterfaces", actions=list(VPC_NETWORK_INTERFACE_ACTIONS),
                                    resources=["*"]),
                iam.PolicyStatement(sid="DeadLetters", actions=["sqs:SendMessage"],
                                    resources=[self.dead_letters.queue_arn]),
                key_statement(self.key, KeyService.SQS, ("kms:GenerateDataKey", "kms:Decrypt")),
                *statements,
            ])
        acknowledge(policy, "AwsSolutions-IAM5[Resource::*]",
                    "Lambda creates a VPC function's network interfaces with its execution role; the EC2 network "
                    "interface actions of AWS's AWSLambdaVPCAccessExecutionRole policy support no resource-level "
                    "permissions for Describe calls, and the interfaces' ids are not known before they exist.")
        function = lambda_.Function(
            scope, "Resource",
            runtime=RUNTIME, handler=f"{HANDLER_MODULE}.{handler}", code=self.code, description=description,
            function_name=function_name,
            role=role.without_policy_updates(), timeout=timeout, memory_size=256,
            vpc=self.network.vpc, vpc_subnets=self.network.subnets, security_groups=[self.security_group],
            log_group=log_group, dead_letter_queue=self.dead_letters,
            reserved_concurrent_executions=self.reserved_concurrency, environment=dict(environment),
            environment_encryption=self.key,
        )
        function.node.add_dependency(policy)
        cdk.Tags.of(function).add(AIRLOCK_FUNCTION_TAG, handler)
        self.functions[handler], self.roles[handler], self.policies[handler] = function, role, policy
        self.log_groups.append(log_group)
        return function


class Workflow(Construct):
    """The Step Functions state machine of one request: scanned, reviewed, released or quarantined.

    ``AWS::StepFunctions::StateMachine``, STANDARD (the callback pattern needs it), logging ALL events and tracing
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html).
    A review waits on a task token that the decide function returns with SendTaskSuccess ("Wait for a Callback with
    Task Token": https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token),
    under a ``TimeoutSeconds`` after which the request is quarantined.
    """

    def __init__(self, scope: Construct, id: str, *, key: kms.IKey, steps: lambda_.IFunction,
                 release: lambda_.IFunction, quarantine: lambda_.IFunction, scan_timeout: cdk.Duration,
                 review_timeout: cdk.Duration, changes_timeout: cdk.Duration, log_retention_days: int) -> None:
        super().__init__(scope, id)
        stack = cdk.Stack.of(self)
        self.log_group = encrypted_log_group(self, "LogGroup", key, log_retention_days)
        self.role = iam.Role(self, "Role", description="omics-secure airlock: the request workflow",
                             assumed_by=iam.ServicePrincipal("states.amazonaws.com", conditions={
                                 "StringEquals": {"aws:SourceAccount": stack.account}}))
        cdk.Tags.of(self.role).add(AIRLOCK_ROLE_TAG, AIRLOCK_WORKFLOW)
        self.policy = iam.ManagedPolicy(
            self, "Policy", roles=[self.role], description="omics-secure airlock: the request workflow",
            statements=[
                iam.PolicyStatement(sid="InvokeWorkflowFunctions", actions=["lambda:InvokeFunction"],
                                    resources=[steps.function_arn, release.function_arn, quarantine.function_arn]),
                iam.PolicyStatement(sid="DeliverLogs", actions=list(STATE_MACHINE_LOG_DELIVERY_ACTIONS),
                                    resources=["*"]),
                iam.PolicyStatement(sid="Tracing", actions=list(XRAY_ACTIONS), resources=["*"]),
            ])
        acknowledge(self.policy, "AwsSolutions-IAM5[Resource::*]",
                    "Step Functions' log delivery to CloudWatch Logs and X-Ray tracing use actions that support no "
                    "resource-level permissions; the Step Functions developer guide's policies name '*' for them.")
        self.scan_checks = max(1, int(scan_timeout.to_seconds() // SCAN_WAIT.to_seconds()))
        definition = self._definition(steps, release, quarantine, review_timeout, changes_timeout)
        self.state_machine = sfn.StateMachine(
            self, "Resource",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            state_machine_type=sfn.StateMachineType.STANDARD,
            role=self.role.without_policy_updates(),
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            tracing_enabled=True,
            comment="omics-secure airlock: scan, review by a different person, release or quarantine",
        )
        self.state_machine.node.add_dependency(self.policy)

    def _invoke(self, name: str, function: lambda_.IFunction, payload: Mapping[str, Any], *,
                result_path: str | None = "$", wait: cdk.Duration | None = None) -> tasks.LambdaInvoke:
        if wait is None:
            return tasks.LambdaInvoke(self, name, lambda_function=function, payload_response_only=True,
                                      payload=sfn.TaskInput.from_object(dict(payload)), result_path=result_path)
        # A callback task: its output is what SendTaskSuccess sends.
        return tasks.LambdaInvoke(self, name, lambda_function=function, result_path=result_path,
                                  payload=sfn.TaskInput.from_object(dict(payload)),
                                  integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
                                  task_timeout=sfn.Timeout.duration(wait))

    def _definition(self, steps: lambda_.IFunction, release: lambda_.IFunction, quarantine: lambda_.IFunction,
                    review_timeout: cdk.Duration, changes_timeout: cdk.Duration) -> sfn.IChainable:
        request_id = sfn.JsonPath.string_at("$.request_id")
        failed = sfn.Fail(self, "Failed", error="AirlockRequestFailed",
                          cause="A step failed; the request is marked FAILED in the requests table")
        mark_failed = self._invoke("Mark failed", steps, {"step": "fail", "request_id": request_id,
                                                          "error": sfn.JsonPath.object_at("$.error")},
                                   result_path=sfn.JsonPath.DISCARD).next(failed)

        def guarded(task: tasks.LambdaInvoke) -> tasks.LambdaInvoke:
            task.add_catch(mark_failed, errors=["States.ALL"], result_path="$.error")
            return task

        def quarantined(reason: str, title: str) -> sfn.IChainable:
            return guarded(self._invoke(title, quarantine, {"request_id": request_id, "reason": reason},
                                        result_path=sfn.JsonPath.DISCARD)).next(
                sfn.Succeed(self, f"{title}: done", comment=f"Quarantined ({reason}): never copied"))

        check = guarded(self._invoke("Check malware scan", steps, {
            "step": "check_scan", "request_id": request_id, "attempt": sfn.JsonPath.number_at("$.attempt")}))
        wait = sfn.Wait(self, "Wait for the scan", time=sfn.WaitTime.duration(SCAN_WAIT))
        # A catcher for States.Timeout must come before the States.ALL one, which Step Functions requires last.
        await_review = self._invoke("Await review", steps, {
            "step": "await_review", "request_id": request_id, "task_token": sfn.JsonPath.task_token},
            result_path="$.review", wait=review_timeout)
        await_review.add_catch(quarantined("review_timeout", "Quarantine: not reviewed in time"),
                               errors=["States.Timeout"], result_path="$.error")
        guarded(await_review)
        await_changes = self._invoke("Await changes", steps, {
            "step": "await_changes", "request_id": request_id, "task_token": sfn.JsonPath.task_token},
            result_path=sfn.JsonPath.DISCARD, wait=changes_timeout)
        await_changes.add_catch(quarantined("review_timeout", "Quarantine: changes not made in time"),
                                errors=["States.Timeout"], result_path="$.error")
        guarded(await_changes)
        rescan = sfn.Pass(self, "Scan the changed files", parameters={"request_id": request_id, "attempt": 0})
        release_files = guarded(self._invoke("Release approved files", release, {"request_id": request_id},
                                             result_path="$.release"))
        quarantine_rest = guarded(self._invoke("Quarantine rejected files", quarantine, {
            "request_id": request_id, "reason": "rejected_files"}, result_path=sfn.JsonPath.DISCARD))
        released = sfn.Succeed(self, "Released")
        outcome = sfn.Choice(self, "Review outcome")
        outcome.when(sfn.Condition.string_equals("$.review.outcome", "APPROVED"),
                     release_files.next(quarantine_rest).next(released))
        outcome.when(sfn.Condition.string_equals("$.review.outcome", "REJECTED"),
                     quarantined("rejected", "Quarantine: rejected"))
        outcome.when(sfn.Condition.string_equals("$.review.outcome", "CHANGES_REQUESTED"),
                     await_changes.next(rescan).next(check))
        outcome.otherwise(sfn.Pass(self, "Unknown outcome", parameters={
            "request_id": request_id, "error": {"Error": "UnknownOutcome", "Cause": "not APPROVED, REJECTED or "
                                                                                    "CHANGES_REQUESTED"}}
        ).next(mark_failed))
        scan = sfn.Choice(self, "Scan result")
        scan.when(sfn.Condition.string_equals("$.scan", "CLEAN"), await_review.next(outcome))
        scan.when(sfn.Condition.string_equals("$.scan", "INFECTED"), quarantined("infected", "Quarantine: infected"))
        scan.when(sfn.Condition.string_equals("$.scan", "FAILED"),
                  quarantined("scan_failed", "Quarantine: not scanned"))
        scan.when(sfn.Condition.number_greater_than_equals("$.attempt", self.scan_checks),
                  quarantined("scan_timeout", "Quarantine: scan timed out"))
        scan.otherwise(wait.next(check))
        return check.next(scan)
