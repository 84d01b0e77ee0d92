"""Connect (start OAuth), callback, disconnect, and the Salesforce Integrations page.

Thin views: protocol work is in oauth.py, changes to connections in services.py.
"""

import logging
import time

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from salesforce_auth import oauth, services
from salesforce_auth.exceptions import NotConfigured, OAuthError, SalesforceUnreachable
from salesforce_auth.models import Environment, SalesforceConnection

logger = logging.getLogger(__name__)

PENDING_SESSION_KEY = "salesforce_oauth_pending"
PENDING_LIMIT = 5  # a few tabs at once; older attempts are dropped
PENDING_MAX_AGE = 30 * 60
ADD_PERMISSION = "salesforce_auth.add_salesforceconnection"
DISCONNECT_PERMISSION = "salesforce_auth.disconnect_salesforceconnection"


def integrations_page_url() -> str:
    return reverse("admin:salesforce_integrations")


def callback_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(oauth.CALLBACK_PATH)


def _login_url_from(request: HttpRequest, environment: str) -> str:
    my_domain = request.POST.get("login_url", "").strip()
    if my_domain:
        return oauth.normalise_login_url(my_domain)
    return oauth.default_login_url(environment)


@require_POST
@staff_member_required
@permission_required(ADD_PERMISSION, raise_exception=True)
def connect(request: HttpRequest) -> HttpResponse:
    """ "+ Add account" and "Reconnect": send the user to Salesforce's sign-in page."""
    reconnect_id = request.POST.get("connection")
    if reconnect_id:
        existing = get_object_or_404(SalesforceConnection, pk=reconnect_id)
        environment, login_url = existing.environment, existing.login_url
    else:
        environment = request.POST.get("environment", "")
        if environment not in Environment.values:
            messages.error(request, "Choose Production or Sandbox.")
            return redirect(integrations_page_url())
        try:
            login_url = _login_url_from(request, environment)
        except ValidationError as exc:
            messages.error(request, f"Login URL: {' '.join(exc.messages)}")
            return redirect(integrations_page_url())
    try:
        start = oauth.start_authorization(login_url, callback_url(request))
    except NotConfigured as exc:
        messages.error(request, str(exc))
        return redirect(integrations_page_url())
    now = time.time()
    pending = {
        state: item
        for state, item in request.session.get(PENDING_SESSION_KEY, {}).items()
        if now - item.get("created", 0) < PENDING_MAX_AGE
    }
    pending[start.state] = {
        "verifier": start.code_verifier,
        "environment": environment,
        "login_url": login_url,
        "created": now,
    }
    request.session[PENDING_SESSION_KEY] = dict(list(pending.items())[-PENDING_LIMIT:])
    return redirect(start.url)


@require_GET
@staff_member_required
@permission_required(ADD_PERMISSION, raise_exception=True)
@sensitive_variables("pending", "attempt")
def callback(request: HttpRequest) -> HttpResponse:
    """Where Salesforce sends the user back, with a code (or an error) and our state."""
    state = request.GET.get("state", "")
    pending = request.session.get(PENDING_SESSION_KEY, {})
    attempt = pending.pop(state, None) if state else None
    request.session[PENDING_SESSION_KEY] = pending  # the state is single-use
    if attempt is None or time.time() - attempt.get("created", 0) >= PENDING_MAX_AGE:
        return HttpResponseForbidden(
            "This sign-in link is not valid any more (unknown or expired state). "
            "Start again from the Salesforce Integrations page."
        )
    environment_label = Environment(attempt["environment"]).label
    error = request.GET.get("error")
    if error == "access_denied":
        messages.warning(
            request,
            f"You did not allow access, so no {environment_label} account was connected.",
        )
        return redirect(integrations_page_url())
    if error or not request.GET.get("code"):
        description = request.GET.get("error_description") or error or "no code was returned"
        messages.error(request, f"Salesforce did not connect the account: {description}")
        return redirect(integrations_page_url())
    try:
        connection = services.connect_with_code(
            environment=attempt["environment"],
            login_url=attempt["login_url"],
            code=request.GET["code"],
            code_verifier=attempt["verifier"],
            redirect_uri=callback_url(request),
            user=request.user,
        )
    except OAuthError as exc:
        messages.error(
            request,
            f"Salesforce refused the connection: {exc.description or exc.error}",
        )
        return redirect(integrations_page_url())
    except SalesforceUnreachable as exc:
        messages.error(request, f"Salesforce could not be reached: {exc}. Try again.")
        return redirect(integrations_page_url())
    messages.success(
        request,
        f"Connected {connection.username or connection.user_id} "
        f"({environment_label}, org {connection.org_id}).",
    )
    return redirect(integrations_page_url())


@require_POST
@staff_member_required
@permission_required(DISCONNECT_PERMISSION, raise_exception=True)
def disconnect(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(SalesforceConnection, pk=pk)
    result = services.disconnect(connection)
    disabled = (
        f" {result.integrations_disabled} integration(s) using it were disabled; "
        "their history is kept."
        if result.integrations_disabled
        else ""
    )
    if result.revoked_at_salesforce:
        messages.success(request, f"Disconnected {connection}: access revoked.{disabled}")
    else:
        messages.warning(
            request,
            f"Disconnected {connection}: the stored tokens were deleted here, but "
            f"{result.problem} A Salesforce admin can revoke the app's access under "
            f"Connected Apps OAuth Usage.{disabled}",
        )
    return redirect(integrations_page_url())
