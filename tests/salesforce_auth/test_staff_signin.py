"""Staff sign in to the admin through django-allauth, with optional TOTP; sign-up is closed."""

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(client: Client, login: str = "alice", password: str = "alice-password-1"):
    return client.post("/accounts/login/?next=/admin/", {"login": login, "password": password})


def test_it_sends_the_admin_login_to_allauth(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    assert 'name="login"' in response.content.decode()


def test_it_signs_staff_in_to_the_admin(client, alice):
    response = sign_in(client)

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_it_refuses_a_wrong_password(client, alice):
    response = sign_in(client, password="wrong-password")

    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_it_does_not_loop_for_a_signed_in_user_who_is_not_staff(client, db):
    get_user_model().objects.create_user(username="carol", password="carol-password-1")
    sign_in(client, "carol", "carol-password-1")

    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_it_keeps_sign_up_closed(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "mallory", "password1": "Sup3r-secret-pw", "password2": "Sup3r-secret-pw"},
    )

    assert "Sign Up Closed" in response.content.decode()
    assert not get_user_model().objects.filter(username="mallory").exists()


def test_it_asks_for_a_totp_code_once_two_factor_is_on(client, alice):
    sign_in(client)
    # Turning on two-factor authentication asks for the password again first.
    client.post("/accounts/reauthenticate/", {"password": "alice-password-1"})
    activate = client.get("/accounts/2fa/totp/activate/")
    secret = activate.context["form"].secret
    activated = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert activated.status_code == 302
    client.post("/accounts/logout/")

    first_step = sign_in(client)

    assert first_step["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/admin/").status_code == 302  # not signed in until the code is given
    second_step = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert second_step.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_it_still_lets_createsuperuser_make_an_admin(client, db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "dave-password-1")
    call_command("createsuperuser", username="dave", email="dave@example.com", interactive=False)

    assert sign_in(client, "dave", "dave-password-1")["Location"] == "/admin/"
