from xietong.processes.tests.route_matrix_api import ROUTES as API_ROUTES
from xietong.processes.tests.route_matrix_cases import ROUTES as CASE_ROUTES
from xietong.processes.tests.route_matrix_catalogue import ROUTES as CATALOGUE_ROUTES

ROUTES = CATALOGUE_ROUTES + CASE_ROUTES + API_ROUTES
