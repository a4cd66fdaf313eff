"""The start page (工作台): what waits for me, my department, and what the programme offers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xietong.common.workbench import tiles_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"tiles": tiles_for(request.user)})
