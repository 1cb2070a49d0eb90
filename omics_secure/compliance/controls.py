"""The controls the data-protection report's matrix covers, and who answers for those no rule evidences.

Frameworks: the HIPAA Security Rule's technical, administrative and physical safeguards (45 CFR
164.308, 164.310, 164.312); NIST SP 800-53 rev. 5; NIST SP 800-171 rev. 2 and rev. 3, either of which
NIH accepts from users of controlled-access data (rev. 3: https://csrc.nist.gov/pubs/sp/800/171/r3/final;
rev. 3 ids and titles as NIST's OSCAL catalog of it names them,
https://github.com/usnistgov/oscal-content/tree/main/nist.gov/SP800-171/rev3; a rule's rev. 3 ids
default to those :data:`R2_TO_R3` gives for its rev. 2 ids); and the control areas of the AWS whitepaper "Architecting
for Genomic Data Security and Compliance in AWS" (NIH dbGaP), named as its control table names them.
Rule ``Controls`` must use these ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from omics_secure._internal.nist_800_171 import R2_TO_R3 as R2_TO_R3
from omics_secure._internal.nist_800_171 import R2_WITHOUT_R3 as R2_WITHOUT_R3

HIPAA = "HIPAA Security Rule"
NIST_800_53 = "NIST 800-53 r5"
NIST_800_171 = "NIST 800-171 r2"
NIST_800_171_R3 = "NIST 800-171 r3"
DBGAP = "dbGaP (genomic data whitepaper)"
FRAMEWORKS = (HIPAA, NIST_800_53, NIST_800_171, NIST_800_171_R3, DBGAP)


@dataclass(frozen=True)
class Control:
    framework: str
    id: str
    title: str
    user_responsibility: str = ""
    """What the user must do themselves; empty when the environment's rules evidence the control."""


def _hipaa(id: str, title: str, user: str = "") -> Control:
    return Control(HIPAA, id, title, user)


def _nist(id: str, title: str, user: str = "") -> Control:
    return Control(NIST_800_53, id, title, user)


def _cui(id: str, title: str, user: str = "") -> Control:
    return Control(NIST_800_171, id, title, user)


def _cui_r3(id: str, title: str, user: str = "") -> Control:
    return Control(NIST_800_171_R3, id, title, user)


def _dbgap(id: str, user: str = "") -> Control:
    return Control(DBGAP, id, id, user)


_PEOPLE = "workforce policies, training and sanctions are organisational, outside any template"
_IDENTITY = "enforce MFA and unique identities in IAM Identity Center or your identity provider"
_BAA = "sign the AWS Business Associate Addendum in AWS Artifact and use only HIPAA-eligible services"
_AWS_PHYSICAL = "inherited from AWS (see the AWS SOC 2 and HIPAA reports in AWS Artifact)"

