"""Many projects, many accounts: the organization example's projects file, environments, guardrails and roll-out.

``build_organization_app`` reads a projects file (JSON, see ``examples/organization/projects.json``) and builds:

- ``OrganizationGuardrails`` (stack ``Guardrails``, the management account, us-east-1): the region lock,
  controls protection, HIPAA-eligible services allowlist and data classification tag policy, attached to
  every project's OU (or account when it names none);
- ``OmicsSecurePipeline`` (the tooling account): a self-mutating CDK Pipelines ``CodePipeline`` with one
  wave per ``wave`` number of the file; ``omics-secure check`` runs before every wave and fails it on any
  unacknowledged finding, and ``omics-secure verify`` runs against each project's stacks after they deploy;
- one ``ProjectStage`` per project: the reference environment (``ReferenceReplicaStack`` and
  ``ReferencePrimaryStack``) in the project's account and regions, with its approvals and collaborators, and
  a ``VerifyAuditorRole`` the pipeline's verify step assumes.

Why CDK Pipelines for the projects and not StackSets: each project's environment differs (account, regions,
approvals, collaborators, DUC end date), needs CDK assets (the workflow definition) and two regions in order
(replica first); CDK Pipelines deploys exactly the synthesized stacks, in waves, with a gate before and a
check after each, from one source. The guardrails are organization-wide but a single set of
``AWS::Organizations::Policy`` resources in the management account: CloudFormation deploys them directly, so
StackSets would add a deployment layer without adding a target.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import pipelines
from constructs import Construct

from omics_secure._internal.acknowledgments import acknowledge
from omics_secure._internal.environment import is_account_id, is_region_name, partition_of
from omics_secure._internal.errors import OmicsSecureConfigError, Problem
from omics_secure._internal.tags import PROJECT_DUC_ENDS_TAG, PROJECT_ID_TAG
from omics_secure.compliance.nag import add_compliance_packs
from omics_secure.organization import OrganizationGuardrails
from omics_secure.stacks.reference import (
    SAML_PROVIDER_ARN,
    AirlockConfig,
    ApprovalConfig,
    CollaboratorConfig,
    ReferenceConfig,
    ReferencePrimaryStack,
    ReferenceReplicaStack,
)
from omics_secure.verify import VerifyAuditorRole

PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
VERIFY_ROLE_NAME = "omics-secure-verify"
# A wave deploys as one CodePipeline stage, which holds at most 50 actions
# (https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html); each project takes five (two stacks
# prepared and executed, one verify) and the wave its check, so a larger wave is split into several.
PROJECTS_PER_PIPELINE_STAGE = 9
CLOSE_OUT_WARNING_ID = "omics-secure:project-close-out"
CLOSE_OUT_STEPS = (
    "delete the controlled-access data (the PHI data bucket's current versions expire on the DUC end date; "
    "delete the HealthOmics and HealthLake stores' data), keep only encrypted copies of the minimum data the "
    "institution's policy requires, revoke the approvals (remove them from the projects file and deploy), "
    "and record the close-out with the Data Access Committee"
)


class ProjectsFileError(OmicsSecureConfigError):
    """A projects file that cannot be used: every problem with its place in the file, the value and the fix."""


@dataclass(frozen=True)
class Project:
    """One controlled-access project: its account, regions, DUC end date, approvals and roll-out wave."""

    project_id: str
    account: str
    primary_region: str
    replica_region: str
    duc_ends: datetime.date
    approvals: tuple[ApprovalConfig, ...]
    organizational_unit: str | None = None
    wave: int = 1
    airlock: AirlockConfig = field(default_factory=AirlockConfig)

    @property
    def target_id(self) -> str:
        """What the guardrails attach to: the project's OU when it names one, else its account."""
        return self.organizational_unit or self.account

    def closed(self, today: datetime.date) -> bool:
        return self.duc_ends <= today


@dataclass(frozen=True)
class PipelineConfig:
    tooling_account: str
    region: str
    repository: str
    branch: str
    connection_arn: str
    app_directory: str = "."


@dataclass(frozen=True)
class OrganizationConfig:
    management_account: str
    break_glass_role: str
    pipeline: PipelineConfig
    projects: tuple[Project, ...] = field(default_factory=tuple)

    @property
    def regions(self) -> list[str]:
        return sorted({r for p in self.projects for r in (p.primary_region, p.replica_region)})


