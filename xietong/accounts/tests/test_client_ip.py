"""Sign-in throttling behind reverse proxies: the client's address, not the proxy's."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from xietong.accounts.client_ip import client_ip
from xietong.accounts.tests.test_accounts import PASSWORD


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "203.0.113.7", "203.0.113.7"),  # nginx added the client
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client's own header is not believed
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.5", "203.0.113.7"),  # a load balancer, then nginx
        (2, "203.0.113.7", "203.0.113.7"),  # fewer entries than proxies: the leftmost
        (1, "", "10.0.0.2"),  # no header: the peer
    ],
)
def test_the_client_is_the_entry_the_trusted_proxies_added(settings, proxies, forwarded, expected):
    # given
    settings.XIETONG_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    # then
    assert client_ip(request) == expected


def test_behind_a_proxy_failures_lock_the_client_not_everyone_behind_the_proxy(client, world, settings):
    # given: nginx in front (every request comes from its address)
    settings.XIETONG_TRUSTED_PROXIES = 1
    settings.AXES_CLIENT_IP_CALLABLE = "xietong.accounts.client_ip.client_ip"
    attacker = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    colleague = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    for _ in range(5):
        client.post("/accounts/login/", {"username": "employee", "password": "wrong"}, **attacker)
    # when
    locked = client.post("/accounts/login/", {"username": "employee", "password": PASSWORD}, **attacker)
    allowed = client.post("/accounts/login/", {"username": "employee", "password": PASSWORD}, **colleague)
    # then
    assert locked.status_code == 429
    assert allowed.status_code == 302
