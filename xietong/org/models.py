"""The organization: its departments, its people (who are also the accounts) and committees."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.common.models import TimeStampedModel

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"

code_validator = RegexValidator(
    CODE_PATTERN,
    _("A code starts with a letter or digit and uses letters, digits, “_”, “.” and “-” (at most 32)."),
)
username_validator = RegexValidator(
    USERNAME_PATTERN,
    _("A username starts with a lower-case letter or digit and uses a–z, 0–9, “_”, “.” and “-” (at most 64)."),
)


class Organization(models.Model):
    """The one organization this installation serves (a singleton, pk=1)."""

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(_("timezone"), max_length=64, default="Asia/Shanghai")
    language = models.CharField(_("language"), max_length=8, choices=Language, default=Language.ZH_HANS)
    schedule = models.JSONField(_("schedule"), default=dict, blank=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organization")

    def __str__(self) -> str:
        return self.name


class Department(TimeStampedModel):
    """A unit of the organization; departments form a forest through ``parent``."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    head = models.ForeignKey(
        "org.Person",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    liaison = models.ForeignKey(
        "org.Person",
        verbose_name=_("liaison"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="liaison_departments",
    )
    deputy_liaison = models.ForeignKey(
        "org.Person",
        verbose_name=_("deputy liaison"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deputy_liaison_departments",
    )
    # The department's own schedule (package-format "schedule" mapping); null inherits the parent's.
    schedule = models.JSONField(_("own schedule"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ("code",)
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="org_department_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class PersonManager(BaseUserManager["Person"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: Any) -> Person:
        person = self.model(username=username, **extra)
        person.set_password(password)
        person.save()
        return person

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> Person:
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_admin", True)
        extra.setdefault("name", username)
        return self.create_user(username, password, **extra)


class Person(AbstractBaseUser, PermissionsMixin):
    """An employee, and the account they sign in with."""

    class Level(models.TextChoices):
        STAFF = "staff", _("Staff")
        MANAGER = "manager", _("Manager")
        EXECUTIVE = "executive", _("Executive")

    username = models.CharField(_("username"), max_length=64, unique=True, validators=[username_validator])
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level, default=Level.STAFF)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    is_admin = models.BooleanField(_("administrator"), default=False)
    is_coordinator = models.BooleanField(_("coordinator"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    language = models.CharField(_("language"), max_length=8, blank=True, choices=Organization.Language)
    date_joined = models.DateTimeField(_("joined"), auto_now_add=True)

    objects = PersonManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    class Meta:
        ordering = ("username",)
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return f"{self.name} ({self.username})"

    @property
    def is_staff(self) -> bool:
        """Django admin access: administrators only."""
        return self.is_active and (self.is_admin or self.is_superuser)

    @property
    def roles(self) -> list[str]:
        return [role for role, held in (("admin", self.is_admin), ("coordinator", self.is_coordinator)) if held]

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


class Committee(TimeStampedModel):
    """A cross-department body, such as the coordination committee."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    chair = models.ForeignKey(
        Person,
        verbose_name=_("chair"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    members = models.ManyToManyField(Person, verbose_name=_("members"), related_name="committees")

    class Meta:
        ordering = ("code",)
        verbose_name = _("committee")
        verbose_name_plural = _("committees")

    def __str__(self) -> str:
        return self.name