CONTROLS: tuple[Control, ...] = (
    _hipaa("164.308(a)(1)(ii)(A)", "Risk analysis", "perform and document a risk analysis of the environment"),
    _hipaa("164.308(a)(1)(ii)(D)", "Information system activity review"),
    _hipaa("164.308(a)(3)(i)", "Workforce security"),
    _hipaa("164.308(a)(3)(ii)(A)", "Authorization and/or supervision"),
    _hipaa("164.308(a)(4)(ii)(B)", "Access authorization"),
    _hipaa("164.308(a)(4)(ii)(C)", "Access establishment and modification"),
    _hipaa("164.308(a)(5)(ii)(C)", "Log-in monitoring"),
    _hipaa("164.308(a)(5)(ii)(A)", "Security reminders", _PEOPLE),
    _hipaa("164.308(a)(5)(ii)(B)", "Protection from malicious software"),
    _hipaa("164.308(a)(6)(ii)", "Response and reporting"),
    _hipaa("164.308(a)(7)(i)", "Contingency plan"),
    _hipaa("164.308(a)(7)(ii)(A)", "Data backup plan"),
    _hipaa("164.308(a)(7)(ii)(B)", "Disaster recovery plan"),
    _hipaa("164.308(b)(1)", "Business associate contracts", _BAA),
    _hipaa("164.310(a)(1)", "Facility access controls", _AWS_PHYSICAL),
    _hipaa("164.310(d)(1)", "Device and media controls", _AWS_PHYSICAL),
    _hipaa("164.310(d)(2)(i)", "Disposal"),
    _hipaa("164.312(a)(1)", "Access control"),
    _hipaa("164.312(a)(2)(i)", "Unique user identification", _IDENTITY),
    _hipaa("164.312(a)(2)(iv)", "Encryption and decryption"),
    _hipaa("164.312(b)", "Audit controls"),
    _hipaa("164.312(c)(1)", "Integrity"),
    _hipaa("164.312(c)(2)", "Mechanism to authenticate ePHI"),
    _hipaa("164.312(d)", "Person or entity authentication", _IDENTITY),
    _hipaa("164.312(e)(1)", "Transmission security"),
    _hipaa("164.312(e)(2)(i)", "Integrity controls (transmission)"),
    _hipaa("164.312(e)(2)(ii)", "Encryption (transmission)"),
    _nist("AC-2", "Account management", _IDENTITY),
    _nist("AC-3", "Access enforcement"),
    _nist("AC-4", "Information flow enforcement"),
    _nist("AC-5", "Separation of duties"),
    _nist("AC-6", "Least privilege"),
    _nist("AC-17", "Remote access"),
    _nist("AT-2", "Literacy training and awareness", _PEOPLE),
    _nist("AU-2", "Event logging"),
    _nist("AU-6", "Audit record review, analysis, and reporting"),
    _nist("AU-9", "Protection of audit information"),
    _nist("AU-11", "Audit record retention"),
    _nist("AU-12", "Audit record generation"),
    _nist("CM-6", "Configuration settings"),
    _nist("CM-7", "Least functionality"),
    _nist("CP-6", "Alternate storage site"),
    _nist("CP-9", "System backup"),
    _nist("CP-10", "System recovery and reconstitution"),
    _nist("IA-2", "Identification and authentication", _IDENTITY),
    _nist("IR-4", "Incident handling", "run an incident-response process for the alerts this environment raises"),
    _nist("MP-6", "Media sanitization"),
    _nist("RA-5", "Vulnerability monitoring and scanning"),
    _nist("SC-5", "Denial-of-service protection"),
    _nist("SC-7", "Boundary protection"),
    _nist("SC-7(5)", "Deny by default - allow by exception"),
    _nist("SC-7(10)", "Prevent exfiltration"),
    _nist("SC-8", "Transmission confidentiality and integrity"),
    _nist("SC-8(1)", "Cryptographic protection (transmission)"),
    _nist("SC-12", "Cryptographic key establishment and management"),
    _nist("SC-12(2)", "Symmetric keys"),
    _nist("SC-13", "Cryptographic protection"),
    _nist("SC-28", "Protection of information at rest"),
    _nist("SC-28(1)", "Cryptographic protection (at rest)"),
    _nist("SI-3", "Malicious code protection"),
    _nist("SI-4", "System monitoring"),
    _nist("SI-7", "Software, firmware, and information integrity"),
    _nist("SI-12", "Information management and retention"),
    _cui("3.1.1", "Limit system access to authorized users"),
    _cui("3.1.2", "Limit access to permitted transactions and functions"),
    _cui("3.1.3", "Control the flow of CUI"),
    _cui("3.1.4", "Separate the duties of individuals"),
    _cui("3.1.5", "Least privilege"),
    _cui("3.1.12", "Monitor and control remote access sessions"),
    _cui("3.1.13", "Cryptographic protection of remote access sessions"),
    _cui("3.2.1", "Security awareness", _PEOPLE),
    _cui("3.3.1", "Create and retain audit records"),
    _cui("3.3.2", "Trace actions to users"),
    _cui("3.3.8", "Protect audit information"),
    _cui("3.4.2", "Security configuration settings"),
    _cui("3.4.6", "Least functionality"),
    _cui("3.5.3", "Multifactor authentication", _IDENTITY),
    _cui("3.8.3", "Sanitize media before disposal or reuse"),
    _cui("3.8.9", "Protect backups of CUI"),
    _cui("3.11.2", "Scan for vulnerabilities"),
    _cui("3.13.1", "Monitor and protect communications at boundaries"),
    _cui("3.13.5", "Subnetworks for publicly accessible components"),
    _cui("3.13.6", "Deny network communications by default"),
    _cui("3.13.8", "Cryptographic protection of CUI in transit"),
    _cui("3.13.10", "Establish and manage cryptographic keys"),
    _cui("3.13.11", "FIPS-validated cryptography"),
    _cui("3.13.16", "Protect CUI at rest"),
    _cui("3.14.2", "Provide protection from malicious code"),
    _cui("3.14.6", "Monitor systems to detect attacks"),
    _cui_r3("03.01.01", "Account Management"),
    _cui_r3("03.01.02", "Access Enforcement"),
    _cui_r3("03.01.03", "Information Flow Enforcement"),
    _cui_r3("03.01.04", "Separation of Duties"),
    _cui_r3("03.01.05", "Least Privilege"),
    _cui_r3("03.01.12", "Remote Access"),
    _cui_r3("03.02.01", "Literacy Training and Awareness", _PEOPLE),
    _cui_r3("03.03.01", "Event Logging"),
    _cui_r3("03.03.02", "Audit Record Content"),
    _cui_r3("03.03.08", "Protection of Audit Information"),
    _cui_r3("03.04.02", "Configuration Settings"),
    _cui_r3("03.04.06", "Least Functionality"),
    _cui_r3("03.05.03", "Multi-Factor Authentication", _IDENTITY),
    _cui_r3("03.08.03", "Media Sanitization"),
    _cui_r3("03.08.09", "System Backup - Cryptographic Protection"),
    _cui_r3("03.11.02", "Vulnerability Monitoring and Scanning"),
    _cui_r3("03.13.01", "Boundary Protection"),
    _cui_r3("03.13.06", "Network Communications - Deny by Default - Allow by Exception"),
    _cui_r3("03.13.08", "Transmission and Storage Confidentiality"),
    _cui_r3("03.13.10", "Cryptographic Key Establishment and Management"),
    _cui_r3("03.13.11", "Cryptographic Protection"),
    _cui_r3("03.14.02", "Malicious Code Protection"),
    _cui_r3("03.14.06", "System Monitoring"),
    _dbgap("Deployment Model", "choose the account structure and a region approved by your Data Access Committee"),
    _dbgap("Data Location"),
    _dbgap("Physical Server Access", _AWS_PHYSICAL),
    _dbgap("Portable Storage Media", "keep controlled-access data off laptops and removable media"),
    _dbgap("User Accounts, Passwords, and Access Control Lists"),
    _dbgap("Internet, Networking, and Data Transfers"),
    _dbgap("Data Encryption"),
    _dbgap("File Systems and Storage Volumes"),
    _dbgap("Operating Systems and Applications"),
    _dbgap("Auditing, Logging, and Monitoring"),
    _dbgap("Authorizing Access to Data", "obtain dbGaP approval and keep the Data Use Certification current"),
    _dbgap("Cleaning Up Data and Retaining Results"),
)

CONTROL_IDS: dict[str, frozenset[str]] = {
    framework: frozenset(c.id for c in CONTROLS if c.framework == framework) for framework in FRAMEWORKS
}