class _Reader:
    """Reads one projects file, collecting every problem with its JSON path (and line where JSON knows it)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def add(self, where: str, value: Any, fix: str) -> None:
        self.problems.append(Problem(where, value, fix))

    def text(self, data: Mapping[str, Any], key: str, where: str, *, default: str | None = None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            self.add(f"{where}.{key}", value, f"give {key} as a non-empty string")
            return ""
        return value.strip()

    def account(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if not is_account_id(value):
            self.add(f"{where}.{key}", value, 'use a 12-digit AWS account id as a string, e.g. "111122223333"')
            return ""
        return str(value)

    def region(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if not is_region_name(value):
            self.add(f"{where}.{key}", value, 'use an AWS region name, e.g. "us-east-1" or "eu-west-2"')
            return ""
        return str(value)

    def date(self, data: Mapping[str, Any], key: str, where: str) -> datetime.date:
        value = data.get(key)
        try:
            return datetime.date.fromisoformat(str(value)) if isinstance(value, str) else _no_date(value)
        except ValueError:
            self.add(f"{where}.{key}", value, 'use an ISO date, e.g. "2028-06-30"')
            return datetime.date.min

    def items(self, data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> list[Any]:
        value = data.get(key, None if required else [])
        if not isinstance(value, list) or (required and not value):
            self.add(f"{where}.{key}", value, f"give {key} as a {'non-empty ' if required else ''}JSON list")
            return []
        return value

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.add(where, value, "give a JSON object here")
            return {}
        return value

    def unknown_keys(self, data: Mapping[str, Any], known: set[str], where: str) -> None:
        for key in sorted(set(data) - known):
            self.add(f"{where}.{key}", data[key], f"remove it or use one of: {', '.join(sorted(known))}")


def _no_date(value: Any) -> datetime.date:
    raise ValueError(value)


_PROJECT_KEYS = {"id", "account", "organizational_unit", "primary_region", "replica_region", "duc_ends",
                 "approvals", "collaborators", "wave", "airlock"}
_WHO_KEYS = ("principals", "permission_set", "saml_provider")
_APPROVAL_KEYS = {"id", "prefix", "ends", "identity_center_region", *_WHO_KEYS}
PERMISSION_SET_NAME = re.compile(r"^[\w+=,.@-]{1,32}$")


def _read_researchers(reader: _Reader, approval: Mapping[str, Any], at: str, account: str) -> dict[str, Any]:
    """Who an approval admits: one of ``permission_set`` (IAM Identity Center, with an optional
    ``identity_center_region``), ``saml_provider`` (a SAML provider ARN of the project's account) or
    ``principals`` (role or user ARNs, with MFA). Federated people never carry the MFA key, so they are named
    through their provider, never as principals with MFA."""
    named = [key for key in _WHO_KEYS if approval.get(key) not in (None, [], "")]
    if len(named) > 1:
        reader.add(f"{at}.{named[1]}", approval.get(named[1]),
                   f"name the approved people one way: {' or '.join(_WHO_KEYS)}, not {' and '.join(named)}")
    found: dict[str, Any] = {}
    if "permission_set" in approval:
        name = approval["permission_set"]
        if not isinstance(name, str) or not PERMISSION_SET_NAME.match(name):
            reader.add(f"{at}.permission_set", name, "give the IAM Identity Center permission set's name (1-32 "
                       'letters, digits and +=,.@_-), e.g. "GenomicsResearcher"')
        else:
            found["permission_set"] = name
    if "identity_center_region" in approval:
        if "permission_set" not in approval:
            reader.add(f"{at}.identity_center_region", approval["identity_center_region"],
                       "it narrows a permission_set's roles; name the permission_set too, or remove it")
        else:
            found["identity_center_region"] = reader.region(approval, "identity_center_region", at) or None
    if "saml_provider" in approval:
        arn = approval["saml_provider"]
        match = SAML_PROVIDER_ARN.match(arn) if isinstance(arn, str) else None
        if match is None:
            reader.add(f"{at}.saml_provider", arn, 'give the SAML identity provider\'s ARN, e.g. '
                       f'"arn:aws:iam::{account or "111122223333"}:saml-provider/Institute"')
        elif account and match["account"] != account:
            reader.add(f"{at}.saml_provider", arn, f"name a SAML provider of the project's account {account}: "
                       "an approval role trusts a provider of its own account")
        else:
            found["saml_provider_arn"] = arn
    return found


def _read_project(reader: _Reader, raw: Any, where: str) -> Project | None:
    data = reader.mapping(raw, where)
    if not data:
        return None
    reader.unknown_keys(data, _PROJECT_KEYS, where)
    project_id = reader.text(data, "id", where)
    if project_id and not PROJECT_ID.match(project_id):
        reader.add(f"{where}.id", project_id, "use 3-32 lower-case letters, digits and hyphens, e.g. cohort-a "
                   "(it names stacks and construct ids; never a participant's or study's sensitive name)")
    account = reader.account(data, "account", where)
    ou = data.get("organizational_unit")
    if ou is not None and not (isinstance(ou, str) and OU_ID.match(ou)):
        reader.add(f"{where}.organizational_unit", ou, 'use an OU id like "ou-ab12-cd34ef56", or leave it out to '
                   "attach the guardrails to the account")
    primary = reader.region(data, "primary_region", where)
    replica = reader.region(data, "replica_region", where)
    if primary and replica and primary == replica:
        reader.add(f"{where}.replica_region", replica, f"the replica must be in a second region, not {primary}")
    elif primary and replica and partition_of(primary) != partition_of(replica):
        reader.add(f"{where}.replica_region", replica, "S3 replicates only within a partition; pick a replica "
                   f"region in {partition_of(primary)}")
    duc_ends = reader.date(data, "duc_ends", where)
    wave = data.get("wave", 1)
    if not isinstance(wave, int) or isinstance(wave, bool) or wave < 1:
        reader.add(f"{where}.wave", wave, "use a whole number from 1 (the first wave deploys first)")
        wave = 1
    approvals: dict[str, dict[str, Any]] = {}
    for index, raw_approval in enumerate(reader.items(data, "approvals", where, required=True)):
        at = f"{where}.approvals[{index}]"
        approval = reader.mapping(raw_approval, at)
        if not approval:
            continue
        reader.unknown_keys(approval, _APPROVAL_KEYS, at)
        approval_id = reader.text(approval, "id", at)
        if approval_id in approvals:
            reader.add(f"{at}.id", approval_id, "list each approval once")
        principals = reader.items(approval, "principals", at)
        if any(not isinstance(p, str) or not p.startswith("arn:") for p in principals):
            reader.add(f"{at}.principals", principals, "list IAM role or user ARNs of the project's account")
        ends = reader.date(approval, "ends", at) if "ends" in approval else duc_ends
        if ends > duc_ends:
            reader.add(f"{at}.ends", approval.get("ends"), f"an approval cannot outlast the DUC ({duc_ends})")
        approvals[approval_id] = {"approval_id": approval_id, "ends": min(ends, duc_ends),
                                  "principals": tuple(str(p) for p in principals),
                                  "prefix": reader.text(approval, "prefix", at, default="approved/"),
                                  "collaborators": [], **_read_researchers(reader, approval, at, account)}
    for index, raw_collaborator in enumerate(reader.items(data, "collaborators", where)):
        at = f"{where}.collaborators[{index}]"
        collaborator = reader.mapping(raw_collaborator, at)
        if not collaborator:
            continue
        reader.unknown_keys(collaborator, {"account", "approval", "prefix"}, at)
        collaborator_account = reader.account(collaborator, "account", at)
        if collaborator_account and collaborator_account == account:
            reader.add(f"{at}.account", collaborator_account, "a collaborator is another account; the project's "
                       "own people are approvals' principals")
        approval_id = reader.text(collaborator, "approval", at)
        if approval_id and approval_id not in approvals:
            reader.add(f"{at}.approval", approval_id, "name one of the project's approvals: "
                       + ", ".join(sorted(approvals)))
        elif approval_id:
            approvals[approval_id]["collaborators"].append(CollaboratorConfig(
                account=collaborator_account, prefix=reader.text(collaborator, "prefix", at, default="shared/")))
    return Project(
        project_id=project_id, account=account, primary_region=primary, replica_region=replica,
        duc_ends=duc_ends, organizational_unit=ou if isinstance(ou, str) else None, wave=wave,
        airlock=_read_airlock(reader, data.get("airlock"), f"{where}.airlock", duc_ends),
        approvals=tuple(ApprovalConfig(**{**a, "collaborators": tuple(a["collaborators"])})
                        for a in approvals.values()))


def _read_airlock(reader: _Reader, raw: Any, where: str, duc_ends: datetime.date) -> AirlockConfig:
    """The project's airlock: who reviews and who operates it (IAM Identity Center permission sets), until the DUC
    ends; the defaults (DataSteward, AirlockOperator, two egress reviewers) when the file names none."""
    if raw is None:
        return AirlockConfig(ends=duc_ends)
    data = reader.mapping(raw, where)
    reader.unknown_keys(data, {"reviewers", "administrators", "egress_reviewers"}, where)
    names = {}
    for key, default in (("reviewers", "DataSteward"), ("administrators", "AirlockOperator")):
        value = reader.text(data, key, where, default=default)
        if value and not PERMISSION_SET_NAME.match(value):
            reader.add(f"{where}.{key}", value, "name an IAM Identity Center permission set (1-32 letters, digits "
                       "and +=,.@_-)")
        names[key] = value
    required = data.get("egress_reviewers", 2)
    if not isinstance(required, int) or isinstance(required, bool) or not 1 <= required <= 5:
        reader.add(f"{where}.egress_reviewers", required, "use 1 to 5 different reviewers for egress (default 2)")
        required = 2
    if names["reviewers"] and names["reviewers"] == names["administrators"]:
        reader.add(f"{where}.administrators", names["administrators"], "operators are not reviewers: name another "
                   "permission set")
    return AirlockConfig(reviewer_permission_set=names["reviewers"],
                         administrator_permission_set=names["administrators"], ends=duc_ends,
                         egress_reviewers_required=required)


def parse_projects(text: str, source: str = "projects file") -> OrganizationConfig:
    """The organization's configuration from the text of a projects file; :class:`ProjectsFileError` lists
    every problem (its place in the file as a JSON path, the value and the fix)."""
    reader = _Reader(source)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProjectsFileError(source, [Problem(f"line {error.lineno}, column {error.colno}", error.msg,
                                                 "fix the JSON syntax there (a missing comma or quote?)")]) from None
    data = reader.mapping(raw, "the file")
    reader.unknown_keys(data, {"management_account", "break_glass_role", "pipeline", "projects"}, "$")
    pipeline_data = reader.mapping(data.get("pipeline"), "$.pipeline")
    reader.unknown_keys(pipeline_data, {"tooling_account", "region", "repository", "branch", "connection_arn",
                                        "app_directory"}, "$.pipeline")
    pipeline = PipelineConfig(
        tooling_account=reader.account(pipeline_data, "tooling_account", "$.pipeline"),
        region=reader.region(pipeline_data, "region", "$.pipeline"),
        repository=reader.text(pipeline_data, "repository", "$.pipeline"),
        branch=reader.text(pipeline_data, "branch", "$.pipeline", default="main"),
        connection_arn=reader.text(pipeline_data, "connection_arn", "$.pipeline"),
        app_directory=reader.text(pipeline_data, "app_directory", "$.pipeline", default="."))
    projects = [p for index, raw_project in enumerate(reader.items(data, "projects", "$", required=True))
                if (p := _read_project(reader, raw_project, f"$.projects[{index}]")) is not None]
    for attribute in ("project_id", "account"):
        values = [getattr(p, attribute) for p in projects]
        for index, value in enumerate(values):
            if value and values.index(value) != index:
                reader.add(f"$.projects[{index}].{'id' if attribute == 'project_id' else attribute}", value,
                           "give every project its own id and its own account (one DUC per account)")
    config = OrganizationConfig(
        management_account=reader.account(data, "management_account", "$"),
        break_glass_role=reader.text(data, "break_glass_role", "$"), pipeline=pipeline, projects=tuple(projects))
    if pipeline.tooling_account and any(p.account == pipeline.tooling_account for p in projects):
        reader.add("$.pipeline.tooling_account", pipeline.tooling_account,
                   "deploy the pipeline from a tooling account that holds no project's data")
    if reader.problems:
        raise ProjectsFileError(source, reader.problems)
    return config


def load_projects(path: str | Path) -> OrganizationConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ProjectsFileError(str(path), [Problem("path", str(path), f"cannot read it ({error.strerror}); "
                                                    "pass the projects file, e.g. projects.json")]) from None
    return parse_projects(text, str(path))


class ProjectStage(cdk.Stage):
    """One project's environment, deployed into its own account: the reference composition configured from
    the projects file, tagged with the project and its DUC end date, and the role the pipeline verifies with.

    A project whose DUC has ended is flagged with a warning (not an error, so that the pipeline can still
    deploy the close-out: the approvals' removal and the data's expiry) naming the close-out steps.
    """

    def __init__(self, scope: Construct, id: str, *, project: Project, tooling_account: str,
                 today: datetime.date | None = None) -> None:
        super().__init__(scope, id, env=cdk.Environment(account=project.account, region=project.primary_region))
        self.project = project
        config = ReferenceConfig(account=project.account, region=project.primary_region,
                                 replica_region=project.replica_region, data_use_end_date=project.duc_ends,
                                 approvals=project.approvals, airlock=project.airlock)
        self.replica = ReferenceReplicaStack(self, "OmicsSecureReplica", config=config)
        self.primary = ReferencePrimaryStack(self, "OmicsSecurePrimary", config=config,
                                             replica=self.replica.phi_data_replica,
                                             backup_copy_vault=self.replica.backup_vault)
        self.verifier = VerifyAuditorRole(self.primary, "PipelineVerifier", role_name=VERIFY_ROLE_NAME,
                                          assumed_by=iam.AccountPrincipal(tooling_account))
        cdk.Tags.of(self).add(PROJECT_ID_TAG, project.project_id)
        cdk.Tags.of(self).add(PROJECT_DUC_ENDS_TAG, project.duc_ends.isoformat())
        today = today or datetime.datetime.now(datetime.UTC).date()
        if project.closed(today):
            cdk.Annotations.of(self.primary).add_warning_v2(
                CLOSE_OUT_WARNING_ID,
                f"Project {project.project_id}: its Data Use Certification ended on {project.duc_ends}. Close it "
                f"out: {CLOSE_OUT_STEPS}. Then remove the project from the projects file.")

    @property
    def stacks(self) -> list[cdk.Stack]:
        return [self.replica, self.primary]


class GuardrailsStack(cdk.Stack):
    """The organization's guardrails, in the management account (us-east-1: Organizations' endpoint)."""

    def __init__(self, scope: Construct, id: str, *, config: OrganizationConfig) -> None:
        super().__init__(scope, id, env=cdk.Environment(account=config.management_account, region="us-east-1"),
                         description="omics-secure: organization guardrails for the projects' accounts")
        self.guardrails = OrganizationGuardrails(
            self, "Guardrails", target_ids=sorted({p.target_id for p in config.projects}),
            regions=config.regions, break_glass_role=config.break_glass_role)


class PipelineStack(cdk.Stack):
    """The self-mutating CDK pipeline in the tooling account: synth, then one wave per wave number, each
    gated by ``omics-secure check`` and followed by ``omics-secure verify`` on each project.

    Its template is written without indentation: it grows by about 8 kB per project, and CloudFormation
    refuses a template over 1 MB (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html);
    indented, 100 projects came to 1.21 MB, unindented 0.84 MB. Past about 110 projects, split the
    projects over more than one pipeline."""

    def __init__(self, scope: Construct, id: str, *, config: OrganizationConfig,
                 today: datetime.date | None = None) -> None:
        pipeline_config = config.pipeline
        super().__init__(scope, id, env=cdk.Environment(account=pipeline_config.tooling_account,
                                                        region=pipeline_config.region),
                         description="omics-secure: roll-out of the projects' environments",
                         suppress_template_indentation=True)
        directory = pipeline_config.app_directory
        self.source = pipelines.CodePipelineSource.connection(
            pipeline_config.repository, pipeline_config.branch, connection_arn=pipeline_config.connection_arn)
        install = ["pip install omics-secure", "npm install -g aws-cdk@2"]
        self.pipeline = pipelines.CodePipeline(
            self, "Pipeline", self_mutation=True, cross_account_keys=True, enable_key_rotation=True,
            pipeline_type=codepipeline.PipelineType.V2,
            synth=pipelines.CodeBuildStep(
                "Synth", input=self.source, install_commands=install,
                commands=[f"cd {directory}", "cdk synth"],
                primary_output_directory=f"{directory}/cdk.out" if directory != "." else "cdk.out"),
            code_build_defaults=pipelines.CodeBuildOptions(build_environment=codebuild.BuildEnvironment(
                build_image=codebuild.LinuxBuildImage.STANDARD_7_0)))
        self.waves: list[pipelines.Wave] = []
        self.stages: list[ProjectStage] = []
        for number in sorted({p.wave for p in config.projects}):
            members = [p for p in config.projects if p.wave == number]
            chunks = [members[i:i + PROJECTS_PER_PIPELINE_STAGE]
                      for i in range(0, len(members), PROJECTS_PER_PIPELINE_STAGE)]
            for part, chunk in enumerate(chunks, start=1):
                name = f"Wave{number}" if len(chunks) == 1 else f"Wave{number}-{part}"
                self._add_wave(name, chunk, install, directory, pipeline_config.tooling_account, today)
        self.pipeline.build_pipeline()
        self._role_arns_as_sub()
        self._harden_artifact_stores()
        self._acknowledge_generated_roles()

    def _add_wave(self, name: str, projects: Sequence[Project], install: list[str], directory: str,
                  tooling_account: str, today: datetime.date | None) -> None:
        """One pipeline wave: the ``omics-secure check`` gate, then each project's stage and its verify step.

        The wave's CodeBuild actions start their builds through a role of the wave's own: with one role for
        every action, its policy grows by a statement per action, overflows IAM's inline size at about 100
        projects and cdk-nag's IAM rules can no longer read it. It trusts the account narrowed to the
        pipeline's own role (``aws:PrincipalArn``), which only CodePipeline assumes, as CDK Pipelines trusts
        its shared action role: a trust of the whole account would let any principal of the tooling account
        allowed sts:AssumeRole start these builds."""
        action_role = iam.Role(self.pipeline, f"{name}ActionRole", assumed_by=iam.PrincipalWithConditions(
            iam.AccountRootPrincipal(), {"ArnEquals": {"aws:PrincipalArn": cdk.Lazy.string(
                _PipelineRoleArn(self.pipeline))}}))
        wave = self.pipeline.add_wave(name, pre=[pipelines.CodeBuildStep(
            f"Check{name}", input=self.source, install_commands=install, action_role=action_role,
            commands=[f"cd {directory}", "omics-secure check --output cdk.check.out"])])
        self.waves.append(wave)
        for project in projects:
            stage = ProjectStage(self, f"Project-{project.project_id}", project=project,
                                 tooling_account=tooling_account, today=today)
            self.stages.append(stage)
            wave.add_stage(stage, post=[self._verify_step(stage, action_role)])

    def _role_arns_as_sub(self) -> None:
        """The deploy actions' role ARNs as ``Fn::Sub``: CDK writes them as ``Fn::Join`` with an empty
        delimiter, which cfn-lint reports as an error (E3703) in an action's configuration."""
        cfn_pipeline = self.pipeline.pipeline.node.default_child
        assert isinstance(cfn_pipeline, cdk.CfnResource)
        stages = self.resolve(cfn_pipeline.stages)  # type: ignore[attr-defined]
        for stage_index, stage in enumerate(stages):
            # The L1 property resolves with the Python property names (actions, roleArn, configuration); an
            # action's configuration is a JSON blob that keeps CloudFormation's (RoleArn).
            for action_index, action in enumerate(stage.get("actions", [])):
                for path, value in ((("RoleArn",), action.get("roleArn")),
                                    (("Configuration", "RoleArn"), (action.get("configuration") or {}).get("RoleArn"))):
                    sub = _join_as_sub(value)
                    if sub is not None:
                        cfn_pipeline.add_property_override(
                            f"Stages.{stage_index}.Actions.{action_index}.{'.'.join(path)}", sub)

    def _harden_artifact_stores(self) -> None:
        """Versioning, S3 Bucket Keys, TLS 1.2 or later and retained keys on every bucket CodePipeline created;
        acknowledged: their access logs and replication (see the reasons)."""
        pipeline = self.pipeline.pipeline
        buckets = [pipeline.artifact_bucket,
                   *(support.replication_bucket for support in pipeline.cross_region_support.values())]
        for bucket in buckets:
            cfn_bucket = bucket.node.default_child
            if not isinstance(cfn_bucket, s3.CfnBucket):
                continue
            cfn_bucket.versioning_configuration = s3.CfnBucket.VersioningConfigurationProperty(status="Enabled")
            cfn_bucket.add_property_override(
                "BucketEncryption.ServerSideEncryptionConfiguration.0.BucketKeyEnabled", True)
            bucket.add_to_resource_policy(iam.PolicyStatement(
                sid="DenyTlsOlderThan12", effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()],
                actions=["s3:*"], resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
                conditions={"NumericLessThan": {"s3:TlsVersion": "1.2"}}))
            if bucket.encryption_key is not None:
                bucket.encryption_key.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
            for rule_id, reason in _ARTIFACT_BUCKET_ACKNOWLEDGMENTS.items():
                acknowledge(bucket, rule_id, reason)

    def _acknowledge_generated_roles(self) -> None:
        """The roles and projects CDK Pipelines generates: their findings and why each is acceptable."""
        support_stacks = [support.stack for support in self.pipeline.pipeline.cross_region_support.values()]
        for rule_id, reason in _PIPELINE_ACKNOWLEDGMENTS.items():
            if rule_id != _WILDCARDS:  # acknowledged one wildcard at a time below
                acknowledge(self.pipeline, rule_id, reason)
        for stack in support_stacks:
            acknowledge(stack, "OmicsSecure-RetainedResourceFixedName", _FIXED_NAME_ACKNOWLEDGMENT)
        for scope in [self.pipeline, *support_stacks]:
            for child in scope.node.find_all():
                if isinstance(child, kms.CfnKey):
                    child.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
                if isinstance(child, iam.CfnPolicy):
                    # On the role: a policy past IAM's size limit overflows into managed policies CDK creates
                    # under the role during synthesis, with the same statements.
                    policy = child.node.scope
                    role = policy.node.scope if policy is not None else None
                    for wildcard in sorted(_wildcards(cdk.Stack.of(child).resolve(child.policy_document))):
                        acknowledge(role if isinstance(role, iam.Role) else child, f"AwsSolutions-IAM5[{wildcard}]",
                                    _PIPELINE_ACKNOWLEDGMENTS[_WILDCARDS])


    @staticmethod
    def _verify_step(stage: ProjectStage, action_role: iam.IRole) -> pipelines.CodeBuildStep:
        project = stage.project
        role_arn = f"arn:{partition_of(project.primary_region)}:iam::{project.account}:role/{VERIFY_ROLE_NAME}"
        commands = [
            f"aws configure set profile.{project.project_id}.role_arn {role_arn}",
            f"aws configure set profile.{project.project_id}.credential_source EcsContainer",
        ]
        for stack in stage.stacks:
            commands.append(f"omics-secure verify --profile {project.project_id} --region {stack.region} "
                            f"--stack {stack.stack_name} --report-dir verify-reports/{stack.stack_name}")
        return pipelines.CodeBuildStep(
            f"Verify-{project.project_id}", install_commands=["pip install omics-secure"], commands=commands,
            action_role=action_role,
            role_policy_statements=[iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[role_arn])])


