"""The airlock's Lambda handlers on moto's S3, DynamoDB, Step Functions, EventBridge and STS: who may do what, and
that nothing unscanned, infected, rejected or unreviewed by a second person ever reaches the destination."""

from __future__ import annotations

import pytest

from omics_secure.airlock.runtime import airlock_lambda as runtime
from tests.airlock.conftest import BUCKETS, DESTINATION, REGION, RELEASE, Account, Context

pytestmark = pytest.mark.slow  # moto's emulated account


def test_an_approved_ingress_request_is_copied_to_the_destination_and_every_step_recorded(account: Account):
    request_id = account.to_review("alice", "ingress")
    assert account.item(request_id)["status"] == runtime.AWAITING_REVIEW
    assert account.decide("bob", request_id, comment="counts only") == {
        "ok": True, "request_id": request_id, "status": runtime.APPROVED}
    result = runtime.release({"request_id": request_id}, Context())
    assert result == {"request_id": request_id, "released": 2, "rejected_files": 0}
    copied = account.objects(DESTINATION, f"airlock/{request_id}/")
    assert sorted(o["Key"] for o in copied) == [f"airlock/{request_id}/figure.png", f"airlock/{request_id}/table.csv"]
    tags = account.s3().get_object_tagging(Bucket=DESTINATION, Key=f"airlock/{request_id}/table.csv")["TagSet"]
    assert tags == [{"Key": runtime.RELEASED_FROM_TAG, "Value": request_id}]  # the scan tag is not carried over
    item = account.item(request_id)
    assert item["status"] == runtime.RELEASED
    assert item["requester"]["session"] == "alice" and item["reviews"][0]["by"]["session"] == "bob"
    assert [h["step"] for h in item["history"]] == [
        "submitted", "workflow started", "scanned", "await review", "reviewed", "released"]
    steps = [e["detail"]["step"] for e in account.events()]
    assert steps == ["request submitted", "scanned", "review requested", "reviewed", "released"]
    assert account.sts.urls and set(account.sts.urls) == {f"https://sts.{REGION}.amazonaws.com/"}


def test_the_requester_cannot_review_their_own_request_even_through_a_reviewer_role(account: Account):
    request_id = account.to_review("alice", "ingress")
    account.events()
    refused = account.decide("alice-as-steward", request_id)
    assert refused == {"ok": False, "error": f"you (alice) submitted request {request_id}: a different person must "
                                             "review it"}
    assert account.item(request_id)["status"] == runtime.AWAITING_REVIEW
    assert [e["detail-type"] for e in account.events()] == ["Airlock self-review refused"]
    assert not account.objects(DESTINATION)


def test_a_rejected_request_is_quarantined_and_never_copied(account: Account):
    request_id = account.to_review("alice", "egress")
    assert account.decide("bob", request_id, "reject", "row-level data")["status"] == runtime.REJECTED
    assert runtime.quarantine({"request_id": request_id, "reason": "rejected"}, Context())["status"] == runtime.REJECTED
    for entry in account.item(request_id)["files"]:
        tags = account.s3().get_object_tagging(Bucket=BUCKETS["egress"], Key=entry["key"],
                                               VersionId=entry["version_id"])["TagSet"]
        assert {"Key": runtime.QUARANTINE_TAG, "Value": runtime.QUARANTINED} in tags
        assert {"Key": runtime.SCAN_TAG, "Value": runtime.SCAN_CLEAN} in tags  # GuardDuty's tag is kept
    with pytest.raises(runtime.Refused, match="is REJECTED, not APPROVED"):
        runtime.release({"request_id": request_id}, Context())
    assert not account.objects(RELEASE)


def test_an_infected_file_quarantines_the_request(account: Account):
    assert account.submit("alice", "ingress")["ok"]
    account.scan("r-20250101-0123abcd", only="table.csv")
    account.scan("r-20250101-0123abcd", runtime.SCAN_INFECTED, only="figure.png")
    assert account.step("check_scan", "r-20250101-0123abcd", attempt=3) == {
        "request_id": "r-20250101-0123abcd", "scan": "INFECTED", "attempt": 4}
    result = runtime.quarantine({"request_id": "r-20250101-0123abcd", "reason": "infected"}, Context())
    assert result["status"] == runtime.QUARANTINED_STATUS and result["quarantined"] == 2
    assert "Airlock request quarantined" in [e["detail-type"] for e in account.events()]


