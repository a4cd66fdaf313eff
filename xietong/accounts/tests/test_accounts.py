import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import override_settings

from xietong.audit.models import AuditEntry
from xietong.config import settings as project_settings
from xietong.org.models import Person

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"


def test_production_settings_hash_passwords_with_argon2():
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS)
def test_a_set_password_is_stored_as_an_argon2_hash(world):
    # when
    world.employee.set_password("a-Good-passw0rd")
    world.employee.save(update_fields=["password"])
    # then
    world.employee.refresh_from_db()
    assert identify_hasher(world.employee.password).algorithm == "argon2"
    assert world.employee.check_password("a-Good-passw0rd")


def test_sign_in_with_the_right_password_opens_the_home_page(client, world):
    # when
    response = client.post("/accounts/login/", {"username": "employee", "password": PASSWORD})
    # then
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_wrong_password_is_refused(client, world):
    response = client.post("/accounts/login/", {"username": "employee", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_account_even_for_the_right_password(client, world):
    # given
    for _ in range(5):
        client.post("/accounts/login/", {"username": "employee", "password": "wrong"})
    # when
    response = client.post("/accounts/login/", {"username": "employee", "password": PASSWORD})
    # then
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_deactivated_person_cannot_sign_in(client, world):
    Person.objects.filter(pk=world.employee.pk).update(is_active=False)
    response = client.post("/accounts/login/", {"username": "employee", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_sign_out_needs_post_and_ends_the_session(client, world):
    client.force_login(world.employee)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_changing_ones_password_keeps_the_session_and_is_audited(client, world):
    # given
    client.force_login(world.employee)
    # when
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Xietong-2026-new",
            "new_password2": "Xietong-2026-new",
        },
    )
    # then
    assert response.status_code == 302
    world.employee.refresh_from_db()
    assert world.employee.check_password("Xietong-2026-new")
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.get(object_id=str(world.employee.pk)).action == "set_password"


def test_a_wrong_old_password_changes_nothing(client, world):
    client.force_login(world.employee)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "nope",
            "new_password1": "Xietong-2026-new",
            "new_password2": "Xietong-2026-new",
        },
    )
    assert response.status_code == 200
    world.employee.refresh_from_db()
    assert world.employee.check_password(PASSWORD)
    assert AuditEntry.objects.count() == 0


def test_pages_speak_simplified_chinese_by_default(client, world):
    client.force_login(world.employee)
    response = client.get("/org/")
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-Hans">' in response.content.decode()


def test_switching_to_english_is_remembered_on_the_person(client, world):
    # given
    client.force_login(world.employee)
    # when
    response = client.post("/accounts/language/", {"language": "en", "next": "/org/"})
    # then
    assert response.status_code == 302
    assert response["Location"] == "/org/"
    world.employee.refresh_from_db()
    assert world.employee.language == "en"
    client.cookies.pop("xietong_language")
    assert client.get("/org/")["Content-Language"] == "en"


def test_the_sign_in_page_follows_the_language_cookie(client, world):
    client.post("/accounts/language/", {"language": "en", "next": "/accounts/login/"})
    response = client.get("/accounts/login/")
    assert response["Content-Language"] == "en"


def test_an_unknown_language_or_foreign_next_url_is_ignored(client, world):
    client.force_login(world.employee)
    response = client.post("/accounts/language/", {"language": "fr", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    world.employee.refresh_from_db()
    assert world.employee.language == ""


def test_the_organizations_language_is_the_default_for_everyone(client, world):
    world.org.language = "en"
    world.org.save(update_fields=["language"])
    client.force_login(world.employee)
    assert client.get("/org/")["Content-Language"] == "en"


def test_the_api_token_page_creates_and_renews_a_token(client, world):
    client.force_login(world.employee)
    client.post("/accounts/token/")
    first = world.employee.auth_token.key
    client.post("/accounts/token/")
    world.employee.refresh_from_db()
    assert world.employee.auth_token.key != first
    assert client.get("/accounts/token/").content.decode().count(world.employee.auth_token.key) == 1
