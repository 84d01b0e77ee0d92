from django.urls import reverse
from django_celery_beat.models import CrontabSchedule, PeriodicTask


def test_the_admin_home_leads_to_the_four_steps(alice_client):
    page = alice_client.get(reverse("admin:index")).content.decode()
    for step in ("Salesforce Integrations", "Insights reports", "Integrations", "Run log"):
        assert step in page
    assert reverse("admin:salesforce_integrations") in page
    # Raw celery-beat schedules are managed by the integrations, not edited by hand.
    assert "Crontabs" not in page and "Solar events" not in page


def test_periodic_tasks_still_open_in_the_admin(alice_client):
    crontab = CrontabSchedule.objects.create(minute="0", hour="9", timezone="UTC")
    task = PeriodicTask.objects.create(name="integration-1", task="x", crontab=crontab)
    response = alice_client.get(
        reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    )
    assert response.status_code == 200
    assert "integration-1" in response.content.decode()


def test_every_admin_page_links_to_two_factor_setup(alice_client):
    page = alice_client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("mfa_index")}"' in page
    assert "Two-factor authentication" in page
