"""The policy-types handler: enables what the root lacks, waits for ENABLED, never disables, always answers."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from omics_secure.handlers import organization_policy_types as handler

EVENT = {"StackId": "arn:aws:cloudformation:us-east-1:999988887777:stack/Guardrails/1", "RequestId": "r-1",
         "LogicalResourceId": "OmicsSecurePolicyTypes", "ResponseURL": "https://cloudformation-response.example/x",
         "ResourceType": "Custom::OrganizationsPolicyTypes"}


class FakeOrganizations:
    """An Organizations client whose root reports ``states`` in turn, recording every call."""

    class exceptions:
        class PolicyTypeAlreadyEnabledException(Exception):
            pass

    def __init__(self, *states: dict[str, str], already: tuple[str, ...] = ()) -> None:
        self.states = list(states)
        self.already = already
        self.enabled: list[str] = []

    def list_roots(self) -> dict[str, Any]:
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {"Roots": [{"Id": "r-ab12", "PolicyTypes": [{"Type": t, "Status": s} for t, s in state.items()]}]}

    def enable_policy_type(self, RootId: str, PolicyType: str) -> None:
        assert RootId == "r-ab12"
        self.enabled.append(PolicyType)
        if PolicyType in self.already:
            raise self.exceptions.PolicyTypeAlreadyEnabledException


@pytest.fixture
def responses(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    class Response:
        def __enter__(self) -> Response:
            return self

        def __exit__(self, *args: object) -> None:
            return None

    def urlopen(request: Any, timeout: float) -> Response:
        assert request.get_method() == "PUT" and request.full_url == EVENT["ResponseURL"]
        sent.append(json.loads(request.data))
        return Response()

    monkeypatch.setattr(handler.urllib.request, "urlopen", urlopen)
    return sent


def test_enables_only_the_types_the_root_lacks_and_waits_until_they_are_enabled():
    client = FakeOrganizations({"SERVICE_CONTROL_POLICY": "ENABLED"},
                               {"SERVICE_CONTROL_POLICY": "ENABLED", "TAG_POLICY": "PENDING_ENABLE"},
                               {"SERVICE_CONTROL_POLICY": "ENABLED", "TAG_POLICY": "ENABLED"})
    waits: list[float] = []
    result = handler.enable(client, ["SERVICE_CONTROL_POLICY", "TAG_POLICY"], sleep=waits.append)
    assert client.enabled == ["TAG_POLICY"]  # the enabled SCP type is not touched
    assert result == {"RootId": "r-ab12"} and len(waits) == 2


def test_a_root_that_has_every_type_is_left_untouched():
    client = FakeOrganizations({"SERVICE_CONTROL_POLICY": "ENABLED", "TAG_POLICY": "ENABLED"})
    assert handler.enable(client, ["SERVICE_CONTROL_POLICY", "TAG_POLICY"], sleep=pytest.fail) == {"RootId": "r-ab12"}
    assert client.enabled == []


def test_a_type_enabled_meanwhile_is_success():
    client = FakeOrganizations({}, {"TAG_POLICY": "ENABLED"}, already=("TAG_POLICY",))
    assert handler.enable(client, ["TAG_POLICY"], sleep=lambda _: None) == {"RootId": "r-ab12"}


def test_a_type_that_never_becomes_enabled_fails_naming_it():
    client = FakeOrganizations({"TAG_POLICY": "PENDING_ENABLE"})
    with pytest.raises(TimeoutError, match=r"TAG_POLICY were not ENABLED on r-ab12"):
        handler.enable(client, ["TAG_POLICY"], sleep=lambda _: None)


def test_delete_disables_nothing_and_answers_success(responses, monkeypatch):
    monkeypatch.setattr(handler.boto3, "client", lambda *a, **k: pytest.fail("Delete must call no API"))
    handler.handler({**EVENT, "RequestType": "Delete", "PhysicalResourceId": "organization-root-policy-types",
                     "ResourceProperties": {"PolicyTypes": ["TAG_POLICY"]}}, None)
    (response,) = responses
    assert response["Status"] == "SUCCESS" and response["PhysicalResourceId"] == "organization-root-policy-types"
    assert (response["StackId"], response["RequestId"], response["LogicalResourceId"]) == (
        EVENT["StackId"], "r-1", "OmicsSecurePolicyTypes")


def test_a_failure_is_answered_with_its_reason_so_the_stack_does_not_hang(responses, monkeypatch):
    class Broken:
        def list_roots(self) -> dict[str, Any]:
            return {"Roots": []}

    monkeypatch.setattr(handler.boto3, "client", lambda *a, **k: Broken())
    handler.handler({**EVENT, "RequestType": "Create", "ResourceProperties": {"PolicyTypes": ["TAG_POLICY"]}}, None)
    (response,) = responses
    assert response["Status"] == "FAILED"
    assert response["Reason"] == "RuntimeError: expected the organization's one root, ListRoots returned 0"


def test_a_response_url_that_is_not_https_is_refused():
    with pytest.raises(ValueError, match="https"):
        handler._respond({**EVENT, "ResponseURL": "file:///etc/passwd"}, "SUCCESS", "", {})


@pytest.mark.slow
def test_against_organizations_in_moto_create_enables_and_update_is_idempotent(responses, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        for request in ("Create", "Update"):
            handler.handler({**EVENT, "RequestType": request,
                             "ResourceProperties": {"PolicyTypes": ["SERVICE_CONTROL_POLICY", "TAG_POLICY"]}}, None)
        (root,) = client.list_roots()["Roots"]
        assert sorted((t["Type"], t["Status"]) for t in root["PolicyTypes"]) == [
            ("SERVICE_CONTROL_POLICY", "ENABLED"), ("TAG_POLICY", "ENABLED")]
    assert [r["Status"] for r in responses] == ["SUCCESS", "SUCCESS"]
    assert responses[0]["Data"] == {"RootId": root["Id"]}
