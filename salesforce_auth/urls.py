from django.urls import path

from salesforce_auth import views

app_name = "salesforce_auth"

urlpatterns = [
    path("connect/", views.connect, name="connect"),
    path("oauth/callback/", views.callback, name="callback"),
    path("connections/<int:pk>/disconnect/", views.disconnect, name="disconnect"),
]
