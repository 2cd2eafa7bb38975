"""The duty page in a real browser at phone width: 张立新 without a mask is
denied with the reason shown, puts the mask on, and the second attempt is
admitted, without a page reload."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from fangkong.checkpoints.models import Entry

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def browser_page(live_server, gate_staff, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(gate_staff)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        page = context.new_page()
        try:
            yield page
        finally:
            browser.close()
            # Inside Playwright's context the test's queries went through a
            # connection of their own (Django's connections follow context
            # variables): close it before the test database is dropped.
            connections.close_all()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_denies_without_a_mask_then_admits_the_second_attempt(
    browser_page, live_server, north_gate, resident_code
):
    page = browser_page
    page.goto(f"{live_server.url}/checkpoints/{north_gate.pk}/duty/")
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.click("text=未戴口罩")
    page.click(".quick-key[data-value='36.5']")
    page.fill("#identifier", resident_code)
    page.press("#identifier", "Enter")  # what a keyboard-wedge scanner does
    page.wait_for_selector(".result.deny")
    assert page.inner_text(".result .verdict") == "禁止"
    assert "未戴口罩" in page.inner_text(".result .reasons")
    assert "张立新" in page.inner_text(".result .who")

    # The form is kept after a denial: put the mask on and register again.
    assert page.input_value("#identifier") == resident_code
    page.click("text=已戴口罩")
    page.click("#submit")
    page.wait_for_selector(".result.admit")
    assert page.inner_text(".result .verdict") == "通行"
    assert "第2次" in page.inner_text(".result")
    assert page.evaluate("window.loadedOnce") is True

    # After a pass the form is ready for the next person.
    assert page.input_value("#identifier") == ""
    assert page.is_checked("#mask-1")
    assert page.input_value("#temperature") == ""
    assert "禁止" in page.inner_text("#recent") and "通行" in page.inner_text("#recent")

    first, second = Entry.objects.order_by("id")
    assert (first.decision, second.decision) == ("deny", "admit")
    assert second.previous_attempt_id == first.pk
    assert second.attempt == 2


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_registers_an_elder_from_the_archive_with_the_pad(
    browser_page, live_server, north_gate, city
):
    from fangkong.core.testing import make_person

    make_person(city.shenghe, "刘秀英", household="2号楼1单元01室", has_smartphone=False)
    page = browser_page
    page.goto(f"{live_server.url}/checkpoints/{north_gate.pk}/duty/")
    page.click("#archive summary")
    page.fill("input[name=household]", "2号楼")
    page.click("button.pick")
    assert "刘秀英" in page.inner_text("#picked")
    page.click("#hc-none + label")
    for key in "365":
        page.click(f".pad .key[data-key='{key}']")
    assert page.input_value("#temperature") == "36.5"
    page.click("#submit")
    page.wait_for_selector(".result.admit")
    entry = Entry.objects.get()
    assert entry.identified_by == "person"
    assert str(entry.temperature) == "36.5"


# What the gate volunteer taps, often with gloves on: each of these is at
# least 44 × 44 CSS px on a 360 px wide phone.
TAPPED = [
    "label[for=mask-1]",
    "label[for=mask-0]",
    "label[for=hc-green]",
    "label[for=hc-yellow]",
    "label[for=hc-red]",
    "label[for=hc-none]",
    "label[for=star-0]",
    "label[for=star-1]",
    "label[for=dir-in]",
    "label[for=dir-out]",
    ".pad .key",
    "#submit",
]
MIN_TARGET = 44


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_gives_every_tapped_control_a_big_target_at_phone_width(
    browser_page, live_server, north_gate
):
    page = browser_page
    page.goto(f"{live_server.url}/checkpoints/{north_gate.pk}/duty/")
    boxes = {}
    for selector in TAPPED:
        elements = page.locator(selector)
        assert elements.count() >= 1, selector
        for index in range(elements.count()):
            boxes[f"{selector}#{index}"] = elements.nth(index).bounding_box()
    # The pad: three quick temperatures, ⌫, the digits, the point and C.
    assert sum(name.startswith(".pad .key#") for name in boxes) == 16
    small = {
        name: (round(box["width"]), round(box["height"]))
        for name, box in boxes.items()
        if box is None or box["width"] < MIN_TARGET or box["height"] < MIN_TARGET
    }
    assert small == {}
    # All of them on the screen's width, none pushed off to the side.
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= 360 for box in boxes.values())


def counts(page) -> list[int]:
    """Today's figures in the duty page's header: checked, admitted, denied."""
    return [int(text) for text in page.locator("#counts b").all_inner_texts()]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_denies_an_itinerary_star_in_words_and_counts_the_day(
    browser_page, live_server, north_gate, resident_code
):
    page = browser_page
    page.goto(f"{live_server.url}/checkpoints/{north_gate.pk}/duty/")
    assert counts(page) == [0, 0, 0]
    assert page.is_checked("#star-0")

    # The default policy denies a star on the itinerary code, saying why.
    page.click("label[for=star-1]")
    assert page.is_checked("#star-1")
    page.click(".quick-key[data-value='36.3']")
    page.fill("#identifier", resident_code)
    page.click("#submit")
    page.wait_for_selector(".result.deny")
    assert page.inner_text(".result .verdict") == "禁止"
    assert page.locator(".result .reasons li").all_inner_texts() == ["行程卡带星"]
    assert counts(page) == [1, 0, 1]

    # Without the star the same person passes; the day's figures follow.
    page.click("label[for=star-0]")
    page.click("#submit")
    page.wait_for_selector(".result.admit")
    assert counts(page) == [2, 1, 1]

    starred, clear = Entry.objects.order_by("id")
    assert (starred.itinerary_star, starred.decision) == (True, "deny")
    assert (clear.itinerary_star, clear.decision) == (False, "admit")
