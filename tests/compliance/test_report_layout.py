"""The summary as a committee reads it: names not tokens, the environment drawn, contents, provenance."""

from __future__ import annotations

import html
import re
import subprocess
import xml.etree.ElementTree as ET

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3

from omics_secure.compliance.datasheet import ENVIRONMENT_TITLE, build_datasheet, git_commit
from omics_secure.compliance.environment import build_environment
from omics_secure.compliance.names import Names
from omics_secure.inputs.assembly import read_assembly
from omics_secure.reporting.diagram import Graph, Group, Node, label_lines, render_mermaid, render_svg
from omics_secure.reporting.summary import render_html, render_markdown
from tests.harness import ENV
from tests.reporting.rendering import RENDERER, shown, table_rows

RAW_TOKENS = ("ref:", "${Token[", "Fn::", "arn:ref:", "{'Ref'", '{"Ref"')


def _visible_text(page: str) -> str:
    """The text a reader sees (tags and the SVG's attributes stripped), entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def reference_report(reference_app):
    sections = build_datasheet(reference_app.assembly_dir)
    return sections, render_html(sections), render_markdown(sections)


def test_the_reference_report_shows_no_raw_cloudformation_token(reference_report):
    _sections, page, markdown = reference_report
    for text in (_visible_text(page), page, shown(markdown)):
        found = [token for token in RAW_TOKENS if token in text]
        assert found == [], found
    assert "alias/omics-secure/OmicsSecurePrimary/DataKey" in shown(markdown)


def test_the_plain_language_summary_comes_first_and_answers_the_committee(reference_report):
    sections, page, _ = reference_report
    summary = sections[0]
    assert summary.title == "Summary"
    where, encrypted, who, until, logged = summary.bullets
    assert where.startswith("Where:") and "PhiData" in where and "replicated to" in where
    assert encrypted.startswith("How encrypted:") and "alias/omics-secure/OmicsSecurePrimary/DataKey" in encrypted
    assert who.startswith("Who:") and "phs000000.v1.p1" in who
    assert until.startswith("Until when:") and "until 2028-01-01" in until
    assert logged.startswith("What is logged:") and "all regions" in logged
    assert "by omics-secure " in summary.paragraphs[0] and "git commit" in summary.paragraphs[0]
    assert page.index('id="summary"') < page.index(f'id="{sections[1].anchor}"')


def test_contents_links_point_at_every_section_in_both_renderings(reference_report):
    sections, page, markdown = reference_report
    links = re.findall(r'<nav class="toc".*?</nav>', page, re.S)[0]
    targets = re.findall(r'href="#([^"]+)"', links)
    assert targets == [s.anchor for s in sections]
    assert all(f'id="{target}"' in page for target in targets)
    headings = [html.unescape(heading) for heading in re.findall(r"<h2>(.*?)</h2>", RENDERER.render(markdown))]
    assert all(f"](#{s.anchor})" in markdown and s.title in headings for s in sections)


def test_the_key_policy_of_the_data_key_reads_in_words(reference_report):
    sections, _, _ = reference_report
    (policies,) = [t for s in sections for t in s.tables if t.title == "Key policies"]
    rows = [row for row in policies.rows if row[0] == "alias/omics-secure/OmicsSecurePrimary/DataKey"]
    assert ("any principal in account 111122223333",
            "kms:Decrypt, kms:DescribeKey, kms:GenerateDataKey*",
            "only through HealthOmics (kms:ViaService omics.us-east-1.amazonaws.com), "
            "kms:CallerAccount 111122223333") in [row[1:] for row in rows]
    assert all(row[1] != "*" for row in policies.rows)


def test_the_environment_section_is_labelled_as_a_proposed_rule_not_a_control(reference_report):
    sections, page, markdown = reference_report
    (environment,) = [s for s in sections if s.title == ENVIRONMENT_TITLE]
    assert "proposed rule, not in force" in environment.note and "not a scored control" in environment.note
    assert "network map" in ENVIRONMENT_TITLE and "technology asset inventory" in ENVIRONMENT_TITLE
    (matrix,) = [t for s in sections if s.title == "Control matrix" for t in s.tables]
    assert not any("proposed" in " ".join(row).lower() for row in matrix.rows)
    assert "<svg" in page and "```mermaid\nflowchart TB" in markdown


def _svg_graph(svg: str) -> tuple[set[tuple[str, str]], set[tuple[str, str, str]]]:
    root = ET.fromstring(svg)
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g")]
    nodes = {(g.get("data-node") or "", g.get("data-kind") or "") for g in groups if g.get("class") == "node"}
    edges = {(g.get("data-source") or "", g.get("data-label") or "", g.get("data-target") or "")
             for g in groups if g.get("class") == "edge"}
    return nodes, edges


def _mermaid_graph(text: str) -> tuple[set[str], set[tuple[str, str, str]]]:
    nodes = set(re.findall(r"^\s*(\w+)\[\"", text, re.M))
    edges = set(re.findall(r'^\s*(\w+) -->\|"([^"|]+)"\| (\w+)$', text, re.M))
    return nodes, edges


def test_svg_and_mermaid_draw_the_same_nodes_and_edges(reference_app):
    stacks = read_assembly(reference_app.assembly_dir)
    graph, assets = build_environment(stacks, Names(stacks))
    svg_nodes, svg_edges = _svg_graph(render_svg(graph))
    mermaid_nodes, mermaid_edges = _mermaid_graph(render_mermaid(graph))
    assert {node for node, _kind in svg_nodes} == mermaid_nodes == {n.id for n in graph.nodes}
    assert svg_edges == mermaid_edges == {(e.source, e.label, e.target) for e in graph.edges}
    by_label = {(graph_node.label, graph_node.kind) for graph_node in graph.nodes}
    assert ("PhiData", "bucket") in by_label and ("DataKey", "key") in by_label
    ids = {(a.stack.name, a.logical_id): a.node.id for a in assets}
    phi, replica = ids[("OmicsSecurePrimary", "PhiDataE2352BFC")], ids[("OmicsSecureReplica", "PhiDataReplica7FD31539")]
    assert (phi, "replicates to", replica) in svg_edges
    assert (ids[("OmicsSecurePrimary", "DataKey17AFBB84")], "encrypts", phi) in svg_edges
    trail = ids[("OmicsSecurePrimary", "AuditTrailFF0F2BB5")]
    assert (trail, "logs to", ids[("OmicsSecurePrimary", "AuditTrailBucketA91FD435")]) in svg_edges
    kinds = [kind for _node, kind in svg_nodes]
    for resource_type, kind in (("AWS::S3::Bucket", "bucket"), ("AWS::KMS::Key", "key"),
                                ("AWS::EC2::Subnet", "subnet"), ("AWS::EC2::VPCEndpoint", "endpoint"),
                                ("AWS::CloudTrail::Trail", "trail")):
        expected = sum(1 for s in stacks for body in s.resources.values() if body["Type"] == resource_type)
        assert kinds.count(kind) == expected, kind
    # The example approval and collaborator, and the airlock's reviewers and administrators.
    assert kinds.count("approval") == 4


def test_an_ordinary_app_with_a_default_vpc_and_plain_buckets_is_drawn_and_named(app, stack):
    vpc = ec2.Vpc(stack, "Vpc")
    logs = s3.Bucket(stack, "Logs")
    data = s3.Bucket(stack, "Data", bucket_name="my-study-data", encryption=s3.BucketEncryption.KMS_MANAGED,
                     server_access_logs_bucket=logs)
    role = iam.Role(stack, "Analyst", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    data.grant_read(role)
    ec2.GatewayVpcEndpoint(stack, "S3Endpoint", vpc=vpc, service=ec2.GatewayVpcEndpointAwsService.S3)
    assembly = app.synth().directory
    stacks = read_assembly(assembly)
    graph, _ = build_environment(stacks, Names(stacks))
    kinds = [n.kind for n in graph.nodes]
    subnets = sum(1 for body in stacks[0].resources.values() if body["Type"] == "AWS::EC2::Subnet")
    nat_gateways = sum(1 for body in stacks[0].resources.values() if body["Type"] == "AWS::EC2::NatGateway")
    assert subnets >= 4 and nat_gateways >= 2  # the default VPC: public and private subnets, a NAT per zone
    assert kinds.count("bucket") == 2 and kinds.count("subnet") == subnets
    assert kinds.count("internet gateway") == 1 and kinds.count("NAT gateway") == nat_gateways
    assert "endpoint" in kinds
    labels = {n.label: n for n in graph.nodes}
    assert labels["Analyst"].kind == "role" and labels["Data"].detail == "S3 bucket"
    assert {(e.label, e.target) for e in graph.edges if e.source == labels["Data"].id} == {
        ("logs to", labels["Logs"].id)}
    public = [n for n in graph.nodes if n.kind == "subnet" and n.detail.startswith("public subnet")]
    assert len(public) == subnets // 2 and all(n.group.endswith("_vpc") for n in public)
    sections = build_datasheet(assembly)
    markdown, page = render_markdown(sections), render_html(sections)
    assert [token for token in RAW_TOKENS if token in shown(markdown) or token in _visible_text(page)] == []
    assert "| S3 bucket | my-study-data | us-east-1 | none |" in table_rows(markdown)
    assert "| my-study-data | aws:kms | AWS managed (aws/s3) |" in table_rows(markdown)
    svg_nodes, svg_edges = _svg_graph(render_svg(graph))
    assert _mermaid_graph(render_mermaid(graph)) == ({n for n, _ in svg_nodes}, svg_edges)


def test_every_compute_resource_is_in_the_inventory_and_in_its_vpc(app, stack):
    isolated = ec2.SubnetConfiguration(name="App", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0, subnet_configuration=[isolated])
    lambda_.Function(stack, "InVpc", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler",
                     code=lambda_.Code.from_inline("def handler(event, context):\n    return None"), vpc=vpc)
    lambda_.Function(stack, "Outside", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler",
                     code=lambda_.Code.from_inline("def handler(event, context):\n    return None"))
    ec2.Instance(stack, "Box", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"),
                 machine_image=ec2.MachineImage.generic_linux({"us-east-1": "ami-0123456789abcdef0"}))
    ecs.Cluster(stack, "Cluster", vpc=vpc)
    stacks = read_assembly(app.synth().directory)
    graph, assets = build_environment(stacks, Names(stacks))
    compute = {asset.name: asset.node for asset in assets if asset.node.lane == "compute"}
    types = {body["Type"] for body in stacks[0].resources.values()}
    expected = {"AWS::Lambda::Function", "AWS::EC2::Instance", "AWS::ECS::Cluster"}
    assert expected <= types
    assert {node.detail for node in compute.values()} == {"Lambda function", "EC2 instance", "ECS cluster"}
    vpc_group = next(group.id for group in graph.groups if group.id.endswith("_vpc"))
    in_vpc = {name for name, node in compute.items() if node.group == vpc_group}
    assert any("InVpc" in name for name in in_vpc) and any("Box" in name for name in in_vpc)
    assert not any("Outside" in name for name in in_vpc)
    assert "Compute" in render_svg(graph)


def test_an_app_without_an_environment_renders_an_empty_diagram(app, stack):
    iam.Role(stack, "Lonely", assumed_by=iam.AccountRootPrincipal())
    sections = build_datasheet(app.synth().directory)
    (environment,) = [s for s in sections if s.title == ENVIRONMENT_TITLE]
    assert environment.figure is not None and environment.figure.nodes == ()
    assert "<svg" in render_html(sections)
    assert "Where: this app has no S3 bucket" in sections[0].bullets[0]


def test_the_app_commit_is_read_from_its_git_checkout(tmp_path):
    assert git_commit(tmp_path) == "not a git checkout"
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, env=env)
    (tmp_path / "app.py").write_text("print('app')\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "app.py"], check=True, env=env)
    subprocess.run(["git", "-C", str(tmp_path), "commit", "-qm", "app"], check=True, env=env)
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert git_commit(tmp_path) == head
    (tmp_path / "app.py").write_text("print('changed')\n")
    assert git_commit(tmp_path) == f"{head} (with uncommitted changes)"


def test_the_report_states_the_commit_of_the_app_it_was_generated_from(app, stack, tmp_path):
    s3.Bucket(stack, "Data")
    assembly = app.synth().directory
    sections = build_datasheet(assembly, app_dir=tmp_path)
    (about,) = [s for s in sections if s.title == "About this report"]
    facts = dict(about.tables[0].rows)
    assert facts["app commit"] == "not a git checkout" and facts["tool"].startswith("omics-secure ")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d UTC", facts["generated"])


def test_the_page_breaks_long_names_has_a_print_stylesheet_and_links_nothing_outside(app, stack):
    s3.Bucket(stack, "Data", bucket_name="a-very-long-study-bucket-name-for-cohort-0001")
    page = render_html(build_datasheet(app.synth().directory))
    assert "a-<wbr>very-<wbr>long-<wbr>study-<wbr>bucket" in page and "<td>us-east-1</td>" in page
    assert "@media print{" in page and "max-width:1320px" in page
    assert not re.search(r"<(?:link|script|img)\b|@import|url\((?!#)", page)  # url(#arrow) is the SVG's own marker


def test_an_environment_agnostic_stack_says_so(tmp_path):
    from tests.harness import make_app

    agnostic = make_app(tmp_path / "agnostic")
    stack = cdk.Stack(agnostic, "Anywhere")
    s3.Bucket(stack, "Data")
    sections = build_datasheet(agnostic.synth().directory)
    (environment,) = [s for s in sections if s.title == ENVIRONMENT_TITLE]
    assert environment.figure is not None
    assert [g.label for g in environment.figure.groups] == [
        "Account (not set: environment-agnostic stack)", "Region not set"]
    assert ENV.account not in render_markdown(sections)


@pytest.mark.parametrize("label", [
    "Reads", "PipelinesComputeEnvironmentResource", "alias/omics-secure/OwnAppStack/DataKey",
    "OwnAppStack-ReadsAccessLogsBucket7F3A2B-1X2Y3Z4W5V6U", "a" * 70,
])
def test_a_node_label_is_drawn_whole_in_at_most_two_lines_that_fit_the_box(label):
    lines = label_lines(label)
    assert 1 <= len(lines) <= 2
    assert "".join(lines).replace(" ", "") == label.replace(" ", "")  # nothing cut
    assert all(len(line) <= 28 for line in lines[:-1])
    graph = Graph((Group("g", "Region us-east-1"),), (Node("n", label, "bucket", "data", "g", "S3 bucket"),), ())
    svg = ET.fromstring(render_svg(graph, title="t"))
    texts = [t for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.text in lines]
    assert [t.text for t in texts] == lines
    for text in texts:  # a line longer than the box holds is drawn narrower, to the box's width
        assert (text.get("textLength") is not None) == (len(text.text or "") > 28)
