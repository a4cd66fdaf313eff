"""The main journeys in a real browser: sign in, language, the organization, search, the sign-in throttle, a phone.

Every page visited must load without console errors (which include Content Security Policy refusals).
Set XIETONG_E2E_SHOTS=/some/dir to also save a screenshot of each page the screens test visits.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "pw-for-tests-1"
PHONE = {"width": 390, "height": 844}
SHOTS = Path(os.environ["XIETONG_E2E_SHOTS"]) if os.environ.get("XIETONG_E2E_SHOTS") else None
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def zh(message: str) -> str:
    """The message as the Simplified Chinese UI shows it (the English text while the catalogue is untranslated)."""
    with translation.override("zh-hans"):
        return translation.gettext(message)


def path_of(page: Page) -> str:
    return urlparse(page.url).path


def expect_path(page: Page, path: str) -> None:
    """Wait until the page shows `path` (a click's navigation may still be under way)."""
    expect(page).to_have_url(re.compile(rf"^https?://[^/]+{re.escape(path)}(\?.*)?$"))


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Fill in and send the sign-in form, as a person would."""
    if path_of(page) != "/accounts/login/":
        page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")


def open_user_menu(page: Page) -> None:
    page.click("#user-menu")
    expect(page.locator("#user-menu + .dropdown-menu")).to_be_visible()


def shoot(page: Page, name: str) -> None:
    """Save a screenshot when XIETONG_E2E_SHOTS names a directory (for looking at the pages, not for asserting)."""
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than the viewport (0 when nothing scrolls sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_employee_signs_in_in_chinese_switches_to_english_opens_a_department_and_signs_out(
    page: Page, console: Any, world: Any
) -> None:
    # given: an employee who never chose a language, in an organization whose language is Simplified Chinese
    assert (world.employee.language, world.org.language) == ("", "zh-hans")

    # when: they sign in through the form
    page.goto("/")
    assert path_of(page) == "/accounts/login/"
    console.assert_none()
    sign_in(page, "employee")

    # then: the home page greets them, in Chinese
    assert path_of(page) == "/"
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator(".page-title")).to_contain_text("王建国")
    nav = page.locator("#navbar-menu")
    # The labels come from the zh_Hans catalogue (xietong/locale), whatever its wording: they must be Chinese.
    assert CHINESE.search(zh("Departments")), "the compiled zh_Hans catalogue leaves 'Departments' in English"
    expect(nav.get_by_role("link", name=zh("Home"), exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name=zh("Departments"), exact=True)).to_be_visible()
    open_user_menu(page)
    switch = page.locator("#user-menu + .dropdown-menu [data-language]")
    expect(switch).to_have_text(["简体中文", "English"])
    expect(page.locator("[data-language=zh-hans]")).to_have_class(re.compile(r"\bactive\b"))
    console.assert_none()

    # when: they switch to English in the user menu
    with page.expect_navigation():
        page.click("#user-menu + .dropdown-menu [data-language=en]")

    # then: the same page comes back in English, and the choice is remembered on the person
    assert path_of(page) == "/"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav.get_by_role("link", name="Departments", exact=True)).to_be_visible()
    world.employee.refresh_from_db()
    assert world.employee.language == "en"
    console.assert_none()

    # when: they open 研发中心 from the department tree
    nav.get_by_role("link", name="Departments", exact=True).click()
    expect_path(page, "/org/")
    console.assert_none()
    page.locator("#department-tree").get_by_role("link", name="研发中心", exact=True).click()

    # then: the department page names its head
    expect_path(page, f"/org/departments/{world.rd.pk}/")
    expect(page.locator("#dept-head")).to_have_text("陈浩")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    console.assert_none()

    # when: they sign out from the user menu
    open_user_menu(page)
    with page.expect_navigation():
        page.click("#logout")

    # then: they land on the sign-in page, and the pages behind it are closed again
    assert path_of(page) == "/accounts/login/"
    expect(page.locator("#id_username")).to_be_visible()
    console.assert_none()
    page.goto(f"/org/departments/{world.rd.pk}/")
    assert path_of(page) == "/accounts/login/"
    console.assert_none()


def test_live_search_finds_a_person_by_two_chinese_characters(page: Page, console: Any, world: Any) -> None:
    # given: a signed-in employee on the search page
    sign_in(page, "employee")
    page.goto("/org/search/")
    expect(page.locator("#search-results")).to_be_empty()
    page.evaluate("window.xtSamePage = true")  # survives an htmx swap, not a page load

    # when: they type two characters of a colleague's given name
    box = page.locator(".page-body input[name=q]")
    with page.expect_response(lambda r: "/org/search/" in r.url and r.request.headers.get("hx-request") == "true"):
        box.fill("建国")

    # then: the results arrive in place: one person, no department, and the address can be shared
    people = page.locator("#search-people a")
    expect(people).to_have_count(1)
    expect(people).to_contain_text("王建国")
    expect(people).to_contain_text("硬件研发部")
    assert people.get_attribute("href") == f"/org/people/{world.employee.pk}/"
    expect(page.locator("#search-departments a")).to_have_count(0)
    assert page.evaluate("window.xtSamePage") is True
    expect(page).to_have_url(re.compile(r"\?q="))
    assert parse_qs(urlparse(page.url).query) == {"q": ["建国"]}
    console.assert_none()


def test_five_wrong_passwords_lock_the_account_even_against_the_right_password(
    page: Page, console: Any, world: Any
) -> None:
    from axes.models import AccessAttempt

    # given: four wrong passwords, each answered by the sign-in form again
    for _attempt in range(4):
        sign_in(page, "employee", "not-the-password")
        assert path_of(page) == "/accounts/login/"
        expect(page.locator("#login-form .alert-danger")).to_be_visible()
        console.assert_none()

    # when: a fifth wrong password, then the right one
    sign_in(page, "employee", "not-the-password")
    expect(page.locator("#locked-out")).to_be_visible()
    expect(page.locator("#locked-out")).to_contain_text("15")  # AXES_COOLOFF_TIME, in minutes…
    expect(page.locator("#locked-out")).not_to_contain_text("PT15M")  # …not as an ISO 8601 duration
    shoot(page, "locked-out")
    console.expect(r"status of 429")  # the lock-out page is served as 429 Too Many Requests
    console.assert_none()
    page.goto("/accounts/login/")
    sign_in(page, "employee", PASSWORD)

    # then: still the lock-out page, and nobody is signed in
    expect(page.locator("#locked-out")).to_be_visible()
    console.expect(r"status of 429")
    console.assert_none()
    page.goto("/")
    assert path_of(page) == "/accounts/login/"
    console.assert_none()
    # axes records the refused right password too (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.failures_since_start) == ("employee", 6)


def test_on_a_phone_the_navbar_collapses_and_a_department_page_fits(new_page: Any, world: Any) -> None:
    # given: a phone-sized screen
    page, console = new_page(viewport=PHONE)
    sign_in(page, "employee")
    assert path_of(page) == "/"

    # then: the menu hides behind the toggler, and nothing scrolls sideways
    nav = page.locator("#navbar-menu")
    expect(nav).to_be_hidden()
    expect(page.locator(".navbar-toggler")).to_be_visible()
    expect(page.locator("#user-menu")).to_be_visible()
    assert horizontal_overflow(page) == 0
    console.assert_none()

    # when: they open the menu and go to 研发中心 through the department tree
    page.click(".navbar-toggler")
    expect(nav).to_have_class(re.compile(r"\bshow\b"))  # Bootstrap sets it once the slide-down has finished
    shoot(page, "phone-menu-open")
    nav.get_by_role("link", name=zh("Departments"), exact=True).click()
    expect_path(page, "/org/")
    console.assert_none()
    page.locator("#department-tree").get_by_role("link", name="研发中心", exact=True).click()

    # then: the department page is usable: the head is in view and the page is no wider than the phone
    expect_path(page, f"/org/departments/{world.rd.pk}/")
    expect(page.locator("#dept-head")).to_have_text("陈浩")
    expect(page.locator("#dept-head")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.locator("#dept-members").get_by_role("link", name="陈浩")).to_be_visible()
    console.assert_none()

    # when: they open the user menu
    open_user_menu(page)

    # then: it fits on the screen, the sign-out button included
    shoot(page, "phone-user-menu-open")
    expect(page.locator("#logout")).to_be_in_viewport()
    assert horizontal_overflow(page) == 0
    console.assert_none()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_main_page_renders_cleanly(new_page: Any, world: Any, language: str, viewport: str) -> None:
    """Each main page, in each language, on a desktop and a phone: no console error, no sideways scroll."""
    # given: the sign-in page, switched to the language through its own switch
    page, console = new_page(viewport=PHONE if viewport == "phone" else None)
    page.goto("/accounts/login/")
    with page.expect_navigation():
        page.click(f"[data-language={language}]")
    expected_lang = "zh-Hans" if language == "zh-hans" else "en"
    screens: list[tuple[str, str]] = [
        ("home", "/"),
        ("department-tree", "/org/"),
        ("department", f"/org/departments/{world.rd.pk}/"),
        ("person", f"/org/people/{world.head.pk}/"),
        ("people", "/org/people/"),
        ("search", "/org/search/?q=研发"),
        ("packages", "/packages/"),
        ("api-docs", "/api/v1/docs/"),
    ]

    def check(name: str) -> None:
        page.wait_for_load_state("networkidle")
        shoot(page, f"{name}-{language}-{viewport}")
        console.assert_none(f"{name} ({language}, {viewport})")
        assert horizontal_overflow(page) == 0, f"{name} ({language}, {viewport}) scrolls sideways"

    expect(page.locator("html")).to_have_attribute("lang", expected_lang)
    check("login")

    # when: an administrator signs in and visits every main page (the API docs page is Swagger UI, not ours)
    sign_in(page, "admin")
    for name, url in screens:
        response = page.goto(url)
        # then: each answers 200 in the chosen language and shows no console error
        assert response is not None
        assert response.status == 200, f"{url} answered {response.status}"
        if name != "api-docs":
            expect(page.locator("html")).to_have_attribute("lang", expected_lang)
        check(name)
