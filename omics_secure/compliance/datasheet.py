"""The data-protection summary: what a Data Access Committee, an IRB or a HIPAA security officer reads.

It is generated from the synthesized app alone (templates and assembly metadata), so it describes
what will be deployed, not what someone remembers configuring: a plain-language summary first, then the
environment drawn (also the network map and technology asset inventory of the proposed HIPAA Security
Rule update), where the data lives, how it is encrypted (key policies in words), who can reach it and
from where, the approvals and until when they run, what is logged and alerted, how long it is kept, and
a control matrix that points each control at the rules and resources that evidence it or says that the
control is the user's own responsibility. Resources are named as a reader knows them (bucket names, key
aliases, role names), never by CloudFormation token.
"""

from __future__ import annotations

import datetime
import functools
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

from omics_secure._internal.tags import APPROVAL_ID_TAG, PROJECT_DUC_ENDS_TAG, PROJECT_ID_TAG
from omics_secure.compliance.access_section import (
    APPROVAL_HEADERS,
    PEOPLE_RESPONSIBILITY,
    Access,
    Approval,
    approvals,
    role_rows,
    store_rows,
    trust_words,
)
from omics_secure.compliance.airlock_report import airlock_section
from omics_secure.compliance.controls import (
    CONTROLS,
    DBGAP,
    FRAMEWORKS,
    HIPAA,
    NIST_800_53,
    NIST_800_171,
    NIST_800_171_R3,
)
from omics_secure.compliance.costs import DESIGN_NOTES, USAGE_DESCRIPTIONS, fixed_costs, load_prices
from omics_secure.compliance.engine import Finding, evaluate_stacks, judge
from omics_secure.compliance.environment import DATA_STORE_TYPES, Asset, build_environment, references
from omics_secure.compliance.model import Pack, Resource, Rule, Status, TemplateIndex
from omics_secure.compliance.names import Names
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.rules._policy import as_list
from omics_secure.inputs.assembly import StackArtifact, read_assembly
from omics_secure.inputs.values import TemplateValues
from omics_secure.policy.access import access as access_listing
from omics_secure.policy.documents import Statement
from omics_secure.policy.extract import KEY, read_environment
from omics_secure.policy.matching import readable
from omics_secure.policy.words import service_name, statement_words
from omics_secure.reporting.diagram import Graph
from omics_secure.reporting.summary import Section, Table
from omics_secure.reporting.validation_report import PackResult, read_validation_report

ENVIRONMENT_TITLE = "Environment: network map and technology asset inventory"
PROPOSED_RULE_NOTE = (
    "HHS's proposed update to the HIPAA Security Rule (notice of proposed rulemaking, 90 FR 898, 6 January "
    "2025: https://www.federalregister.gov/documents/2025/01/06/2024-30983/hipaa-security-rule-to-strengthen-"
    "the-cybersecurity-of-electronic-protected-health-information) would require a technology asset inventory "
    "and a network map of the systems holding ePHI. It is a proposed rule, not in force: this section is offered "
    "as that map and inventory for what this app deploys, and it is not a scored control."
)


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

    @functools.cached_property
    def named(self) -> set[str]:
        """The logical ids the resource's properties name, computed once (the summary asks for every pair)."""
        return references(self.resource.properties)


@dataclass(frozen=True)
class Provenance:
    """When, by which version of the tool and from which commit of the app the summary was generated."""

    generated: datetime.datetime
    tool_version: str
    commit: str

    @classmethod
    def of(cls, app_dir: str | Path, now: datetime.datetime | None = None) -> Provenance:
        return cls(now or datetime.datetime.now(datetime.UTC).replace(microsecond=0), _tool_version(),
                   git_commit(app_dir))


def _tool_version() -> str:
    try:
        return metadata.version("omics-secure")
    except metadata.PackageNotFoundError:
        return "unknown (not installed as a package)"


