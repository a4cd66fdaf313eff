"""The common app's rows of the role × route matrix (tests/test_route_matrix.py).

``/healthz`` answers everyone, signed in or not, and only to reading (GET, HEAD). The start page
(``home``), which also lives in xietong.common, has its row in xietong/accounts/tests/route_matrix.py.
"""

from xietong.common.testing.routes import Route, everyone

ROUTES: list[Route] = [
    Route("healthz", expect=everyone(200)),
    Route("healthz", method="post", expect=everyone(405)),
]
