from django.db import models
from django.utils import timezone


class LoginFailure(models.Model):
    """One failed login, counted per username and per client address by helpdesk.throttle.

    Rows live in the database so every web worker sees the same count. The key is a hash: people
    sometimes type their password into the username field, and that must not be stored readable.
    """

    class Scope(models.TextChoices):
        USERNAME = "username", "username"
        ADDRESS = "address", "client address"

    scope = models.CharField(max_length=16, choices=Scope.choices)
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "created_at"], name="guard_failure_lookup")]

    def __str__(self) -> str:
        return f"{self.scope} failure at {self.created_at:%Y-%m-%d %H:%M:%S}"
