"""The bulletin page in a real browser: preview with htmx, issue, download."""

from __future__ import annotations

import io
import os

import pytest

from fangkong.bulletins.models import IssuedBulletin
from fangkong.bulletins.tests.conftest import at, give, target
from fangkong.core.testing import make_small_city, make_user

CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_previews_issues_and_downloads_in_a_browser(live_server, client):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    city = make_small_city()
    target(city.shifan, 100)
    target(city.chuanhui, 200)
    give(city.shifan, at("2021-08-12 10:00"), count=4)
    commander = make_user("commander", "commander", city.city, display_name="指挥部值班员")
    client.force_login(commander)
    session = client.cookies["sessionid"].value

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(accept_downloads=True, locale="zh-CN")
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
            page = context.new_page()
            page.goto(f"{live_server.url}/bulletins/")
            page.fill("#id_as_of", "2021-08-12T18:00")
            page.select_option("#id_unit", "411600")
            page.click("#bulletin-form button[type=submit]")
            page.wait_for_selector("#bulletin-table")
            assert page.inner_text(".bulletin-title") == "周口市新冠病毒疫苗接种进度通报"
            first_row = page.locator("#bulletin-table tbody tr").first.inner_text()
            assert first_row.split() == ["示范区", "4.00", "1", "4"]

            with page.expect_download() as download:
                page.click("a.download:text('XLSX')")
            from openpyxl import load_workbook

            with open(download.value.path(), "rb") as stream:
                sheet = load_workbook(io.BytesIO(stream.read())).active
            assert [c.value for c in sheet[4]][:1] == ["示范区"]

            page.click("#issue-form button")
            page.wait_for_url("**/bulletins/issued/*/")
            assert "指挥部值班员" in page.inner_text("main")
            with page.expect_download() as download:
                page.click("a.download:text('DOCX')")
            from docx import Document

            with open(download.value.path(), "rb") as stream:
                grid = Document(io.BytesIO(stream.read())).tables[0]
            assert [c.text for c in grid.rows[1].cells] == ["示范区", "4.00", "1", "4"]
        finally:
            browser.close()
    assert IssuedBulletin.objects.count() == 1
