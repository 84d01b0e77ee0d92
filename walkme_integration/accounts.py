"""Staff sign-in through django-allauth (with TOTP two-factor authentication).

Accounts are made by an administrator (`createsuperuser`, or the admin's Users page), never
by visitors: sign-up is closed. The admin's own login page hands over to allauth's, so
there is one sign-in page, and it enforces two-factor authentication where a user set it up.
"""

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


def admin_login(request: HttpRequest) -> HttpResponse:
    """/admin/login/ -> allauth's login, keeping ?next=."""
    if request.user.is_authenticated and not request.user.is_staff:
        # Signed in but not staff: sending them to the login page again would loop back here.
        raise PermissionDenied("This account has no access to the admin.")
    target = reverse("account_login")
    query = request.META.get("QUERY_STRING", "")
    return redirect(f"{target}?{query}" if query else target)
