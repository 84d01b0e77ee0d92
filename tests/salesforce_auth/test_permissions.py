"""Who may connect and disconnect, and how (POST with CSRF only)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from salesforce_auth.models import ConnectionStatus, SalesforceConnection

pytestmark = pytest.mark.django_db


def staff_client(*codenames: str) -> Client:
    user = get_user_model().objects.create_user(
        username="bob", password="bob-password-1", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def test_it_refuses_to_connect_for_staff_without_the_add_permission(salesforce_settings):
    client = staff_client("view_salesforceconnection")

    assert client.post("/salesforce/connect/", {"environment": "production"}).status_code == 403
    assert client.get("/salesforce/oauth/callback/", {"state": "x"}).status_code == 403
    page = client.get(reverse("admin:salesforce_integrations")).content.decode()
    assert "+ Add account" not in page


def test_it_lets_staff_with_the_add_permission_connect(salesforce_settings):
    client = staff_client("add_salesforceconnection", "view_salesforceconnection")

    response = client.post("/salesforce/connect/", {"environment": "production"})

    assert response.status_code == 302
    assert "/services/oauth2/authorize?" in response["Location"]


def test_it_sends_anonymous_visitors_to_sign_in(client, salesforce_settings):
    response = client.post("/salesforce/connect/", {"environment": "production"})

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_it_needs_the_disconnect_permission(emulator_connection):
    client = staff_client("add_salesforceconnection", "view_salesforceconnection")
    url = reverse("salesforce_auth:disconnect", args=[emulator_connection.pk])

    assert client.post(url).status_code == 403
    assert "Disconnect" not in client.get(reverse("admin:salesforce_integrations")).content.decode()
    connection = SalesforceConnection.objects.get(pk=emulator_connection.pk)
    assert connection.status == ConnectionStatus.CONNECTED


def test_it_refuses_get_on_connect_and_disconnect(alice_client, emulator_connection):
    url = reverse("salesforce_auth:disconnect", args=[emulator_connection.pk])

    assert alice_client.get(url).status_code == 405
    assert alice_client.get("/salesforce/connect/").status_code == 405
    connection = SalesforceConnection.objects.get(pk=emulator_connection.pk)
    assert connection.status == ConnectionStatus.CONNECTED


def test_it_refuses_posts_without_a_csrf_token(alice, emulator_connection):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    url = reverse("salesforce_auth:disconnect", args=[emulator_connection.pk])

    assert client.post(url).status_code == 403
    assert client.post("/salesforce/connect/", {"environment": "sandbox"}).status_code == 403
    connection = SalesforceConnection.objects.get(pk=emulator_connection.pk)
    assert connection.status == ConnectionStatus.CONNECTED
