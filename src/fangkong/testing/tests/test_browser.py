"""A sampler on a 360 px phone: scan a tube, type ID numbers, watch 1/10,
2/10 come back without reloading the page; a second sample is flagged."""

import os

import pytest

from fangkong.core import personal_data
from fangkong.core.testing import PASSWORD, make_user

CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_lets_a_sampler_fill_a_tube_from_a_phone(live_server, city, site, many_people):
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    make_user("sampler_shenghe", "sampler", city.shenghe)
    first, second = many_people(2)
    numbers = [personal_data.decrypt(person.id_number_encrypted) for person in (first, second)]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_context(
                viewport={"width": 360, "height": 740}, locale="zh-CN"
            ).new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", "sampler_shenghe")
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/")
            page.goto(f"{live_server.url}/testing/sampling/")
            page.click(f"text={site.name}")
            page.fill("#id_barcode", "B0001")
            page.click("#tube-form button[type=submit]")
            page.wait_for_selector("#tube-count")
            # Scanning before htmx has loaded falls back to a plain form post
            # (which works, but is not what this test watches).
            page.wait_for_function("() => !!window.htmx")
            tube_url = page.url
            # Gone if the page reloads; counts htmx swaps that have settled.
            page.evaluate(
                "window.loadedOnce = true; window.settled = 0;"
                "document.body.addEventListener('htmx:afterSettle', () => window.settled++)"
            )
            for count, number in enumerate(numbers, start=1):
                page.fill("#id_who", number)
                page.press("#id_who", "Enter")
                page.wait_for_function(
                    f"document.querySelector('#tube-count').textContent.trim() == '{count}/10'"
                )
                # The new form is live only once htmx has settled the swap.
                page.wait_for_function(f"window.settled >= {count}")
            assert page.url == tube_url  # htmx swapped the panel in place
            assert page.evaluate("window.loadedOnce === true")
            assert page.locator("#tube-samples li").count() == 2
            assert numbers[0] not in page.content()
            page.click("#seal")
            page.wait_for_selector("#id_barcode")
            page.wait_for_function("() => !!window.htmx")
            page.fill("#id_barcode", "B0002")
            page.click("#tube-form button[type=submit]")
            page.fill("#id_who", numbers[0])
            page.press("#id_who", "Enter")
            flag = page.wait_for_selector(".flag")
            assert "B0001" in flag.inner_text()
            assert page.locator("#id_reason").is_visible()
        finally:
            browser.close()
