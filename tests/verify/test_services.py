"""HealthOmics stores and HealthLake datastores, which moto lacks: botocore's Stubber answers for them.

The keys they name are real (moto) keys, so the customer-managed check reads them through KMS as it would
in an account.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from omics_secure.verify import AwsReader, Selection
from tests.verify.environment import ACCOUNT, REGION, failures, outcomes
from tests.verify.rules import verify

CREATED = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
SEQUENCE_STORE_ARN = f"arn:aws:omics:{REGION}:{ACCOUNT}:sequenceStore/1234567890"
REFERENCE_STORE_ARN = f"arn:aws:omics:{REGION}:{ACCOUNT}:referenceStore/0987654321"
DATASTORE_ARN = f"arn:aws:healthlake:{REGION}:{ACCOUNT}:datastore/fhir/abcdef0123456789"


@pytest.fixture
def customer_key(aws: None) -> str:
    return str(boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"])


@pytest.fixture
def stubs(reader: AwsReader) -> Iterator[tuple[Stubber, Stubber]]:
    omics, healthlake = Stubber(reader.client("omics")), Stubber(reader.client("healthlake"))
    with omics, healthlake:
        yield omics, healthlake
        omics.assert_no_pending_responses()
        healthlake.assert_no_pending_responses()


def store(arn: str, sse: dict[str, Any]) -> dict[str, Any]:
    return {"id": arn.rsplit("/", 1)[-1], "arn": arn, "name": "store", "creationTime": CREATED, "sseConfig": sse}


def datastore(kms_config: dict[str, Any]) -> dict[str, Any]:
    return {"DatastoreProperties": {
        "DatastoreId": DATASTORE_ARN.rsplit("/", 1)[-1], "DatastoreArn": DATASTORE_ARN, "DatastoreStatus": "ACTIVE",
        "DatastoreTypeVersion": "R4", "DatastoreEndpoint": "https://healthlake.example/datastore/abcdef/r4/",
        "SseConfiguration": {"KmsEncryptionConfig": kms_config}}}


def test_stores_and_datastore_on_the_customer_managed_key_pass(
        reader: AwsReader, stubs: tuple[Stubber, Stubber], customer_key: str) -> None:
    omics, healthlake = stubs
    omics.add_response("get_sequence_store", store(SEQUENCE_STORE_ARN, {"type": "KMS", "keyArn": customer_key}),
                       {"id": "1234567890"})
    omics.add_response("get_reference_store", store(REFERENCE_STORE_ARN, {"type": "KMS", "keyArn": customer_key}),
                       {"id": "0987654321"})
    healthlake.add_response(
        "describe_fhir_datastore",
        datastore({"CmkType": "CUSTOMER_MANAGED_KMS_KEY", "KmsKeyId": customer_key}),
        {"DatastoreId": "abcdef0123456789"})
    results = verify(reader, Selection(sequence_stores=[SEQUENCE_STORE_ARN], reference_stores=["0987654321"],
                                       datastores=["abcdef0123456789"]))
    assert outcomes(results) == {
        ("HealthOmicsStoreCustomerManagedKey", SEQUENCE_STORE_ARN): "compliant",
        ("HealthOmicsStoreCustomerManagedKey", REFERENCE_STORE_ARN): "compliant",
        ("HealthLakeDatastoreCustomerManagedKey", DATASTORE_ARN): "compliant",
    }


def test_aws_owned_and_missing_keys_fail(reader: AwsReader, stubs: tuple[Stubber, Stubber], aws: None) -> None:
    omics, healthlake = stubs
    gone = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
    omics.add_response("get_sequence_store", store(SEQUENCE_STORE_ARN, {"type": "KMS"}), {"id": "1234567890"})
    omics.add_response("get_reference_store", store(REFERENCE_STORE_ARN, {"type": "KMS", "keyArn": gone}),
                       {"id": "0987654321"})
    healthlake.add_response("describe_fhir_datastore", datastore({"CmkType": "AWS_OWNED_KMS_KEY"}),
                            {"DatastoreId": "abcdef0123456789"})
    found = failures(verify(reader, Selection(sequence_stores=["1234567890"], reference_stores=["0987654321"],
                                              datastores=[DATASTORE_ARN])))
    assert found == {
        ("HealthOmicsStoreCustomerManagedKey", SEQUENCE_STORE_ARN):
            "sseConfig names no KMS key: the data is under an AWS-owned key",
        ("HealthOmicsStoreCustomerManagedKey", REFERENCE_STORE_ARN): f"the key {gone} is NotFound",
        ("HealthLakeDatastoreCustomerManagedKey", DATASTORE_ARN):
            "CmkType is AWS_OWNED_KMS_KEY, not CUSTOMER_MANAGED_KMS_KEY",
    }


def test_a_deleted_store_is_reported_missing(reader: AwsReader, stubs: tuple[Stubber, Stubber]) -> None:
    omics, _ = stubs
    omics.add_client_error("get_sequence_store", service_error_code="ResourceNotFoundException",
                           http_status_code=404, expected_params={"id": "1234567890"})
    assert failures(verify(reader, Selection(sequence_stores=["1234567890"]))) == {
        ("HealthOmicsStoreCustomerManagedKey", "1234567890"): "the resource does not exist"}
