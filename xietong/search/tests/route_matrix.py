"""The search app's rows of the role × route matrix (tests/test_route_matrix.py).

Everyone signed in searches (what each finds is their own scope: test_selectors, test_views);
anonymous visitors are sent to sign in (page) or refused (API, 403 as in the rest of the API).
A bad API query (no words, an unknown kind) is 400.
"""

from xietong.common.testing.routes import Route, signed_in

ROUTES: list[Route] = [
    Route("search:search", expect=signed_in(200), label="empty"),
    Route("search:search", data=lambda w: {"q": "研发"}, expect=signed_in(200)),
    Route("search:search", data=lambda w: {"q": "研发", "kind": "department", "page": "9"}, expect=signed_in(200)),
    Route("api:search", data=lambda w: {"q": "研发"}, expect=signed_in(200, anonymous=403)),
    Route(
        "api:search", data=lambda w: {"q": "研发", "kind": "person"}, expect=signed_in(200, anonymous=403), label="kind"
    ),
    Route("api:search", data=lambda w: {"q": ""}, expect=signed_in(400, anonymous=403), label="no words"),
    Route(
        "api:search",
        data=lambda w: {"q": "研发", "kind": "nope"},
        expect=signed_in(400, anonymous=403),
        label="bad kind",
    ),
]
