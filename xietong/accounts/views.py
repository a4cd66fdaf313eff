"""Sign-in, sign-out, password change, language choice and the personal API token."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from xietong.accounts.forms import LanguageForm
from xietong.org.models import Person
from xietong.org.services import person_set_language, person_set_password


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, as Django requires)."""


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = cast(Person, request.user)  # login_required
        person_set_password(actor=person, person=person, password=form.cleaned_data["new_password1"])
        person.refresh_from_db()
        update_session_auth_hash(request, person)
        messages.success(request, _("Your password was changed."))
        return HttpResponseRedirect(request.path)
    return render(request, "accounts/password_change.html", {"form": form})


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch the UI language; remembered on the person and in a cookie (for the sign-in page)."""
    form = LanguageForm(request.POST)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            person_set_language(person=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


@login_required
def api_token(request: HttpRequest) -> HttpResponse:
    """Show, create or renew the person's API token."""
    person = cast(Person, request.user)
    token = Token.objects.filter(user=person).first()
    if request.method == "POST":
        if token is not None:
            token.delete()
        token = Token.objects.create(user=person)
        messages.success(request, _("A new API token was created; the old one no longer works."))
        return HttpResponseRedirect(request.path)
    return render(request, "accounts/api_token.html", {"token": token})