@jsii.implements(cdk.IStableStringProducer)
class _PipelineRoleArn:
    """The pipeline's role ARN, read once CDK Pipelines has built the pipeline (after every wave is added)."""

    def __init__(self, pipeline: pipelines.CodePipeline) -> None:
        self.pipeline = pipeline

    def produce(self) -> str:
        return self.pipeline.pipeline.role.role_arn


def _join_as_sub(value: Any) -> dict[str, str] | None:
    """``Fn::Join`` of literals and ``Ref``s with an empty delimiter as the equivalent ``Fn::Sub``; else None."""
    if not (isinstance(value, Mapping) and set(value) == {"Fn::Join"} and value["Fn::Join"][0] == ""):
        return None
    parts = []
    for part in value["Fn::Join"][1]:
        if isinstance(part, str) and "${" not in part:
            parts.append(part)
        elif isinstance(part, Mapping) and set(part) == {"Ref"} and isinstance(part["Ref"], str):
            parts.append("${" + part["Ref"] + "}")
        else:
            return None
    return {"Fn::Sub": "".join(parts)}


def _flatten(value: Any) -> str:
    """A resolved value as cdk-nag names it in a granular finding id: ``<LogicalId.Attr>`` for GetAtt."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "Fn::GetAtt" in value:
        return "<" + ".".join(str(part) for part in value["Fn::GetAtt"]) + ">"
    if isinstance(value, Mapping) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, Mapping) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_flatten(part) for part in parts)
    return json.dumps(value)


def _wildcards(document: Any) -> set[str]:
    """cdk-nag's AwsSolutions-IAM5 granular ids of a generated policy: each wildcard action and resource."""
    found = set()
    for statement in (document or {}).get("Statement", []):
        for key, prefix in (("Action", "Action"), ("Resource", "Resource")):
            values = statement.get(key, [])
            for value in values if isinstance(values, list) else [values]:
                flat = _flatten(value)
                if "*" in flat:
                    found.add(f"{prefix}::{flat}")
    return found


