"""Fixtures of the interoperability tests: API clients with tokens, a signed-in FHIR client."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from chartdesk.interop.tokens import do_issue_token, do_register_api_client
from tests.support import factories


class FhirClient:
    """A test client that sends a bearer token and speaks FHIR JSON."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **headers: str) -> Any:
        return self.client.get(path, headers={**self.headers, **headers})

    def post(self, path: str, resource: Any, **headers: str) -> Any:
        return self.client.post(path, data=json.dumps(resource), content_type="application/fhir+json",
                                headers={**self.headers, **headers})

    def put(self, path: str, resource: Any, **headers: str) -> Any:
        return self.client.put(path, data=json.dumps(resource), content_type="application/fhir+json",
                               headers={**self.headers, **headers})


@pytest.fixture
def admin(db: Any) -> Any:
    return factories.make_user("administrator")


@pytest.fixture
def api_token(admin: Any) -> Callable[..., str]:
    """A bearer token for a client acting as a user of `role` (or as `user`) with `scopes`."""

    def issue(role: str = "registrar", scopes: tuple[str, ...] = ("user/*.read",), patient: Any = None,
              user: Any = None) -> str:
        acting = user or factories.make_user(role)
        client, secret = do_register_api_client(f"{role} app", user=acting, scopes=list(scopes), patient=patient,
                                                acting_user=admin)
        token, _ = do_issue_token(client.client_id, secret)
        return token

    return issue


@pytest.fixture
def fhir_as(api_token: Callable[..., str]) -> Callable[..., FhirClient]:
    def make(role: str = "registrar", scopes: tuple[str, ...] = ("user/*.read",), patient: Any = None,
             user: Any = None) -> FhirClient:
        return FhirClient(api_token(role, scopes, patient, user))

    return make
