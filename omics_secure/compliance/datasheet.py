"""The data-protection summary: what a Data Access Committee, an IRB or a HIPAA security officer reads.

It is generated from the synthesized app alone (templates and assembly metadata), so it describes
what will be deployed, not what someone remembers configuring: where the data lives, how it is
encrypted, who can reach it and from where, what is logged and alerted, how long it is kept, and a
control matrix that points each control at the rules and resources that evidence it or says that the
control is the user's own responsibility.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omics_secure._internal.tags import APPROVAL_ID_TAG, PROJECT_DUC_ENDS_TAG, PROJECT_ID_TAG
from omics_secure.compliance.approvals import APPROVAL_HEADERS, PEOPLE_RESPONSIBILITY, approval_of
from omics_secure.compliance.assembly import StackArtifact, read_assembly
from omics_secure.compliance.controls import CONTROLS, DBGAP, HIPAA, NIST_800_53, NIST_800_171
from omics_secure.compliance.costs import DESIGN_NOTES, USAGE_DESCRIPTIONS, fixed_costs, load_prices
from omics_secure.compliance.engine import evaluate_stacks, judge
from omics_secure.compliance.model import Pack, Resource, Rule, Status
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.rules._policy import allow_statements, as_list, condition_keys, principal_values
from omics_secure.reporting.summary import Section, Table
from omics_secure.reporting.validation_report import PackResult, read_validation_report

DATA_STORE_TYPES = {
    "AWS::S3::Bucket": "S3 bucket",
    "AWS::Omics::SequenceStore": "HealthOmics sequence store",
    "AWS::Omics::ReferenceStore": "HealthOmics reference store",
    "AWS::Omics::VariantStore": "HealthOmics variant store",
    "AWS::Omics::AnnotationStore": "HealthOmics annotation store",
    "AWS::HealthLake::FHIRDatastore": "HealthLake FHIR datastore",
}


@dataclass(frozen=True)
class _Located:
    stack: StackArtifact
    resource: Resource

    @property
    def path(self) -> str:
        return self.stack.construct_path(self.resource.logical_id)

    @property
    def region(self) -> str:
        return self.stack.region


def build_datasheet(assembly_dir: str | Path, *, pack: Pack = OMICS_SECURE_PACK) -> list[Section]:
    stacks = read_assembly(assembly_dir)
    located = [
        _Located(stack, Resource.from_template(logical_id, body, stack.resources))
        for stack in stacks
        for logical_id, body in stack.resources.items()
        if isinstance(body, Mapping)
    ]
    check = read_validation_report(assembly_dir)
    projects = _projects(located)
    return [
        _scope(stacks, check),
        *([projects] if projects is not None else []),
        _data_location(located),
        _encryption(located),
        _access(located),
        _approvals(located),
        _logging(located),
        _retention(located),
        _costs(stacks),
        _control_matrix(pack, stacks, located),
    ]


def _of_type(located: Iterable[_Located], *types: str) -> list[_Located]:
    return [item for item in located if item.resource.type in types]


def _scope(stacks: Sequence[StackArtifact], check: Sequence[PackResult]) -> Section:
    rows = tuple((s.name, s.account, s.region, str(len(s.resources))) for s in stacks)
    paragraphs = ["Generated from the synthesized CloudFormation templates: this is what will be deployed."]
    if check:
        open_count = sum(len(p.open_findings) for p in check)
        acknowledged = sum(len(p.acknowledged_findings) for p in check)
        paragraphs.append(f"Compliance check: {open_count} unacknowledged and {acknowledged} acknowledged "
                          f"finding(s) across {', '.join(p.name for p in check)}.")
    return Section("Scope", tuple(paragraphs), (Table("Stacks", ("stack", "account", "region", "resources"), rows),))


def _data_location(located: Sequence[_Located]) -> Section:
    rows = []
    for item in _of_type(located, *DATA_STORE_TYPES):
        properties = item.resource.properties
        replicas = [
            _text(rule.get("Destination", {}).get("Bucket"))
            for rule in as_list((properties.get("ReplicationConfiguration") or {}).get("Rules"))
            if isinstance(rule, Mapping)
        ]
        rows.append((DATA_STORE_TYPES[item.resource.type], item.path, item.region,
                     ", ".join(replicas) or "none"))
    table = Table("Data stores", ("kind", "resource", "region", "replicated to"), tuple(rows))
    return Section("Where the data lives", (), (table,))


def _encryption(located: Sequence[_Located]) -> Section:
    keys = _of_type(located, "AWS::KMS::Key")
    aliases = {_ref(a.resource.properties.get("TargetKeyId")): _text(a.resource.properties.get("AliasName"))
               for a in _of_type(located, "AWS::KMS::Alias")}
    key_rows = []
    for key in keys:
        properties = key.resource.properties
        rotation = (f"every {properties.get('RotationPeriodInDays', 365)} days"
                    if properties.get("EnableKeyRotation") is True else "OFF")
        services, principals = _key_policy_reach(properties.get("KeyPolicy"))
        users = sorted(item.path for item in located
                       if item is not key and key.resource.logical_id in _references(item.resource.properties)
                       and item.resource.type not in ("AWS::KMS::Alias", "AWS::IAM::Policy",
                                                      "AWS::IAM::ManagedPolicy"))
        key_rows.append((key.path, aliases.get(key.resource.logical_id, "-"), key.region, rotation,
                         f"{properties.get('PendingWindowInDays', 30)} days",
                         key.resource.deletion_policy or "Delete", ", ".join(services) or "-",
                         ", ".join(principals) or "-", ", ".join(users) or "-"))
    store_rows = [(item.path, *_store_encryption(item.resource)) for item in _of_type(located, *DATA_STORE_TYPES)]
    return Section("How it is encrypted", (
        "Keys are customer-managed KMS keys unless stated otherwise; 'services' are the AWS services the key "
        "policy lets use the key (kms:ViaService or service principal).",
    ), (
        Table("Keys", ("key", "alias", "region", "rotation", "deletion window", "on stack delete", "services",
               "principals", "used by"), tuple(key_rows)),
        Table("Data stores", ("data store", "encryption", "key"), tuple(store_rows)),
    ))


def _key_policy_reach(policy: Any) -> tuple[list[str], list[str]]:
    services: set[str] = set()
    principals: set[str] = set()
    for statement in allow_statements(policy):
        for value in condition_keys(statement).get("kms:viaservice", []):
            services.add(_text(value).split(".")[0])
        for kind, values in principal_values(statement).items():
            for value in values:
                if kind == "Service":
                    services.add(_text(value).split(".")[0])
                else:
                    principals.add(_text(value))
    return sorted(services), sorted(principals)


def _store_encryption(resource: Resource) -> tuple[str, str]:
    properties = resource.properties
    if resource.type == "AWS::S3::Bucket":
        rules = as_list((properties.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration"))
        for rule in rules:
            default = rule.get("ServerSideEncryptionByDefault", {}) if isinstance(rule, Mapping) else {}
            algorithm = default.get("SSEAlgorithm", "?")
            bucket_key = " + bucket key" if rule.get("BucketKeyEnabled") else ""
            return f"{algorithm}{bucket_key}", _text(default.get("KMSMasterKeyID")) or "AWS managed"
        return "SSE-S3 (S3 default)", "AWS owned"
    sse = properties.get("SseConfiguration")  # HealthLake nests KmsEncryptionConfig in SseConfiguration
    nested = sse.get("KmsEncryptionConfig") if isinstance(sse, Mapping) else None
    config = properties.get("SseConfig") or nested or properties.get("KmsEncryptionConfig") or {}
    if isinstance(config, Mapping) and config:
        kind = _text(config.get("Type") or config.get("CmkType"))
        return kind, _text(config.get("KeyArn") or config.get("KmsKeyId")) or "-"
    return "service-owned key", "AWS owned"


def _access(located: Sequence[_Located]) -> Section:
    roles = []
    policies = _of_type(located, "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
    for role in _of_type(located, "AWS::IAM::Role"):
        trusted = sorted({_text(v) for s in allow_statements(role.resource.properties.get("AssumeRolePolicyDocument"))
                          for values in principal_values(s).values() for v in values})
        reach = sorted({
            target.path for policy in policies
            if role.resource.logical_id in _references(policy.resource.properties.get("Roles"))
            for target in located
            if target.resource.type in (*DATA_STORE_TYPES, "AWS::KMS::Key")
            and target.resource.logical_id in _references(policy.resource.properties.get("PolicyDocument"))
        })
        roles.append((role.path, ", ".join(trusted) or "-", ", ".join(reach) or "-"))
    network = []
    for vpc in _of_type(located, "AWS::EC2::VPC"):
        vpc_id = vpc.resource.logical_id
        attached = [item for item in located if vpc_id in _references(item.resource.properties)]
        gateways = [i.resource.type.split("::")[-1] for i in attached
                    if i.resource.type in ("AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment",
                                           "AWS::EC2::NatGateway")]
        endpoints = sorted(_text(i.resource.properties.get("ServiceName")).split(".")[-1]
                           for i in attached if i.resource.type == "AWS::EC2::VPCEndpoint")
        flow_logs = [i for i in attached if i.resource.type == "AWS::EC2::FlowLog"]
        network.append((vpc.path, vpc.region, "yes" if gateways else "no", ", ".join(endpoints) or "-",
                        "yes" if flow_logs else "no"))
    return Section("Who can reach it, and from where", (
        "Roles list who may assume them and which data stores and keys their policies name. Access through "
        "the account administration statement of a key is governed by IAM policies outside this app.",
    ), (
        Table("Roles", ("role", "trusted principals", "data stores and keys in its policies"), tuple(roles)),
        Table("Networks", ("VPC", "region", "internet or NAT gateway", "VPC endpoints", "flow logs"), tuple(network)),
    ))


def _approvals(located: Sequence[_Located], today: datetime.date | None = None) -> Section:
    """Every approved access (omics_secure.access): who, what, from where, and until when."""
    today = today or datetime.datetime.now(datetime.UTC).date()
    approvals = [a for item in _of_type(located, "AWS::IAM::Role", "AWS::S3::AccessPoint")
                 if (a := approval_of(item.resource, item.path, item.region)) is not None]
    return Section("Approved access (Data Access Committee approvals)", (PEOPLE_RESPONSIBILITY,), (
        Table("Approvals", APPROVAL_HEADERS, tuple(a.row(today) for a in approvals)),))


def _projects(located: Sequence[_Located], today: datetime.date | None = None) -> Section | None:
    """Every project of an organization app (resources tagged ``omics-secure:project``): its accounts, regions
    and Data Use Certification end date; None for an app that declares no project."""
    today = today or datetime.datetime.now(datetime.UTC).date()
    found: dict[str, dict[str, set[str]]] = {}
    for item in located:
        tags = {str(t.get("Key")): t.get("Value") for t in as_list(item.resource.properties.get("Tags"))
                if isinstance(t, Mapping)} if isinstance(item.resource.properties.get("Tags"), list) else {}
        project = tags.get(PROJECT_ID_TAG)
        if not isinstance(project, str):
            continue
        entry = found.setdefault(project, {"accounts": set(), "regions": set(), "ends": set(), "approvals": set()})
        entry["accounts"].add(item.stack.account)
        entry["regions"].add(item.region)
        if isinstance(tags.get(PROJECT_DUC_ENDS_TAG), str):
            entry["ends"].add(str(tags[PROJECT_DUC_ENDS_TAG]))
        if isinstance(tags.get(APPROVAL_ID_TAG), str):
            entry["approvals"].add(str(tags[APPROVAL_ID_TAG]))
    if not found:
        return None
    rows = []
    for project, entry in sorted(found.items()):
        ends = ", ".join(sorted(entry["ends"])) or "no end date"
        try:
            days = (datetime.date.fromisoformat(ends) - today).days
            left = str(days) if days > 0 else "ended: close the project out"
        except ValueError:
            left = "-"
        rows.append((project, ", ".join(sorted(entry["accounts"])), ", ".join(sorted(entry["regions"])), ends, left,
                     ", ".join(sorted(entry["approvals"])) or "none"))
    return Section("Projects", (
        "One environment per controlled-access project, each in its own account. At the DUC end date the "
        "controlled data is deleted and only encrypted copies of the minimum data the institution requires are "
        "kept (the AWS genomic data security whitepaper, 'Cleaning Up Data and Retaining Results').",), (
        Table("Projects", ("project", "accounts", "regions", "DUC ends", "days left", "approvals"), tuple(rows)),))


def _logging(located: Sequence[_Located]) -> Section:
    trails = []
    for trail in _of_type(located, "AWS::CloudTrail::Trail"):
        properties = trail.resource.properties
        data_events = sum(len(as_list(s.get("DataResources"))) for s in as_list(properties.get("EventSelectors"))
                          if isinstance(s, Mapping))
        data_events += len(as_list(properties.get("AdvancedEventSelectors")))
        trails.append((trail.path, _yes(properties.get("IsMultiRegionTrail")),
                       _yes(properties.get("EnableLogFileValidation")), _yes("KMSKeyId" in properties),
                       str(data_events)))
    log_groups = [(g.path, str(g.resource.properties.get("RetentionInDays", "never expires")),
                   _yes("KmsKeyId" in g.resource.properties)) for g in _of_type(located, "AWS::Logs::LogGroup")]
    alerts = [(a.path, a.resource.type.split("::", 1)[1],
               _text(a.resource.properties.get("AlarmName") or a.resource.properties.get("Description") or ""))
              for a in _of_type(located, "AWS::CloudWatch::Alarm", "AWS::Events::Rule")]
    services = [(r.path, label) for types, label in (
        (("AWS::Config::ConfigurationRecorder",), "AWS Config recorder"),
        (("AWS::Config::ConfigRule",), "AWS Config rule"),
        (("AWS::Macie::Session",), "Amazon Macie"),
    ) for r in _of_type(located, *types)]
    paragraphs = () if services else (
        "No AWS Config recorder or Amazon Macie session is in this app: both are account-level services; say "
        "whether your organization runs them.",)
    return Section("What is logged and alerted", paragraphs, (
        Table("Account services", ("resource", "service"), tuple(services)),
        Table("Trails", ("trail", "all regions", "log file validation", "KMS-encrypted", "data event selectors"),
              tuple(trails)),
        Table("Log groups", ("log group", "retention (days)", "KMS-encrypted"), tuple(log_groups)),
        Table("Alarms and event rules", ("alert", "kind", "description"), tuple(alerts)),
    ))


def _retention(located: Sequence[_Located]) -> Section:
    rows = []
    for bucket in _of_type(located, "AWS::S3::Bucket"):
        properties = bucket.resource.properties
        lock = (properties.get("ObjectLockConfiguration") or {}).get("Rule", {}).get("DefaultRetention", {})
        lock_text = (f"{lock.get('Mode')} {lock.get('Days') or lock.get('Years')} "
                     f"{'days' if 'Days' in lock else 'years'}") if lock else "none"
        expiries = sorted({
            _text(rule.get("ExpirationDate") or (f"{rule['ExpirationInDays']} days" if "ExpirationInDays" in rule
                                                  else ""))
            for rule in as_list((properties.get("LifecycleConfiguration") or {}).get("Rules"))
            if isinstance(rule, Mapping) and rule.get("Status") == "Enabled"
        } - {""})
        rows.append((bucket.path, _yes((properties.get("VersioningConfiguration") or {}).get("Status") == "Enabled"),
                     lock_text, ", ".join(expiries) or "never", bucket.resource.deletion_policy or "Delete"))
    return Section("How long it is kept", (
        "Close-out: controlled-access data must be deleted when the data-use agreement ends; an expiry date "
        "below is that date. Object-lock retention that outlives it blocks deletion until it ends.",
    ), (Table("Buckets", ("bucket", "versioning", "object lock", "current versions expire", "on stack delete"),
              tuple(rows)),))


def _costs(stacks: Sequence[StackArtifact]) -> Section:
    prices = load_prices()
    lines = fixed_costs(stacks, prices)
    total = sum(line.monthly for line in lines)
    fixed_rows = tuple((line.item, str(line.count), line.unit, f"{line.monthly:,.2f}") for line in lines)
    usage_rows = tuple((description, str(prices.usage[key])) for key, description in USAGE_DESCRIPTIONS.items()
                       if key in prices.usage)
    return Section("What it costs (estimate)", (
        f"Fixed monthly cost about {prices.currency} {total:,.2f}, from public list prices for {prices.region} as "
        f"of {prices.as_of} ({prices.hours_per_month} hours a month); other regions differ. Storage, HealthOmics "
        "and HealthLake charges depend on data volume and are not included.",
        *DESIGN_NOTES,
    ), (
        Table("Fixed", ("item", "count", f"unit price ({prices.currency})", "monthly"), fixed_rows),
        Table("Usage-based", ("item", f"unit price ({prices.currency})"), usage_rows),
    ))


def _control_matrix(pack: Pack, stacks: Sequence[StackArtifact], located: Sequence[_Located]) -> Section:
    findings = evaluate_stacks(pack, stacks)
    judged: dict[str, int] = {}
    for rule in pack.rules:
        judged[rule.id] = sum(1 for item in located if judge(rule, item.resource).status is not Status.NOT_APPLICABLE)
    rows = []
    for control in CONTROLS:
        rules = [rule for rule in pack.rules if control.id in _controls_of(rule, control.framework)]
        evidence = []
        for rule in rules:
            if judged[rule.id]:
                failing = sum(1 for f in findings if f.rule.id == rule.id and f.acknowledgment is None
                              and f.status is Status.NON_COMPLIANT)
                verdict = f"{failing} {'warning(s)' if rule.severity == 'warning' else 'failing'}"
                evidence.append(f"{pack.qualified_id(rule)}: {judged[rule.id]} resource(s), "
                                f"{'all pass' if not failing else verdict}")
        responsibility = control.user_responsibility or (
            "" if evidence else "not evidenced by this app: the user's responsibility")
        rows.append((control.framework, control.id, control.title, "; ".join(evidence) or "-",
                     responsibility or "-"))
    return Section("Control matrix", (
        f"Evidence is the {pack.name} rules that judged resources of this app. cdk-nag's HIPAA.Security, "
        "NIST.800.53.R5 and AwsSolutions packs run beside them in 'omics-secure check'.",
    ), (Table("Controls", ("framework", "control", "title", "evidence", "user's responsibility"), tuple(rows)),))


def _controls_of(rule: Rule, framework: str) -> tuple[str, ...]:
    return {
        HIPAA: rule.controls.hipaa,
        NIST_800_53: rule.controls.nist_800_53_r5,
        NIST_800_171: rule.controls.nist_800_171_r2,
        DBGAP: rule.controls.dbgap,
    }[framework]


def _references(value: Any) -> set[str]:
    """Logical ids named by Ref or Fn::GetAtt anywhere inside ``value``."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        if "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value and isinstance(value["Fn::GetAtt"], list) and value["Fn::GetAtt"]:
            found.add(str(value["Fn::GetAtt"][0]))
        for inner in value.values():
            found |= _references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _references(inner)
    return found