def git_commit(directory: str | Path) -> str:
    """The commit checked out in ``directory`` ("+ uncommitted changes" when dirty), or why there is none."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(directory), *args], capture_output=True, text=True,
                                  timeout=20, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return "not a git checkout"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{commit} (with uncommitted changes)" if dirty else commit


def build_datasheet(assembly_dir: str | Path, *, pack: Pack = OMICS_SECURE_PACK,
                    app_dir: str | Path | None = None, provenance: Provenance | None = None,
                    check: Sequence[PackResult] | None = None) -> list[Section]:
    """The summary's sections. ``app_dir`` is where the app's git commit is read (default: the assembly's
    parent directory, where ``cdk synth`` writes ``cdk.out``). ``check`` is the packs' results with their
    acknowledgments decided (``omics_secure.compliance.check.run_check``); default: the app's validation report
    as CDK wrote it."""
    assembly_dir = Path(assembly_dir)
    stacks = read_assembly(assembly_dir)
    located = []
    for stack in stacks:  # one index and one value layer per template, shared by its resources
        index, values = TemplateIndex(stack.resources), TemplateValues(stack.template, stack.parameters)
        located += [_Located(stack, Resource.from_template(logical_id, body, stack.resources, index, values, stack))
                    for logical_id, body in stack.resources.items() if isinstance(body, Mapping)]
    names = Names(stacks)
    graph, assets = build_environment(stacks, names)
    check = list(check) if check is not None else read_validation_report(assembly_dir)
    provenance = provenance or Provenance.of(app_dir if app_dir is not None else assembly_dir.resolve().parent)
    environment = read_environment(stacks)
    evaluated = Access(stacks, names, environment, access_listing(environment))
    approved = approvals(evaluated)
    projects = _projects(located)
    airlock = airlock_section(stacks, names)
    return [
        _plain_summary(located, names, approved, provenance, evaluated),
        _environment(graph, assets, names),
        *([projects] if projects is not None else []),
        _data_location(located, names),
        _encryption(located, names, evaluated),
        _access(located, names, evaluated),
        _approvals(approved),
        *([airlock] if airlock is not None else []),
        _logging(located, names),
        _retention(located, names),
        _recovery(located, names),
        _costs(stacks),
        _control_matrix(pack, stacks, located, names, check),
        _accepted_risks(check),
        _scope(stacks, check, provenance),
    ]


def _of_type(located: Iterable[_Located], *types: str) -> list[_Located]:
    return [item for item in located if item.resource.type in types]


def _name(names: Names, item: _Located) -> str:
    return names.name(item.stack, item.resource.logical_id)


def _listing(items: Sequence[str], limit: int = 8) -> str:
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def _plain_summary(located: Sequence[_Located], names: Names, approvals: Sequence[Approval],
                   provenance: Provenance, evaluated: Access) -> Section:
    """Five sentences a committee member reads first: where, how encrypted, who, until when, what is logged."""
    stores = _of_type(located, *DATA_STORE_TYPES)
    accounts = sorted({item.stack.account for item in stores})
    regions = sorted({item.region for item in stores})
    where = (f"Where: {len(stores)} data store(s) in AWS account {', '.join(accounts)}, region(s) "
             f"{', '.join(regions)}: " + _listing([f"{_name(names, s)} ({DATA_STORE_TYPES[s.resource.type]})"
                                                   for s in stores]) + "." if stores
             else "Where: this app has no S3 bucket, HealthOmics store or HealthLake datastore.")
    replicas = [f"{_name(names, s)} is replicated to {target}" for s in _of_type(stores, "AWS::S3::Bucket")
                for target in _replicas(s, names)]
    if replicas:
        where += " " + "; ".join(replicas) + "."
    by_key: dict[str, list[str]] = {}
    by_aws_key: dict[str, list[str]] = {}
    rotation: dict[str, str] = {}
    for store in stores:
        algorithm, key = _store_encryption(store, names)
        if key in (AWS_OWNED, AWS_MANAGED, "-"):
            by_aws_key.setdefault(_aws_key_words(algorithm, key), []).append(_name(names, store))
            continue
        by_key.setdefault(key, []).append(_name(names, store))
        # The rotation of the key this store names; a key from outside the app (an imported ARN) has one this
        # app does not set.
        found = _key_of(store, located, names)
        rotation.setdefault(key, _rotation(found.resource.properties) if found else "not set in this app")
    encrypted = (f"How encrypted: {sum(len(v) for v in by_key.values())} of {len(stores)} data store(s) with "
                 "customer-managed KMS keys"
                 + (" (" + "; ".join(f"{key}, key rotation {rotation[key]}: {_listing(v, 4)}"
                                     for key, v in by_key.items()) + ")" if by_key else ""))
    encrypted += ("; " + "; ".join(f"{_listing(v, 4)} with {words}" for words, v in by_aws_key.items())
                  + "; no key policy of this app governs those keys." if by_aws_key else ".")
    if not stores:
        encrypted = "How encrypted: no data store to encrypt."
    roles = [a for a in evaluated.environment.actors if a.kind == "role" and any(
        store.type != KEY for store, _, _ in evaluated.grants_of(a.name))]
    services = sorted({who for r in roles if not r.approval for who in trust_words(r, evaluated.render)})
    who = (f"Who: {len(approvals)} approved access(es) (Data Access Committee approvals, listed below)"
           + (": " + "; ".join(f"{a.approval_id} for {a.who}" for a in approvals) if approvals else "")
           + f". {len(roles)} role(s) can reach data, assumed by: {_listing(services, 6) or 'nobody'}.")
    today = provenance.generated.date()
    until = ("Until when: " + "; ".join(
        f"{a.approval_id} ({a.kind}) until {a.ends.isoformat()} ({(a.ends - today).days} days from the report date)"
        if a.ends else f"{a.approval_id} ({a.kind}) has NO end date" for a in approvals) + "."
        if approvals else "Until when: no approval is in this app, so no approval expires.")
    expiring = [f"{_name(names, b)} expires current objects {', '.join(_expiries(b, names))}"
                for b in _of_type(located, "AWS::S3::Bucket") if _expiries(b, names)]
    if expiring:
        until += " " + "; ".join(expiring) + "."
    trails = _of_type(located, "AWS::CloudTrail::Trail")
    trail_text = "; ".join(
        f"{_name(names, t)} records API calls "
        f"{'in all regions' if t.resource.properties.get('IsMultiRegionTrail') is True else 'in its region'}"
        f"{', with log file validation' if t.resource.properties.get('EnableLogFileValidation') is True else ''}"
        f", {_data_events(t.resource.properties)} data-event selector(s)" for t in trails)
    groups = _of_type(located, "AWS::Logs::LogGroup")
    kept = sorted({str(g.resource.properties.get("RetentionInDays", "never-expiring")) for g in groups})
    alerts = _of_type(located, "AWS::CloudWatch::Alarm", "AWS::Events::Rule")
    flow = _of_type(located, "AWS::EC2::FlowLog")
    logged = ("What is logged: " + (trail_text or "no CloudTrail trail in this app")
              + f"; {len(groups)} log group(s)" + (f" kept {', '.join(kept)} days" if groups else "")
              + f"; VPC flow logs {'on' if flow else 'not in this app'}; {len(alerts)} alarm(s) and event rule(s).")
    return Section("Summary", (
        f"Generated on {provenance.generated.isoformat().replace('+00:00', ' UTC')} by omics-secure "
        f"{provenance.tool_version} from the synthesized templates of the app at git commit {provenance.commit}. "
        "It describes what will be deployed.",
    ), bullets=(where, encrypted, who, until, logged))


def _environment(graph: Graph, assets: Sequence[Asset], names: Names) -> Section:
    encrypts: dict[str, list[str]] = {}
    by_id = {asset.node.id: asset for asset in assets}
    for edge in graph.edges:
        if edge.label == "encrypts":
            encrypts.setdefault(edge.source, []).append(by_id[edge.target].name)
    rows = tuple((asset.name, asset.node.detail or asset.node.kind, asset.stack.account, asset.stack.region,
                  ", ".join(encrypts.get(asset.node.id, [])) or "-", asset.construct_path) for asset in assets)
    return Section(ENVIRONMENT_TITLE, (
        "Drawn from the synthesized templates: accounts and regions, each VPC with its subnets, endpoints and "
        "gateways, the compute that runs code (Batch, Lambda, EC2, ECS), the data stores, the KMS keys and what "
        "each encrypts, the roles and approvals whose policies "
        "name a data store, and the audit trail. Arrows: replication, encryption, access and log delivery.",
    ), (Table("Technology asset inventory", ("asset", "what it is", "account", "region", "encrypts",
                                             "construct path"), rows),),
        figure=graph, note=PROPOSED_RULE_NOTE)


def _scope(stacks: Sequence[StackArtifact], check: Sequence[PackResult], provenance: Provenance) -> Section:
    rows = tuple((s.name, s.account, s.region, str(len(s.resources))) for s in stacks)
    paragraphs = ["Generated from the synthesized CloudFormation templates: this is what will be deployed."]
    if check:
        open_count = sum(len(p.open_findings) for p in check)
        acknowledged = sum(len(p.acknowledged_findings) for p in check)
        paragraphs.append(f"Compliance check: {open_count} unacknowledged and {acknowledged} acknowledged "
                          f"finding(s) across {', '.join(p.name for p in check)}.")
    about = (("generated", provenance.generated.isoformat().replace("+00:00", " UTC")),
             ("tool", f"omics-secure {provenance.tool_version}"), ("app commit", provenance.commit))
    return Section("About this report", tuple(paragraphs), (
        Table("Report", ("item", "value"), about),
        Table("Stacks", ("stack", "account", "region", "resources"), rows)))


def _replicas(item: _Located, names: Names) -> list[str]:
    found = []
    for rule in as_list((item.resource.properties.get("ReplicationConfiguration") or {}).get("Rules")):
        destination = rule.get("Destination", {}) if isinstance(rule, Mapping) else {}
        bucket = destination.get("Bucket") if isinstance(destination, Mapping) else None
        literal = names.resolve_literal(bucket) if isinstance(bucket, str) else None
        if literal is not None:
            stack = names.stack(literal[0])
            found.append(f"{names.name(stack, literal[1])} ({stack.region})")
        else:
            found.append(names.text(bucket, item.stack))
    return found


def _data_location(located: Sequence[_Located], names: Names) -> Section:
    rows = []
    for item in _of_type(located, *DATA_STORE_TYPES):
        rows.append((DATA_STORE_TYPES[item.resource.type], _name(names, item), item.region,
                     ", ".join(_replicas(item, names)) or "none"))
    table = Table("Data stores", ("kind", "name", "region", "replicated to"), tuple(rows))
    return Section("Where the data lives", (), (table,))


def _rotation(properties: Mapping[str, Any]) -> str:
    return (f"every {properties.get('RotationPeriodInDays', 365)} days"
            if properties.get("EnableKeyRotation") is True else "OFF")


def _encryption(located: Sequence[_Located], names: Names, evaluated: Access) -> Section:
    keys = _of_type(located, "AWS::KMS::Key")
    key_rows = []
    policy_rows = []
    for key in keys:
        properties = key.resource.properties
        store = next((s for s in evaluated.environment.stores
                      if s.stack == key.stack.name and s.logical_id == key.resource.logical_id), None)
        statements = store.policy.statements if store is not None and store.policy is not None else ()
        services = _key_services(statements)
        users = sorted(names.phrase(item.stack, item.resource.logical_id) for item in located
                       if item is not key and item.stack is key.stack
                       and key.resource.logical_id in item.named
                       and item.resource.type not in ("AWS::KMS::Alias", "AWS::IAM::Policy",
                                                      "AWS::IAM::ManagedPolicy", "AWS::IAM::Role",
                                                      "AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy"))
        key_rows.append((_name(names, key), key.region, _rotation(properties),
                         f"{properties.get('PendingWindowInDays', 30)} days",
                         key.resource.deletion_policy or "Delete", ", ".join(services) or "-",
                         ", ".join(users) or "-"))
        for statement in statements:
            if statement.allows:
                policy_rows.append((_name(names, key), *statement_words(statement, evaluated.render)))
    store_rows = [(_name(names, item), *_store_encryption(item, names))
                  for item in _of_type(located, *DATA_STORE_TYPES)]
    return Section("How it is encrypted", (
        "Keys are customer-managed KMS keys unless stated otherwise; 'services' are the AWS services the key "
        "policy lets use the key (kms:ViaService or service principal). Each key-policy statement is listed with "
        "the conditions that limit it: a principal 'in account N' is limited further by the account's IAM "
        "policies and by the conditions shown.",
    ), (
        Table("Keys", ("key", "region", "rotation", "deletion window", "on stack delete", "services",
                       "encrypts"), tuple(key_rows)),
        Table("Key policies", ("key", "who", "may", "only when"), tuple(policy_rows)),
        Table("Data stores", ("data store", "encryption", "key"), tuple(store_rows)),
    ))


def _key_services(statements: Sequence[Statement]) -> list[str]:
    """The services a key policy lets use the key: through kms:ViaService, or as a service principal."""
    services: set[str] = set()
    for statement in statements:
        if not statement.allows:
            continue
        for condition in statement.conditions:
            if condition.key.lower() == "kms:viaservice":
                services.update(service_name(readable(value)) for value in condition.values)
        services.update(service_name(value) for kind, value in statement.principals or () if kind == "Service")
    return sorted(services)


AWS_OWNED, AWS_MANAGED = "AWS owned", "AWS managed (aws/s3)"
"""The key column of a store AWS's keys encrypt. SSE-S3, whether the bucket names AES256 or sets nothing (S3's
default), uses S3-managed keys, which are AWS owned keys; SSE-KMS or DSSE-KMS without a key id uses the AWS
managed key aws/s3 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingServerSideEncryption.html,
https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-mgmt)."""
SSE_S3 = "SSE-S3"


def _store_encryption(item: _Located, names: Names) -> tuple[str, str]:
    """(how the store is encrypted, by which key) as the Data stores table shows them."""
    properties = item.resource.properties

    def text(value: Any) -> str:
        return names.text(value, item.stack)

    if item.resource.type == "AWS::S3::Bucket":
        rules = as_list((properties.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration"))
        for rule in rules:
            default = rule.get("ServerSideEncryptionByDefault", {}) if isinstance(rule, Mapping) else {}
            algorithm = default.get("SSEAlgorithm", "?")
            if algorithm == "AES256":
                return f"{SSE_S3} (AES256)", AWS_OWNED
            bucket_key = " + bucket key" if rule.get("BucketKeyEnabled") else ""
            return f"{algorithm}{bucket_key}", text(default.get("KMSMasterKeyID")) or AWS_MANAGED
        return f"{SSE_S3} (S3 default)", AWS_OWNED
    sse = properties.get("SseConfiguration")  # HealthLake nests KmsEncryptionConfig in SseConfiguration
    nested = sse.get("KmsEncryptionConfig") if isinstance(sse, Mapping) else None
    config = properties.get("SseConfig") or nested or properties.get("KmsEncryptionConfig") or {}
    if isinstance(config, Mapping) and config:
        kind = text(config.get("Type") or config.get("CmkType"))
        return kind, text(config.get("KeyArn") or config.get("KmsKeyId")) or "-"
    return "service-owned key", AWS_OWNED


def _key_value(item: _Located) -> Any:
    """The template value naming the KMS key a store is encrypted under (None when it names none)."""
    properties = item.resource.properties
    if item.resource.type == "AWS::S3::Bucket":
        for rule in as_list((properties.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration")):
            default = rule.get("ServerSideEncryptionByDefault", {}) if isinstance(rule, Mapping) else {}
            return default.get("KMSMasterKeyID") if isinstance(default, Mapping) else None
        return None
    sse = properties.get("SseConfiguration")
    nested = sse.get("KmsEncryptionConfig") if isinstance(sse, Mapping) else None
    config = properties.get("SseConfig") or nested or properties.get("KmsEncryptionConfig") or {}
    return (config.get("KeyArn") or config.get("KmsKeyId")) if isinstance(config, Mapping) else None


def _key_of(item: _Located, located: Sequence[_Located], names: Names) -> _Located | None:
    """The key of the app a store is encrypted under: referenced in its own stack, or named by a literal ARN or
    alias; None for a key from outside the app."""
    value = _key_value(item)
    keys = _of_type(located, "AWS::KMS::Key")
    referenced = references(value) if value is not None else set()
    found = next((k for k in keys if k.stack is item.stack and k.resource.logical_id in referenced), None)
    if found is None and isinstance(value, str) and (literal := names.resolve_literal(value)) is not None:
        found = next((k for k in keys if (k.stack.name, k.resource.logical_id) == literal), None)
    return found


def _aws_key_words(algorithm: str, key: str) -> str:
    """How the summary names the encryption of stores under AWS's keys, one phrase per kind."""
    if algorithm.startswith(SSE_S3):
        return f"{SSE_S3} (S3-managed keys, AWS owned)"
    if key == AWS_MANAGED:
        return f"{algorithm.split(' + ')[0]} under the AWS managed key aws/s3"
    return "keys AWS owns or manages"


