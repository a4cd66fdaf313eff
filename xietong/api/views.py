"""What every API view of xietong shares."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xietong.accounts.middleware import request_language


class CallerLanguageMixin(APIView):
    """Answer in the caller's language, token callers included.

    The language middleware runs before DRF authenticates, so it cannot see whom a token belongs to
    and would answer a token caller in the organization's language. Once DRF knows the caller, the
    language is chosen again (the person's own, else the cookie, else the organization's), before
    permissions are checked and the request is validated: every message is then in that language.
    """

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        language = request_language(request)  # a DRF Request: user is the authenticated caller
        translation.activate(language)
        request._request.LANGUAGE_CODE = language

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response.headers["Content-Language"] = translation.get_language()
        return response
