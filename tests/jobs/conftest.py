"""The job tests run real jobs (FHIR bulk exports) through the queue, with the API fixtures of interop."""

from tests.interop.conftest import admin, api_token, fhir_as  # noqa: F401
