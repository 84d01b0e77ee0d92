"""Create the first admin user when there is none, so `make run` is usable at once."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create a superuser if no user exists. Credentials come from DJANGO_ADMIN_USERNAME / "
        "DJANGO_ADMIN_PASSWORD / DJANGO_ADMIN_EMAIL, or are generated and printed once."
    )

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        if User.objects.exists():
            self.stdout.write("An admin user already exists; not creating another.")
            return
        username = os.environ.get("DJANGO_ADMIN_USERNAME", "admin")
        email = os.environ.get("DJANGO_ADMIN_EMAIL", "admin@example.com")
        password = os.environ.get("DJANGO_ADMIN_PASSWORD")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email=email, password=password)
        self.stdout.write(self.style.SUCCESS(f"Created admin user {username!r}."))
        if generated:
            # Printed once: it is not stored anywhere else in plaintext.
            self.stdout.write(self.style.WARNING(f"Its password is: {password}  (shown only now)"))
