"""verify runs against moto in-process: fake credentials, one region, nothing reaches the internet."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import boto3
import botocore.loaders
import botocore.session
import pytest

from omics_secure.verify.aws import AwsReader
from tests.verify.environment import REGION, Environment, build_environment


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/omics-secure-test-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/omics-secure-test-credentials")
    # moto's EC2 backend otherwise creates some 1,300 public AMIs with their snapshots in every region it
    # starts, which verify never reads: more than half of each test's set-up.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


_shared_loader = functools.cache(botocore.loaders.create_loader)


@pytest.fixture(autouse=True)
def botocore_reads_its_service_models_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every boto3 session of a test process shares one botocore loader.

    Each new session (every ``boto3.Session()`` and moto's reset default session) otherwise parses the
    service models' JSON again: about 0.1 s per client, two thirds of these tests' time. The models are
    read-only data, so sharing them changes no behaviour (botocore shares them between the clients of one
    session the same way).
    """
    monkeypatch.setattr(botocore.session, "create_loader", _shared_loader)


@pytest.fixture
def aws() -> Iterator[None]:
    from moto import mock_aws  # imported here: moto takes 0.6 s to import, and only these tests use it

    with mock_aws():
        yield


@pytest.fixture
def reader(aws: None) -> AwsReader:
    return AwsReader(boto3.Session(region_name=REGION))


@pytest.fixture
def environment(aws: None) -> Environment:
    """A compliant set of resources created through the AWS APIs."""
    return build_environment()
