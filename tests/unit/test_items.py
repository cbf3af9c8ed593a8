"""Every stored model survives the trip through a DynamoDB item (None values are dropped)."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from alerting.errors import ConcurrentUpdate, InvalidInput
from alerting.evaluation import AlertChange, initial_state
from alerting.lifecycle import start_alert
from alerting.models.alerts import Alert, AlertKind, ConditionValue, SeriesState
from alerting.models.channels import DeliveryRecord
from alerting.repositories.dynamo import decode_token, encode_token, from_item, to_item, transact
from tests.factories import T0, condition, make_rule


def round_trip(model):
    return type(model).model_validate(from_item(to_item(model.model_dump(mode="json"))))


def test_alert_with_a_missing_value_round_trips():
    rule = make_rule(treat_missing_data="alert", conditions=[condition(resolve_threshold=80)])
    values = [ConditionValue.observed(rule.conditions[0], None)]
    alert = start_alert(rule, initial_state(rule), AlertChange(AlertKind.nodata, "nd-1", "no data"), values, T0)
    assert round_trip(alert) == alert
    assert isinstance(round_trip(alert), Alert)


def test_series_state_and_delivery_record_round_trip():
    state = initial_state(make_rule()).model_copy(update={"history": "B.B", "alert_starts": [1, 2]})
    assert round_trip(state) == state and isinstance(state, SeriesState)
    record = DeliveryRecord(
        alert_id="a",
        seq=1,
        channel_id="c",
        channel_type="slack",
        event="firing",
        status="retrying",
        created_at=T0,
        updated_at=T0,
    )
    assert round_trip(record) == record


@pytest.mark.parametrize(
    ("reasons", "raised"),
    [
        ([{"Code": "None"}, {"Code": "ConditionalCheckFailed"}], ConcurrentUpdate),
        ([{"Code": "TransactionConflict"}, {"Code": "None"}], ConcurrentUpdate),
        ([{"Code": "ValidationError", "Message": "Item size has exceeded"}, {"Code": "None"}], ClientError),
        ([{"Code": "ThrottlingError"}, {"Code": "None"}], ClientError),
    ],
)
def test_only_a_failed_condition_or_a_conflict_is_a_lost_race(reasons, raised):
    client = boto3.client("dynamodb", region_name="us-east-1")
    put = {"Put": {"TableName": "t", "Item": {"k": {"S": "v"}}}}
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "transact_write_items",
            "TransactionCanceledException",
            "cancelled",
            400,
            modeled_fields={"CancellationReasons": reasons},
        )
        with pytest.raises(raised):
            transact(client, [put, put])


def _token(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_a_page_token_round_trips_its_key():
    key = {"pk": {"S": "rule"}, "sk": {"S": "cpu"}, "n": {"N": "12"}}
    assert decode_token(encode_token(key, "listing"), "listing") == key


@pytest.mark.parametrize(
    "start",
    [
        '{"pk": 1e999}',  # inf
        '{"pk": -1e999}',
        '{"pk": NaN}',
        '{"pk": Infinity}',
        '{"pk": 1' + "0" * 40 + "}",  # more digits than a DynamoDB number holds
        '{"pk": 1' + "0" * 5000 + "}",  # more than json.loads reads
        '{"pk": 1e-200}',  # below DynamoDB's smallest number
        '{"pk": {"nested": [1, 2]}}',
        '{"pk": [' * 900 + "]" * 900 + "}",
        '{"pk": true}',
        '{"pk": null}',
    ],
)
def test_a_forged_page_token_is_invalid_input_naming_next_token(start: str):
    # A token is only base64 JSON: a client can keep the listing and change the key
    token = base64.urlsafe_b64encode(f'{{"l": "listing", "k": {start}}}'.encode()).decode()

    with pytest.raises(InvalidInput) as caught:
        decode_token(token, "listing")

    assert caught.value.field == "next_token"


def test_a_token_of_another_listing_says_so():
    with pytest.raises(InvalidInput, match="does not belong to this listing"):
        decode_token(_token({"l": "other", "k": {"pk": "x"}}), "listing")
