import pytest

pytestmark = pytest.mark.django_db


def test_department_page_shows_its_head(client, world):
    # given
    client.force_login(world.employee)
    # when
    response = client.get(f"/org/departments/{world.rd.pk}/")
    # then
    assert response.status_code == 200
    assert "陈浩" in response.content.decode()
