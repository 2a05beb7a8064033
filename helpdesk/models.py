from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models


class Site(models.Model):
    """A client company of the MSP: the tenant every ticket, chat and document belongs to."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=60, blank=True, help_text="law firm, clinic, school, retailer...")
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        ENGINEER = "engineer", "Engineer"
        ADMIN = "admin", "Admin"

    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CUSTOMER)
    # A customer belongs to exactly one site; engineers cover sites through their profile; admins see all.
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="customers")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="customer") | models.Q(site__isnull=False),
                name="customer_has_site",
            )
        ]

    @property
    def is_customer(self) -> bool:
        return self.role == self.Role.CUSTOMER

    @property
    def is_engineer(self) -> bool:
        return self.role == self.Role.ENGINEER

    @property
    def is_helpdesk_admin(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser

    @property
    def is_staff_member(self) -> bool:
        """Engineers and admins: the people who work tickets."""
        return self.is_engineer or self.is_helpdesk_admin

    @property
    def display_name(self) -> str:
        profile = getattr(self, "profile", None)
        return (profile and profile.display_name) or self.get_full_name() or self.username


class Profile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    # Engineer fields; empty for customers and admins.
    covered_sites = models.ManyToManyField(Site, blank=True, related_name="engineer_profiles")
    expertise = ArrayField(
        models.CharField(max_length=40), default=list, blank=True, help_text="Category slugs, e.g. network"
    )
    is_available = models.BooleanField(default=True)
    capacity = models.PositiveSmallIntegerField(default=8, help_text="Open tickets this engineer can carry")

    def __str__(self) -> str:
        return f"Profile of {self.user.username}"
