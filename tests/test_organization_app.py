"""The organization example: three projects from its projects file, the guardrails, the pipeline's waves and
gates, project close-out, the report's projects, and the projects file's errors.

The app is synthesized once for the module and cfn-linted (``synthesize_plain``); tests/test_examples.py
checks it with every pack through the command, as a user runs it.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from omics_secure.compliance.datasheet import build_datasheet
from omics_secure.compliance.engine import judge
from omics_secure.compliance.model import Resource, Status, TemplateIndex
from omics_secure.compliance.rules.deploy_environment import DEPLOY_ENVIRONMENT_RULES
from omics_secure.inputs.assembly import read_assembly
from omics_secure.inputs.values import TemplateValues
from omics_secure.stacks.organization import (
    CLOSE_OUT_WARNING_ID,
    ProjectsFileError,
    ProjectStage,
    build_organization_app,
    load_projects,
    parse_projects,
)
from tests.harness import REPOSITORY, SynthesizedAssembly, synthesize_plain

pytestmark = pytest.mark.slow  # the example app: ten stacks

EXAMPLE = REPOSITORY / "examples" / "organization"
PROJECTS = EXAMPLE / "projects.json"


def example_context() -> dict[str, Any]:
    return json.loads((EXAMPLE / "cdk.json").read_text())["context"]


@pytest.fixture(scope="module")
def organization(tmp_path_factory) -> SynthesizedAssembly:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("organization")), context=example_context())
    build_organization_app(app, PROJECTS, with_compliance_packs=False)
    return synthesize_plain(app)  # fails on any cfn-lint error


def _resources(organization: SynthesizedAssembly, stack: str, type_: str) -> dict[str, Any]:
    return organization.template(stack).find_resources(type_)


def test_every_project_gets_its_environment_in_its_own_account_and_regions(organization):
    pipeline = organization.stack("OmicsSecurePipeline")
    stages = {stage.project.project_id: stage for stage in pipeline.stages}  # type: ignore[attr-defined]
    assert sorted(stages) == ["cohort-a", "cohort-b", "tumor-atlas"]
    atlas = stages["tumor-atlas"]
    assert (atlas.primary.account, atlas.primary.region, atlas.replica.region) == (
        "333344445555", "us-west-2", "us-east-2")
    assert atlas.primary.node.try_find_child("Approval-phs000004.v1.p1") is not None
    assert atlas.primary.node.try_find_child("Collaborator-phs000004.v1.p1-555566667777") is not None


def test_every_project_has_an_airlock_its_data_stewards_review_until_the_duc_ends(organization):
    pipeline = organization.stack("OmicsSecurePipeline")
    stages = {stage.project.project_id: stage for stage in pipeline.stages}  # type: ignore[attr-defined]
    for project_id, steward in (("cohort-a", "CohortADataSteward"), ("cohort-b", "DataSteward")):
        airlock = stages[project_id].primary.airlock
        (reviewers,) = airlock.reviewer_access
        assert reviewers.researchers.permission_set_name == steward
        assert reviewers.ends == stages[project_id].project.duc_ends
        approvals = stages[project_id].project.approvals
        assert [a.approval_id for a in airlock.requesters] == [a.approval_id for a in approvals]


def test_every_project_copies_its_backups_to_its_replica_region(organization):
    pipeline = organization.stack("OmicsSecurePipeline")
    for stage in pipeline.stages:  # type: ignore[attr-defined]
        copy_to = stage.primary.node.find_child("Backup").copy_to
        assert copy_to is not None and copy_to.region == stage.replica.region, stage.project.project_id
        assert not any(entry.type == "aws:cdk:warning" and "No copy_to vault" in str(entry.data)
                       for entry in stage.primary.node.find_child("Backup").node.metadata)


def test_the_guardrails_attach_every_scp_and_the_tag_policy_to_the_projects_ous(organization):
    policies = {body["Properties"]["Name"]: body["Properties"]
                for body in _resources(organization, "Guardrails", "AWS::Organizations::Policy").values()}
    assert set(policies) == {"RegionLock-region-lock", "ControlsProtection-controls-protection",
                             "HipaaServices-hipaa-services-1", "DataClassification-data-classification"}
    for policy in policies.values():
        assert policy["TargetIds"] == ["ou-ab12-cd34ef56", "ou-ab12-ef78gh90"]
    lock = policies["RegionLock-region-lock"]["Content"]["Statement"][0]
    assert lock["Condition"]["StringNotEquals"]["aws:RequestedRegion"] == ["us-east-1", "us-east-2", "us-west-2"]
    assert lock["Condition"]["ArnNotLike"] == {"aws:PrincipalARN": ["arn:aws:iam::*:role/BreakGlass"]}
    assert policies["DataClassification-data-classification"]["Type"] == "TAG_POLICY"


def _pipeline_stages(organization: SynthesizedAssembly) -> list[dict[str, Any]]:
    (pipeline,) = _resources(organization, "OmicsSecurePipeline", "AWS::CodePipeline::Pipeline").values()
    return pipeline["Properties"]["Stages"]


def _buildspec(organization: SynthesizedAssembly, action: dict[str, Any]) -> str:
    projects = _resources(organization, "OmicsSecurePipeline", "AWS::CodeBuild::Project")
    return projects[action["Configuration"]["ProjectName"]["Ref"]]["Properties"]["Source"]["BuildSpec"]


def test_the_pipeline_deploys_in_waves_with_a_check_before_and_a_verify_after(organization):
    stages = _pipeline_stages(organization)
    names = [stage["Name"] for stage in stages]
    # self-mutating, the assets published, then wave 1 (a single project: CDK names the stage after it) and
    # wave 2 (two projects)
    assert names == ["Source", "Build", "UpdatePipeline", "Assets", "Project-cohort-a", "Wave2"]
    for stage, projects, check in ((stages[4], ["cohort-a"], "CheckWave1"),
                                   (stages[5], ["cohort-b", "tumor-atlas"], "CheckWave2")):
        actions = {action["Name"]: action for action in stage["Actions"]}
        gate = actions[check]
        deploys = [a for a in stage["Actions"] if a["ActionTypeId"]["Provider"] == "CloudFormation"]
        assert deploys and all(a["RunOrder"] > gate["RunOrder"] for a in deploys)
        assert "omics-secure check" in _buildspec(organization, gate)
        for project in projects:
            verify = next(a for name, a in actions.items() if name.endswith(f"Verify-{project}"))
            assert all(verify["RunOrder"] > a["RunOrder"] for a in deploys if project in a["Name"])
            spec = _buildspec(organization, verify)
            assert f"omics-secure verify --profile {project}" in spec
            assert f"Project-{project}-OmicsSecurePrimary" in spec and "role/omics-secure-verify" in spec


def _approval_trusts(organization: SynthesizedAssembly, project: str) -> dict[str, dict[str, Any]]:
    """The trust statement of each approval role of ``project``'s primary stack, by approval id."""
    pipeline = organization.stack("OmicsSecurePipeline")
    (stage,) = [s for s in pipeline.stages if s.project.project_id == project]  # type: ignore[attr-defined]
    template = json.loads((Path(stage.outdir) / stage.primary.template_file).read_text())
    trusts = {}
    for body in template["Resources"].values():
        if body["Type"] != "AWS::IAM::Role":
            continue
        tags = {t["Key"]: t["Value"] for t in body["Properties"].get("Tags", [])}
        if "omics-secure:approval-id" in tags:
            (trusts[tags["omics-secure:approval-id"]],) = body["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    return trusts


def test_approvals_admit_identity_center_and_saml_people_through_their_provider_not_mfa(organization):
    """Federated and Identity Center sessions never carry aws:MultiFactorAuthPresent: an MFA condition on their
    trust would admit nobody, so only the projects file's IAM principals get one."""
    cohort_a = _approval_trusts(organization, "cohort-a")["phs000001.v1.p1"]
    assert cohort_a["Condition"]["ArnLike"]["aws:PrincipalArn"] == [
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_CohortAAnalysts_*",
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_CohortAAnalysts_*"]
    cohort_b = _approval_trusts(organization, "cohort-b")
    saml = cohort_b["phs000002.v2.p1"]
    assert saml["Principal"] == {"Federated": "arn:aws:iam::222233334444:saml-provider/Institute"}
    assert saml["Action"] == ["sts:AssumeRoleWithSAML", "sts:TagSession"]
    assert cohort_b["phs000003.v1.p1"]["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    atlas = _approval_trusts(organization, "tumor-atlas")["phs000004.v1.p1"]
    assert atlas["Condition"]["ArnLike"]["aws:PrincipalArn"][0] == (
        "arn:aws:iam::333344445555:role/aws-reserved/sso.amazonaws.com/us-east-1/AWSReservedSSO_AtlasAnalysts_*")
    for trust in (cohort_a, saml, atlas):
        assert "Bool" not in trust["Condition"]
        assert trust["Condition"]["DateLessThan"]["aws:CurrentTime"].endswith("T00:00:00Z")


def test_the_deploy_review_finds_none_of_its_faults_in_the_example(organization):
    """Each fault of docs/deploy-review.md has a rule; on the example every one of them judges and passes."""
    verdicts: dict[str, list[Status]] = {rule.id: [] for rule in DEPLOY_ENVIRONMENT_RULES}
    for stack in read_assembly(organization.assembly_dir):
        index, values = TemplateIndex(stack.resources), TemplateValues(stack.template, stack.parameters)
        for logical_id, body in stack.resources.items():
            for rule in DEPLOY_ENVIRONMENT_RULES:
                resource = Resource.from_template(logical_id, body, stack.resources, index, values)
                status = judge(rule, resource).status
                assert status in (Status.COMPLIANT, Status.NOT_APPLICABLE), (stack.name, logical_id, rule.id)
                verdicts[rule.id].append(status)
    judged = {rule: statuses.count(Status.COMPLIANT) for rule, statuses in verdicts.items()}
    # Four policies after their policy types, one allowlist verdict, three plans copying with their role,
    # and the approvals' MFA trusts (phs000003's IAM users) all judged, not merely passed over.
    assert judged["OrganizationPolicyTypeEnabled"] == 4 and judged["OrganizationAllowlistCoversServices"] == 1
    assert judged["BackupCopyRoleCanCopy"] == 3 and judged["IAMTrustMfaFederatedNeverPresent"] >= 1


def test_each_wave_starts_its_builds_through_a_role_of_its_own(organization):
    """One shared action role would gain a statement per CodeBuild action and overflow at about 100 projects."""
    stages = _pipeline_stages(organization)
    roles = _resources(organization, "OmicsSecurePipeline", "AWS::IAM::Role")
    for stage, wave in ((stages[4], "Wave1"), (stages[5], "Wave2")):
        builds = [a for a in stage["Actions"] if a["ActionTypeId"]["Provider"] == "CodeBuild"]
        assert len(builds) == (2 if wave == "Wave1" else 3)  # the check and one verify per project
        (role,) = {a["RoleArn"]["Fn::GetAtt"][0] for a in builds}
        assert role.startswith(f"Pipeline{wave}ActionRole")
        (trust,) = roles[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        # Only the pipeline's role (which only CodePipeline assumes), not every principal of the account.
        (pipeline_role,) = [i for i, r in roles.items() if r["Properties"]["AssumeRolePolicyDocument"]["Statement"]
                            == [{"Action": "sts:AssumeRole", "Effect": "Allow",
                                 "Principal": {"Service": "codepipeline.amazonaws.com"}}]]
        assert trust["Condition"] == {"ArnEquals": {"aws:PrincipalArn": {"Fn::GetAtt": [pipeline_role, "Arn"]}}}


def test_the_pipeline_template_is_written_without_indentation(organization):
    """About 8 kB a project: indented, 100 projects pass CloudFormation's 1 MB template limit."""
    text = (organization.assembly_dir / "OmicsSecurePipeline.template.json").read_text()
    assert "\n " not in text and json.loads(text)["Resources"]


def test_the_pipeline_lives_in_the_tooling_account_with_encrypted_retained_artifacts(organization):
    pipeline = organization.stack("OmicsSecurePipeline")
    assert pipeline.account == "123456789012"
    (bucket,) = _resources(organization, "OmicsSecurePipeline", "AWS::S3::Bucket").values()
    encryption = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert encryption["BucketKeyEnabled"] is True
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    (key,) = _resources(organization, "OmicsSecurePipeline", "AWS::KMS::Key").values()
    assert key["DeletionPolicy"] == "Retain" and key["Properties"]["EnableKeyRotation"] is True


def test_the_report_lists_every_project_with_its_dates(organization):
    (projects,) = [s for s in build_datasheet(organization.assembly_dir) if s.title == "Projects"]
    rows = {row[0]: row for row in projects.tables[0].rows}
    assert sorted(rows) == ["cohort-a", "cohort-b", "tumor-atlas"]
    assert rows["cohort-b"][3] == "2030-12-31" and rows["tumor-atlas"][1] == "333344445555"
    assert "us-east-2" in rows["tumor-atlas"][2]


def test_a_project_past_its_duc_end_date_is_flagged_with_the_close_out_steps(tmp_path):
    config = load_projects(PROJECTS)
    app = cdk.App(outdir=str(tmp_path), context=example_context())
    project = config.projects[0]
    stage = ProjectStage(app, "Closed", project=project, tooling_account="123456789012",
                         today=project.duc_ends + datetime.timedelta(days=1))
    open_stage = ProjectStage(app, "Open", project=project, tooling_account="123456789012",
                              today=project.duc_ends - datetime.timedelta(days=1))
    warnings = [str(entry.data) for entry in stage.primary.node.metadata if entry.type == "aws:cdk:warning"]
    (warning,) = warnings
    assert CLOSE_OUT_WARNING_ID in warning and "2029-06-30" in warning
    assert "delete the controlled-access data" in warning and "encrypted copies of the minimum data" in warning
    assert not [e for e in open_stage.primary.node.metadata if e.type == "aws:cdk:warning"]


def _projects_text(**changes: Any) -> str:
    data = json.loads(PROJECTS.read_text())
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return json.dumps(data, indent=2)


@pytest.mark.parametrize(("changes", "message"), [
    ({"projects__0__account": "1234"}, r"\$\.projects\[0\]\.account='1234'.*12-digit"),
    ({"projects__1__primary_region": "mars-1"}, r"\$\.projects\[1\]\.primary_region='mars-1'"),
    ({"projects__2__replica_region": "us-west-2"}, r"replica_region='us-west-2'.*second region"),
    ({"projects__0__duc_ends": "30/06/2029"}, r"duc_ends='30/06/2029'.*ISO date"),
    ({"projects__0__approvals": []}, r"approvals=\[\].*non-empty"),
    ({"projects__0__collaborators__0__approval": "phs999"}, r"approval='phs999'.*phs000001"),
    ({"projects__1__account": "111122223333"}, r"projects\[1\]\.account.*its own account"),
    ({"projects__0__organizational_unit": "ou-1"}, r"organizational_unit='ou-1'"),
    ({"projects__0__id": "Cohort A"}, r"id='Cohort A'.*lower-case"),
    ({"projects__0__wave": 0}, r"wave=0"),
    ({"projects__0__colour": "blue"}, r"projects\[0\]\.colour.*remove it"),
    ({"pipeline__tooling_account": "111122223333"}, r"tooling_account.*holds no project"),
    ({"projects__0__approvals__0__permission_set": "Cohort A Analysts"}, r"permission_set='Cohort A Analysts'"),
    ({"projects__0__approvals__0__principals": ["arn:aws:iam::111122223333:user/ana"]},
     r"approvals\[0\]\.permission_set='CohortAAnalysts': name the approved people one way"),
    ({"projects__0__approvals__0__identity_center_region": "mars-1"}, r"identity_center_region='mars-1'"),
    ({"projects__1__approvals__1__identity_center_region": "us-east-1"},
     r"identity_center_region='us-east-1'.*name the permission_set too"),
    ({"projects__1__approvals__0__saml_provider": "Institute"}, r"saml_provider='Institute'.*ARN"),
    ({"projects__1__approvals__0__saml_provider": "arn:aws:iam::111122223333:saml-provider/Institute"},
     r"saml_provider=.*project's account 222233334444"),
    ({"projects__0__airlock__egress_reviewers": 0}, r"airlock\.egress_reviewers=0: use 1 to 5"),
    ({"projects__0__airlock__reviewers": "Data Stewards"}, r"airlock\.reviewers='Data Stewards'.*permission set"),
    ({"projects__0__airlock__administrators": "CohortADataSteward"}, r"airlock\.administrators=.*not reviewers"),
    ({"projects__0__airlock__review": "x"}, r"airlock\.review.*remove it"),
])
def test_a_bad_projects_file_names_the_field_the_value_and_the_fix(changes, message):
    with pytest.raises(ProjectsFileError, match=message):
        parse_projects(_projects_text(**changes))


def test_malformed_json_names_the_line(tmp_path: Path):
    bad = tmp_path / "projects.json"
    bad.write_text('{\n  "projects": [\n    {"id": "a",}\n  ]\n}\n')
    with pytest.raises(ProjectsFileError, match=r"line 3, column \d+"):
        load_projects(bad)
    with pytest.raises(ProjectsFileError, match="cannot read it"):
        load_projects(tmp_path / "missing.json")