def _access(located: Sequence[_Located], names: Names, evaluated: Access) -> Section:
    network = []
    for vpc in _of_type(located, "AWS::EC2::VPC"):
        vpc_id = vpc.resource.logical_id
        attached = [item for item in located if item.stack is vpc.stack
                    and vpc_id in item.named]
        gateways = [i.resource.type.split("::")[-1] for i in attached
                    if i.resource.type in ("AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment",
                                           "AWS::EC2::NatGateway")]
        endpoints = sorted(names.text(i.resource.properties.get("ServiceName"), i.stack).split(".")[-1]
                           for i in attached if i.resource.type == "AWS::EC2::VPCEndpoint")
        flow_logs = [i for i in attached if i.resource.type == "AWS::EC2::FlowLog"]
        network.append((_name(names, vpc), vpc.region, "yes" if gateways else "no", ", ".join(endpoints) or "-",
                        "yes" if flow_logs else "no"))
    return Section("Who can reach it, and from where", (
        "Evaluated offline from the app's IAM, bucket, key and access-point policies in AWS's documented order (the "
        "same listing as 'omics-secure access'): who can read, write and administer each data store, and only when. "
        "A reader of a bucket under a key of this app needs that key too. 'Any principal of this account its IAM "
        "policies allow' is a resource policy that leaves the decision to IAM policies outside this app. Roles list "
        "who may assume them, with the conditions of their trust policy, and the stores and keys they can reach.",
    ), (
        Table("Readers, writers and administrators", ("data store", "access", "who", "only when"),
              store_rows(evaluated)),
        Table("Roles", ("role", "who may assume it", "data stores and keys it can reach"), role_rows(evaluated)),
        Table("Networks", ("VPC", "region", "internet or NAT gateway", "VPC endpoints", "flow logs"), tuple(network)),
    ))


