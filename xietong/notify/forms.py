"""Forms of notify: a person's channel preferences, and a webhook. They only shape the input; the
rules (http(s) URLs, no secret on WeCom, known kinds) live in services, for every door alike."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.notify import kinds
from xietong.notify.models import Webhook
from xietong.notify.permissions import webhook_department_ids
from xietong.org.models import Department


class PreferencesForm(forms.Form):
    """One "also by e-mail" box per registered group of kinds."""

    def __init__(self, *args: Any, preferences: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in preferences:
            self.fields[f"email_{row['group']}"] = forms.BooleanField(
                label=row["label"], required=False, initial=row["email"]
            )

    def email_groups(self) -> list[str]:
        return [name.removeprefix("email_") for name, value in self.cleaned_data.items() if value]


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return f"{obj.name}（{obj.code}）"


class WebhookForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("webhook", "Name"), max_length=100, help_text=_("E.g. the group chat's name.")
    )
    department = DepartmentChoiceField(
        label=_("Department"),
        queryset=Department.objects.filter(is_active=True).order_by("code"),
        required=False,
        empty_label=_("The whole organization"),
        help_text=_("Messages to people of this department go to the group chat; empty: every message."),
    )
    include_subdepartments = forms.BooleanField(
        label=_("Include sub-departments"),
        required=False,
        help_text=_("Also messages to people of the departments below it."),
    )
    vendor = forms.ChoiceField(label=_("Vendor"), choices=Webhook.Vendor.choices)
    url = forms.CharField(
        label=_("Webhook URL"),
        max_length=500,
        help_text=_("The address the group robot gives, starting with https://."),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("DingTalk (加签) and Feishu (签名校验) only; WeCom does not sign."),
    )
    clear_secret = forms.BooleanField(label=_("Remove the stored secret"), required=False)
    groups = forms.MultipleChoiceField(
        label=_("Kinds of notification"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The group chat receives the notifications of these kinds."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, webhook: Webhook | None = None, manager: Any = None, **kwargs: Any) -> None:
        if webhook is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": webhook.name,
                    "department": webhook.department_id,
                    "include_subdepartments": webhook.include_subdepartments,
                    "vendor": webhook.vendor,
                    "url": webhook.url,
                    "groups": list(webhook.groups or []),
                    "is_active": webhook.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        allowed = webhook_department_ids(manager) if manager is not None else None
        if allowed is not None:  # a department head: only the departments they head, never the organization
            department = self.fields["department"]
            department.queryset = department.queryset.filter(pk__in=allowed)  # type: ignore[attr-defined]
            department.required = True
            department.empty_label = None  # type: ignore[attr-defined]
        self.fields["groups"].choices = [(group, label) for group, label in kinds.kind_groups()]  # type: ignore[attr-defined]  # a ChoiceField
        if webhook is None or not webhook.secret:
            del self.fields["clear_secret"]
        if webhook is not None and webhook.secret:
            self.fields["secret"].help_text = _(
                "A secret is stored (it is never shown). Leave empty to keep it; type a new one to replace it."
            )
