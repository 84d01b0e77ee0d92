"""Re-encrypt every stored secret with the first key of TOKEN_ENCRYPTION_KEYS.

Rotation: put the new key first, keep the old one after it, run this command, then drop
the old key. Covers Salesforce tokens and report-source credentials.
"""

from django.core.management.base import BaseCommand

from salesforce_auth.rotation import rotate_all_secrets


class Command(BaseCommand):
    help = "Re-encrypt all stored tokens and credentials with the current (first) key."

    def handle(self, *args, **options):
        counts = rotate_all_secrets()
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} value(s) re-encrypted")
        self.stdout.write(self.style.SUCCESS("Done."))