def _approvals(approvals: Sequence[Approval], today: datetime.date | None = None) -> Section:
    """Every approved access (omics_secure.access): who, what, from where, and until when."""
    today = today or datetime.datetime.now(datetime.UTC).date()
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


def _data_events(properties: Mapping[str, Any]) -> int:
    count = sum(len(as_list(s.get("DataResources"))) for s in as_list(properties.get("EventSelectors"))
                if isinstance(s, Mapping))
    return count + len(as_list(properties.get("AdvancedEventSelectors")))


def _logging(located: Sequence[_Located], names: Names) -> Section:
    trails = []
    for trail in _of_type(located, "AWS::CloudTrail::Trail"):
        properties = trail.resource.properties
        trails.append((_name(names, trail), _yes(properties.get("IsMultiRegionTrail")),
                       _yes(properties.get("EnableLogFileValidation")), _yes("KMSKeyId" in properties),
                       str(_data_events(properties))))
    log_groups = [(_name(names, g), str(g.resource.properties.get("RetentionInDays", "never expires")),
                   _yes("KmsKeyId" in g.resource.properties)) for g in _of_type(located, "AWS::Logs::LogGroup")]
    alerts = [(_name(names, a), a.resource.type.split("::", 1)[1],
               names.text(a.resource.properties.get("AlarmDescription") or a.resource.properties.get("Description")
                          or a.resource.properties.get("MetricName") or "", a.stack))
              for a in _of_type(located, "AWS::CloudWatch::Alarm", "AWS::Events::Rule")]
    services = [(_name(names, r), label) for types, label in (
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


def _expiries(bucket: _Located, names: Names) -> list[str]:
    return sorted({
        names.text(rule.get("ExpirationDate"), bucket.stack)
        or (f"after {rule['ExpirationInDays']} days" if "ExpirationInDays" in rule else "")
        for rule in as_list((bucket.resource.properties.get("LifecycleConfiguration") or {}).get("Rules"))
        if isinstance(rule, Mapping) and rule.get("Status") == "Enabled"
    } - {""})


def _retention(located: Sequence[_Located], names: Names) -> Section:
    rows = []
    for bucket in _of_type(located, "AWS::S3::Bucket"):
        properties = bucket.resource.properties
        lock = (properties.get("ObjectLockConfiguration") or {}).get("Rule", {}).get("DefaultRetention", {})
        lock_text = (f"{lock.get('Mode')} {lock.get('Days') or lock.get('Years')} "
                     f"{'days' if 'Days' in lock else 'years'}") if lock else "none"
        rows.append((_name(names, bucket),
                     _yes((properties.get("VersioningConfiguration") or {}).get("Status") == "Enabled"),
                     lock_text, ", ".join(_expiries(bucket, names)) or "never",
                     bucket.resource.deletion_policy or "Delete"))
    return Section("How long it is kept", (
        "Close-out: controlled-access data must be deleted when the data-use agreement ends; an expiry date "
        "below is that date. Object-lock retention that outlives it blocks deletion until it ends.",
    ), (Table("Buckets", ("bucket", "versioning", "object lock", "current versions expire", "on stack delete"),
              tuple(rows)),))


# The controls the recovery objectives evidence: contingency plan, data backup plan, disaster recovery plan;
# system backup, alternate storage site, recovery and reconstitution; protect backups of CUI.
RECOVERY_CONTROLS = frozenset({"164.308(a)(7)(i)", "164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)",
                               "CP-6", "CP-9", "CP-10", "3.8.9"})
RECOVERY_HEADERS = ("backup plan", "region", "buckets", "recovery point objective", "retention",
                    "copied to", "restore test", "recovery time objective", "vault lock")


@dataclass(frozen=True)
class RecoveryObjectives:
    """What one AWS Backup plan of the app promises, read from its template.

    ``rpo`` is the recovery point objective the rules give: minutes for continuous backup (point-in-time
    restore), otherwise the snapshot schedule. ``rto`` is a stated objective, the validation window of the
    plan's restore tests (the time a restore is given to prove itself), never a measured restore time.
    """

    plan: str
    region: str
    buckets: tuple[str, ...]
    rpo: str
    retention: str
    copied_to: str
    restore_test: str
    rto: str
    vault_lock: str

    def row(self) -> tuple[str, ...]:
        return (self.plan, self.region, ", ".join(self.buckets) or "-", self.rpo, self.retention, self.copied_to,
                self.restore_test, self.rto, self.vault_lock)

    def evidence(self) -> str:
        return (f"AWS Backup plan {self.plan}: RPO {self.rpo}; copies {self.copied_to}; RTO objective "
                f"{self.rto}")


def recovery_objectives(located: Sequence[_Located], names: Names) -> list[RecoveryObjectives]:
    """The recovery point and time objectives of every AWS Backup plan in the app."""
    vaults = {names.text(v.resource.properties.get("BackupVaultName"), v.stack): v.resource.properties
              for v in _of_type(located, "AWS::Backup::BackupVault")}
    selections = _of_type(located, "AWS::Backup::BackupSelection")
    testing = _of_type(located, "AWS::Backup::RestoreTestingPlan")
    testing_selections = _of_type(located, "AWS::Backup::RestoreTestingSelection")
    found = []
    for plan in _of_type(located, "AWS::Backup::BackupPlan"):
        _text = partial(names.text, stack=plan.stack)
        document = plan.resource.properties.get("BackupPlan")
        rules = [r for r in as_list(document.get("BackupPlanRule") if isinstance(document, Mapping) else None)
                 if isinstance(r, Mapping)]
        selected = sorted({names.name(s.stack, ref) for s in selections
                           if plan.resource.logical_id in references(s.resource.properties.get("BackupPlanId"))
                           for ref in references((s.resource.properties.get("BackupSelection") or {})
                                                 .get("Resources"))})
        continuous = [r for r in rules if r.get("EnableContinuousBackup") is True]
        snapshots = [r for r in rules if r.get("EnableContinuousBackup") is not True]
        rpo = ("minutes (continuous backup, point-in-time restore)" if continuous else
               " / ".join(f"one snapshot per {_text(r.get('ScheduleExpression'))}" for r in snapshots) or "-")
        retention = "; ".join(
            f"{'continuous' if r.get('EnableContinuousBackup') is True else 'snapshots'} "
            f"{_days((r.get('Lifecycle') or {}).get('DeleteAfterDays'), _text)}" for r in rules) or "-"
        copies = [(_region_of_arn(_text(c.get("DestinationBackupVaultArn"))),
                   _days((c.get("Lifecycle") or {}).get("DeleteAfterDays"), _text), _text(r.get("ScheduleExpression")))
                  for r in rules for c in as_list(r.get("CopyActions")) if isinstance(c, Mapping)]
        copied_to = "; ".join(f"{region}, kept {days}, RPO one copy per {schedule}"
                              for region, days, schedule in copies) or "none (no disaster-recovery copy)"
        vault_names = {_text(r.get("TargetBackupVault")) for r in rules}
        vault_ids = _vault_ids(located, vault_names, names)
        tests = [t for t in testing if _tests_vaults(t.resource.properties, vault_ids, vault_names, _text)]
        test_names = {_text(t.resource.properties.get("RestoreTestingPlanName")) for t in tests}
        windows = sorted({int(w) for t in testing_selections
                          if _text(t.resource.properties.get("RestoreTestingPlanName")) in test_names
                          and isinstance(w := t.resource.properties.get("ValidationWindowHours"), int | float)})
        restore_test = ", ".join(_text(t.resource.properties.get("ScheduleExpression")) for t in tests) or "none"
        rto = (f"{windows[-1]} hours (objective: the restore test's validation window, not a measurement)"
               if windows else "not stated (no restore test)")
        locks = [vaults[name].get("LockConfiguration") for name in sorted(vault_names) if name in vaults]
        vault_lock = "; ".join(
            (f"{'compliance' if 'ChangeableForDays' in lock else 'governance'} mode, "
             f"{_days(lock.get('MinRetentionDays'), _text)} to {_days(lock.get('MaxRetentionDays'), _text)}")
            if isinstance(lock, Mapping) else "none" for lock in locks) or "unknown (vault outside this app)"
        found.append(RecoveryObjectives(_name(names, plan), plan.region, tuple(selected), rpo, retention, copied_to,
                                        restore_test, rto, vault_lock))
    return found


def _tests_vaults(properties: Mapping[str, Any], vault_ids: set[str], vault_names: set[str],
                  _text: Callable[[Any], str]) -> bool:
    """True when a restore testing plan draws recovery points from one of the plan's vaults."""
    included = (properties.get("RecoveryPointSelection") or {}).get("IncludeVaults")
    if references(included) & vault_ids:
        return True
    return any(_text(v) == "*" or _text(v).rsplit(":", 1)[-1] in vault_names for v in as_list(included))


def _vault_ids(located: Sequence[_Located], vault_names: set[str], names: Names) -> set[str]:
    return {v.resource.logical_id for v in _of_type(located, "AWS::Backup::BackupVault")
            if names.text(v.resource.properties.get("BackupVaultName"), v.stack) in vault_names}


def _region_of_arn(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else arn or "?"


def _days(value: Any, text: Callable[[Any], str]) -> str:
    return f"{value} days" if isinstance(value, int | float) else "never expire" if value is None else text(value)


def _recovery(located: Sequence[_Located], names: Names) -> Section:
    plans = recovery_objectives(located, names)
    paragraphs = (
        "Recovery point objective (RPO): how much data a restore can lose, from the plan's continuous backup "
        "or snapshot schedule. Recovery time objective (RTO): the time a restore test is given to prove "
        "itself (its validation window), stated as an objective, not a measured restore time; the proposed "
        "2025 HIPAA Security Rule update asks that systems be restorable within 72 hours.",
    ) if plans else (
        "No AWS Backup plan is in this app: the data backup and disaster recovery plans (HIPAA "
        "164.308(a)(7)(ii)(A)/(B)) rest on versioning, object lock and replication alone.",)
    return Section("How it is recovered", paragraphs,
                   (Table("Backup plans", RECOVERY_HEADERS, tuple(p.row() for p in plans)),))


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


def _control_matrix(pack: Pack, stacks: Sequence[StackArtifact], located: Sequence[_Located], names: Names,
                    check: Sequence[PackResult] = ()) -> Section:
    findings = evaluate_stacks(pack, stacks)
    decided = next((p for p in check if p.name == pack.name), None)
    accepted = {(f.rule_id, f.construct_path) for f in decided.acknowledged_findings} if decided else set()

    def is_accepted(finding: Finding) -> bool:
        """Whether the check accepted it today (an ended acknowledgment accepts nothing), else as the app wrote."""
        if decided is not None:
            return (finding.rule_id, finding.construct_path) in accepted
        return finding.acknowledgment is not None

    recovery = recovery_objectives(located, names)
    judged: dict[str, int] = {}
    for rule in pack.rules:
        judged[rule.id] = sum(1 for item in located if judge(rule, item.resource).status is not Status.NOT_APPLICABLE)
    rows = []
    for control in CONTROLS:
        rules = [rule for rule in pack.rules if control.id in _controls_of(rule, control.framework)]
        evidence = []
        for rule in rules:
            if judged[rule.id]:
                failing = sum(1 for f in findings if f.rule.id == rule.id and not is_accepted(f)
                              and f.status is Status.NON_COMPLIANT)
                verdict = f"{failing} {'warning(s)' if rule.severity == 'warning' else 'failing'}"
                evidence.append(f"{pack.qualified_id(rule)}: {judged[rule.id]} resource(s), "
                                f"{'all pass' if not failing else verdict}")
        if control.id in RECOVERY_CONTROLS:
            evidence.extend(plan.evidence() for plan in recovery)
        responsibility = control.user_responsibility or (
            "" if evidence else "not evidenced by this app: the user's responsibility")
        rows.append((control.framework, control.id, control.title, "; ".join(evidence) or "-",
                     responsibility or "-"))
    return Section("Control matrix", (
        f"Evidence is the {pack.name} rules that judged resources of this app. cdk-nag's HIPAA.Security, "
        "NIST.800.53.R5 and AwsSolutions packs run beside them in 'omics-secure check'.",
    ), (Table("Controls", ("framework", "control", "title", "evidence", "user's responsibility"), tuple(rows)),))


ACCEPTED_RISKS_TITLE = "Accepted risks"


def _accepted_risks(check: Sequence[PackResult]) -> Section:
    """Every finding accepted instead of fixed, by acknowledgment: who accepted it under which record, until when,
    and why; and those whose acceptance has ended, whose findings are open again."""
    grouped: dict[tuple[str, str, str], list[Any]] = {}
    for pack in check:
        for finding in (*pack.acknowledged_findings, *(f for f in pack.all_findings
                                                       if f.expired_acknowledgment is not None)):
            key = (finding.rule_id, finding.acknowledgment.origin if finding.acknowledgment else "",
                   finding.reason or (finding.acknowledgment.reason if finding.acknowledgment else ""))
            grouped.setdefault(key, []).append(finding)
    rows = []
    for (rule_id, _, reason), findings in grouped.items():
        first = findings[0]
        acknowledgment = first.acknowledgment
        until = first.acknowledged_until.isoformat() if first.acknowledged_until else "no end date"
        ended = first.expired_acknowledgment is not None
        if acknowledgment is None:
            owner, reference, until = "not recorded", "-", "no end date"
        elif acknowledgment.by_library:
            owner, reference = "omics-secure (construct design)", "-"
        else:
            owner, reference = acknowledgment.owner or "none", acknowledgment.reference or "none"
        rows.append((rule_id, _listing(list(dict.fromkeys(f.construct_path for f in findings)), 3), owner, reference,
                     f"ENDED {until}: the finding is open again" if ended else until, reason or "-"))
    ended_count = sum(1 for row in rows if row[4].startswith("ENDED"))
    paragraphs = (
        f"{len(rows) - ended_count} acceptance(s) in force and {ended_count} ended. Each finding of the compliance "
        "packs that the app or its acknowledgments file accepts instead of fixing, with who accepted it, the record "
        "of the decision and the last day it is in force; an acceptance ends on its expiry date or the day before "
        "its resource's data-use end date, whichever comes first, and its finding then fails the check again. "
        "Those of omics-secure's own constructs record AWS constraints the construct documents.",) if rows else (
        "No finding of the compliance packs is accepted: every finding is fixed or open.",)
    return Section(ACCEPTED_RISKS_TITLE, paragraphs, (
        Table("Accepted risks", ("rule", "resources", "accepted by", "reference", "in force until", "reason"),
              tuple(rows)),) if rows else ())


def _controls_of(rule: Rule, framework: str) -> tuple[str, ...]:
    return {
        HIPAA: rule.controls.hipaa,
        NIST_800_53: rule.controls.nist_800_53_r5,
        NIST_800_171: rule.controls.nist_800_171_r2,
        NIST_800_171_R3: rule.controls.nist_800_171_r3,
        DBGAP: rule.controls.dbgap,
    }[framework]


def _yes(value: Any) -> str:
    return "yes" if value is True else "no"


def controls_without_catalogue_entry(pack: Pack) -> list[tuple[str, str]]:
    """(rule id, control id) pairs whose control is not in the catalogue: a mapping typo to fix."""
    known = {(c.framework, c.id) for c in CONTROLS}
    return [(rule.id, control_id) for rule in pack.rules
            for framework in FRAMEWORKS
            for control_id in _controls_of(rule, framework) if (framework, control_id) not in known]