_ARTIFACT_BUCKET_ACKNOWLEDGMENTS = {
    "HIPAA.Security-S3BucketLoggingEnabled": (
        "CodePipeline's artifact store holds the app's synthesized templates and build outputs, never PHI "
        "(project data stays in the project accounts); every read and write is by the pipeline's own roles, "
        "recorded by the tooling account's CloudTrail."),
    "NIST.800.53.R5-S3BucketLoggingEnabled": (
        "CodePipeline's artifact store holds the app's synthesized templates and build outputs, never PHI; every "
        "access is by the pipeline's own roles and is recorded by the tooling account's CloudTrail."),
    "AwsSolutions-S1": (
        "CodePipeline's artifact store holds templates and build outputs, never PHI; every access is by the "
        "pipeline's own roles and is recorded by the tooling account's CloudTrail."),
    "OmicsSecure-S3BucketAccessLogged": (
        "CodePipeline's artifact store holds the app's synthesized templates and build outputs, never PHI; every "
        "access is by the pipeline's own roles and is recorded by the tooling account's CloudTrail."),
    "HIPAA.Security-S3BucketReplicationEnabled": (
        "Pipeline artifacts are rebuilt from the source repository on every run, so a replica adds no recovery; "
        "CodePipeline already keeps one artifact store per deployment region."),
    "NIST.800.53.R5-S3BucketReplicationEnabled": (
        "Pipeline artifacts are rebuilt from the source repository on every run, so a replica adds no recovery; "
        "CodePipeline already keeps one artifact store per deployment region."),
}
_WILDCARDS = "AwsSolutions-IAM5"
_FIXED_NAME_ACKNOWLEDGMENT = (
    "CodePipeline requires a physical name for a cross-region replication bucket and its key alias so that the "
    "pipeline in another region can address them; the names are generated from the stack, unique per pipeline.")