def _ref(value: Any) -> str:
    references = _references(value)
    return next(iter(references)) if references else _text(value)


def _text(value: Any) -> str:
    """A readable rendering of a template value: literals as they are, intrinsics by what they name."""
    if value is None:
        return ""
    if isinstance(value, str | int | float | bool):
        return str(value)
    if isinstance(value, Mapping):
        if "Ref" in value:
            return f"ref:{value['Ref']}"
        if "Fn::GetAtt" in value:
            return "ref:" + ".".join(map(str, as_list(value["Fn::GetAtt"])))
        if "Fn::Join" in value and isinstance(value["Fn::Join"], list) and len(value["Fn::Join"]) == 2:
            separator, parts = value["Fn::Join"]
            return str(separator).join(_text(p) for p in as_list(parts))
        if "Fn::Sub" in value:
            return _text(as_list(value["Fn::Sub"])[0])
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _yes(value: Any) -> str:
    return "yes" if value is True else "no"


def controls_without_catalogue_entry(pack: Pack) -> list[tuple[str, str]]:
    """(rule id, control id) pairs whose control is not in the catalogue: a mapping typo to fix."""
    known = {(c.framework, c.id) for c in CONTROLS}
    return [(rule.id, control_id) for rule in pack.rules
            for framework in (HIPAA, NIST_800_53, NIST_800_171, DBGAP)
            for control_id in _controls_of(rule, framework) if (framework, control_id) not in known]

