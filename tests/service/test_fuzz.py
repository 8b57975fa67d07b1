"""Fuzzing the ingest and read endpoints from the OpenAPI schema (schemathesis): no 5xx.

Schemathesis generates requests, valid and invalid, from the service's own OpenAPI
schema and sends them in-process (ASGI) with a valid partner token; any 5xx, an
undocumented status code or content type, or a body that does not match the documented
schema fails the test. Schema-valid messages may still be refused (422) on purpose: the
schema cannot say "the tracker must be the sender" or "the covariance must be positive
definite", so schemathesis's positive-data-acceptance check is not used. Bounded: a fixed number of
examples per operation, derandomized so CI sees the same cases every run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tests.service.conftest import fast_dir
from tracklayer.service.app import create_app
from tracklayer.service.auth import add_partner

# schemathesis binds its schema at collection time, so the app is built on import, on a
# throw-away SQLite file that the module fixture below removes.
_TMP = tempfile.TemporaryDirectory(dir=fast_dir())
APP = create_app(f"sqlite:///{Path(_TMP.name) / 'fuzz.db'}", static_dir=None)
add_partner(APP.state.engine, "JPN")
TOKEN = add_partner(APP.state.engine, "USA")
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# The coverage phase enumerates every boundary case of every field (hundreds per route);
# random fuzzing within max_examples keeps the test bounded.
schema.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    APP.state.engine.dispose()
    _TMP.cleanup()


def _check(case: Any) -> None:
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    # Requests with undocumented methods (schemathesis sends OPTIONS, TRACE...) only have to
    # avoid 5xx: Starlette answers them from the first route of a path, whose Allow header
    # lists that route's methods alone.
    if case.method.upper() == case.operation.method.upper():
        case.validate_response(
            response,
            checks=[
                checks.not_a_server_error,
                checks.status_code_conformance,
                checks.content_type_conformance,
                checks.response_schema_conformance,
            ],
        )


_SETTINGS = {"deadline": None, "derandomize": True, "suppress_health_check": list(HealthCheck)}


@schema.include(method="POST").parametrize()
@settings(max_examples=20, **_SETTINGS)  # type: ignore[arg-type]
def test_ingest_never_fails_on_the_server(case: Any) -> None:
    """Generated ingest requests get a non-5xx answer that conforms to the schema."""
    _check(case)


@schema.exclude(method="POST").parametrize()
@settings(max_examples=4, **_SETTINGS)  # type: ignore[arg-type]
def test_reads_never_fail_on_the_server(case: Any) -> None:
    """Generated read requests get a non-5xx answer that conforms to the schema."""
    _check(case)
