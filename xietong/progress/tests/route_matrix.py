"""The progress app's rows of the role × route matrix (tests/test_route_matrix.py)."""

from xietong.common.testing.routes import Route

ROUTES: list[Route] = []
