from django.apps import AppConfig


class SalesforceAuthConfig(AppConfig):
    name = "salesforce_auth"
    verbose_name = "Salesforce connections"