_PIPELINE_ACKNOWLEDGMENTS = {
    "HIPAA.Security-IAMNoInlinePolicy": (
        "CDK Pipelines generates one role per action with an inline policy scoped to this pipeline's artifact "
        "buckets, keys and CodeBuild projects, and rewrites them on every self-mutation; it offers no managed "
        "policy option."),
    "NIST.800.53.R5-IAMNoInlinePolicy": (
        "CDK Pipelines generates one role per action with an inline policy scoped to this pipeline's artifact "
        "buckets, keys and CodeBuild projects, and rewrites them on every self-mutation."),
    _WILDCARDS: (
        "CDK Pipelines' generated policies use wildcards only within this pipeline's artifact buckets, keys, "
        "CodeBuild log groups and report groups, and the CDK bootstrap roles (cdk-hnb659fds-*) of the target "
        "accounts that self-mutation and deployment assume."),
    "HIPAA.Security-CodeBuildProjectSourceRepoUrl": (
        "The CodeBuild projects take their source from CodePipeline (source type CODEPIPELINE), which reads the "
        "repository through a CodeConnections connection: no repository URL or credentials are in the project."),
}


def build_organization_app(app: cdk.App, projects_file: str | Path, *, with_compliance_packs: bool = True,
                           today: datetime.date | None = None) -> cdk.App:
    """The organization app: the guardrails stack and the pipeline stack (which holds every project's stage)."""
    config = load_projects(projects_file)
    GuardrailsStack(app, "Guardrails", config=config)
    PipelineStack(app, "OmicsSecurePipeline", config=config, today=today)
    if with_compliance_packs:
        add_compliance_packs(app)
    return app
