"""schemathesis against the served OpenAPI document: generated requests (valid and invalid) never get a 5xx, and
every response conforms to the document: a documented status code, the documented content type, a body that
validates against the response schema, the documented headers."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from tests.api.conftest import auth, order_body

EXAMPLES = 120  # bounded: about 10 s on a laptop
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_never_get_a_server_error(app, client, token, mode):
    key = token("intake", "events", "export", "personal_data")
    client.post("/api/v1/orders", json=order_body("GD1"), headers=auth(key))  # something for the paths to find
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9
    failures, statuses = [], []

    @given(data=st.data())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(data: st.DataObject) -> None:
        operation = data.draw(st.sampled_from(operations))
        case = data.draw(operation.as_strategy(generation_mode=mode))
        response = case.call(headers=auth(key))
        statuses.append(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, FailureGroup) as exc:
            failures.append((operation.label, case.body, response.status_code, response.text[:300], str(exc)[:500]))
            raise

    run()
    assert failures == []
    if mode == GenerationMode.POSITIVE:
        assert any(status < 300 for status in statuses)  # the requests got through, not only 4xx
