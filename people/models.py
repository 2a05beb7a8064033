"""Invitations: how a customer or an engineer gets an account, by a one-time emailed link.

Only a hash of the link's token is stored, so a database read does not hand out working links; the
account is made when the invitee accepts, with the role and sites the admin chose.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from helpdesk.models import Site


class Invitation(models.Model):
    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        ENGINEER = "engineer", "Engineer"

    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices)
    # A customer's one site; an engineer's covered sites.
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    covered_sites = models.ManyToManyField(Site, blank=True, related_name="engineer_invitations")
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the emailed token")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The account made when the invitation was accepted",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="customer") | models.Q(site__isnull=False),
                name="invited_customer_has_site",
            )
        ]
        indexes = [models.Index(fields=["email", "used_at"])]

    def __str__(self) -> str:
        return f"Invitation of {self.email} as {self.get_role_display().lower()}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_live(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()