@pytest.mark.parametrize("tags", [None, runtime.SCAN_INFECTED, "FAILED"])
def test_a_file_not_scanned_clean_is_never_copied_even_when_the_request_says_approved(account: Account, tags):
    request_id = account.to_review("alice", "ingress")
    assert account.decide("bob", request_id)["status"] == runtime.APPROVED
    item = account.item(request_id)
    entry = item["files"][1]
    where = {"Bucket": BUCKETS["ingress"], "Key": entry["key"], "VersionId": entry["version_id"]}
    if tags is None:
        account.s3().delete_object_tagging(**where)
    else:
        account.s3().put_object_tagging(**where, Tagging={"TagSet": [{"Key": runtime.SCAN_TAG, "Value": tags}]})
    with pytest.raises(runtime.NotClean):
        runtime.release({"request_id": request_id}, Context())
    assert not account.objects(DESTINATION)
    assert account.item(request_id)["status"] == runtime.FAILED


def test_a_new_upload_over_a_reviewed_file_is_not_what_gets_released(account: Account):
    request_id = account.to_review("alice", "ingress", names=("table.csv",))
    account.upload("ingress", request_id, "table.csv", b"patient_id,genotype\n")  # after the review; never scanned
    account.decide("bob", request_id)
    runtime.release({"request_id": request_id}, Context())
    body = account.s3().get_object(Bucket=DESTINATION, Key=f"airlock/{request_id}/table.csv")["Body"].read()
    assert body == b"aggregate,count\nall,1200\n"


def test_a_copy_that_fails_half_way_leaves_nothing_at_the_destination(account: Account, monkeypatch):
    request_id = account.to_review("alice", "ingress", names=("a.csv", "b.csv", "c.csv"))
    account.decide("bob", request_id)
    s3 = runtime.aws("s3")
    copy = s3.copy_object
    calls = []

    def failing_copy(**arguments):
        calls.append(arguments["Key"])
        if len(calls) == 3:
            raise RuntimeError("connection reset by peer")
        return copy(**arguments)

    monkeypatch.setattr(s3, "copy_object", failing_copy)
    with pytest.raises(runtime.ReleaseFailed, match="copy failed after 2 of 3 file"):
        runtime.release({"request_id": request_id}, Context())
    assert account.objects(DESTINATION) == []  # the two locked versions written were deleted (GOVERNANCE bypass)
    item = account.item(request_id)
    assert item["status"] == runtime.FAILED
    assert "RuntimeError: connection reset by peer" in item["history"][-1]["detail"]
    assert "Airlock request failed" in [e["detail-type"] for e in account.events()]


def test_egress_needs_two_different_reviewers_and_each_can_reject_a_file(account: Account):
    request_id = account.to_review("alice", "egress")
    first = account.decide("bob", request_id)
    assert first["status"] == runtime.AWAITING_REVIEW and first["detail"].startswith("1 of 2 approvals")
    assert account.decide("bob", request_id) == {
        "ok": False, "error": f"you (bob) have already reviewed request {request_id}: a second reviewer must be a "
                              "different person"}
    figure = f"{runtime.request_prefix(request_id)}figure.png"
    table = f"{runtime.request_prefix(request_id)}table.csv"
    assert account.decide("carol", request_id, files={figure: "reject", table: "approve"})["status"] == runtime.APPROVED
    assert runtime.release({"request_id": request_id}, Context())["released"] == 1
    assert [o["Key"] for o in account.objects(RELEASE)] == [f"released/{request_id}/table.csv"]
    assert runtime.quarantine({"request_id": request_id, "reason": "rejected_files"}, Context())["quarantined"] == 1
    assert account.item(request_id)["status"] == runtime.RELEASED


def test_changes_requested_go_back_to_the_requester_only(account: Account):
    request_id = account.to_review("alice", "egress", names=("table.csv",))
    assert account.decide("bob", request_id, "changes", "suppress the cells under 10")["status"] == \
        runtime.CHANGES_REQUESTED
    account.step("await_changes", request_id, task_token="changes-token")
    refused = account.submit("bob", "egress", ("table.csv",), request_id, action="amend")
    assert refused["ok"] is False and refused["error"].startswith("not a requester")
    amended = account.submit("alice", "egress", ("table.csv",), request_id, action="amend")
    assert amended == {"ok": True, "request_id": request_id, "status": runtime.SCANNING}
    item = account.item(request_id)
    assert item["reviews"] == [] and item["round"] == 2 and "task_token" not in item
    assert item["files"][0]["scan"] == "PENDING"  # the new version is scanned again before any review


