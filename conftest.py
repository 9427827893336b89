import pytest

from karte.core.tests.factories import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def client_for(client):
    """Return a function that logs the test client in as a user and returns the client."""

    def login(user):
        client.force_login(user)
        return client

    return login