@pytest.mark.parametrize(("who", "error"), [
    ("mallory", "not a reviewer: role Outsider may not review requests of this airlock"),
    ("dave", "expired approval: the reviewer approval of role ExpiredSteward ended on"),
])
def test_only_current_reviewers_decide(account: Account, who, error):
    request_id = account.to_review("alice", "ingress")
    result = account.decide(who, request_id)
    assert result["ok"] is False and result["error"].startswith(error)


def test_a_request_is_reviewed_only_once_scanned_and_only_if_it_exists(account: Account):
    assert account.submit("alice", "ingress")["ok"]
    result = account.decide("bob", "r-20250101-0123abcd")
    assert result["error"] == ("request r-20250101-0123abcd is SCANNING: not scanned yet; review it once every file's "
                               "malware scan found no threats")
    assert account.decide("bob", "r-20250101-ffffffff")["error"] == "unknown request r-20250101-ffffffff"
    assert account.decide("bob", "../etc")["error"].startswith("unknown request '../etc'")


def test_a_scan_still_running_keeps_the_request_waiting(account: Account):
    assert account.submit("alice", "ingress")["ok"]
    account.scan("r-20250101-0123abcd", only="table.csv")
    assert account.step("check_scan", "r-20250101-0123abcd", attempt=0)["scan"] == "PENDING"
    account.scan("r-20250101-0123abcd", "UNSUPPORTED", only="figure.png")
    assert account.step("check_scan", "r-20250101-0123abcd", attempt=1)["scan"] == "FAILED"


def test_submissions_are_checked(account: Account):
    refused = account.submit("bob", "ingress")
    assert refused == {"ok": False, "error": "not a requester: role DataSteward may not request through this airlock"}
    assert account.submit("alice", "ingress")["ok"]
    again = account.submit("alice", "ingress")
    assert again["error"] == "request r-20250101-0123abcd exists already; submit under a new id"
    payload = {"request_id": "r-20250101-00000001", "direction": "ingress", "files": [
        {"key": "requests/r-20250101-00000001/missing.csv", "version_id": "v1", "description": "counts",
         "disclosure_control": "none needed"}]}
    result = runtime.submit({"payload": payload, "proof": account.people["alice"].proof(payload)}, Context())
    assert result["error"].startswith("file requests/r-20250101-00000001/missing.csv version v1 is not in the staging")
    payload["files"][0].update(key="requests/r-20250101-00000001/../../x", disclosure_control="")
    result = runtime.submit({"payload": payload, "proof": account.people["alice"].proof(payload)}, Context())
    assert result["error"].startswith("file 'requests/r-20250101-00000001/../../x' is not a file name directly under")


def test_an_identity_proof_is_bound_to_its_payload_and_checked_by_sts(account: Account):
    request_id = account.to_review("alice", "ingress")
    signed = {"request_id": request_id, "decision": "reject", "comment": "too small"}
    sent = {"request_id": request_id, "decision": "approve", "comment": ""}
    proof = account.people["bob"].proof(signed)
    assert runtime.decide({"payload": sent, "proof": proof}, Context())["error"] == (
        "the identity proof was signed for another request; sign this request's payload")
    # The binding header claimed for this payload, but the signature does not cover it: STS would not check it.
    forged = {**proof, "headers": {**proof["headers"], runtime.PROOF_HEADER: runtime.payload_digest(sent)}}
    assert "SignatureDoesNotMatch" in runtime.decide({"payload": sent, "proof": forged}, Context())["error"]
    unbound = {**proof, "headers": {k: v for k, v in proof["headers"].items() if k.lower() != "authorization"}}
    assert "does not cover host" in runtime.decide({"payload": signed, "proof": unbound}, Context())["error"]
    assert runtime.decide({"payload": signed}, Context())["error"].startswith("no identity proof")
    other = {**proof, "body": "Action=AssumeRole&Version=2011-06-15"}
    assert runtime.decide({"payload": signed, "proof": other}, Context())["error"].endswith(
        "not an sts:GetCallerIdentity request")
    assert account.item(request_id)["status"] == runtime.AWAITING_REVIEW


def test_a_caller_of_another_account_or_not_a_role_session_is_refused():
    with pytest.raises(runtime.Refused, match="not a role session"):
        runtime.parse_caller("arn:aws:iam::123456789012:user/alice")
    caller = runtime.parse_caller("arn:aws-us-gov:sts::123456789012:assumed-role/Requester/alice@example.org")
    assert (caller.account, caller.role, caller.session) == ("123456789012", "Requester", "alice@example.org")
    assert runtime.sts_host("cn-north-1") == "sts.cn-north-1.amazonaws.com.cn"
