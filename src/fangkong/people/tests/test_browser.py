"""A cadre logs in through the real form, searches, and sees a masked ID number."""

import pytest

from fangkong.core import personal_data
from fangkong.core.browser import chromium_page
from fangkong.core.testing import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_a_cadre_the_masked_id_number(live_server, cadre, resident, villager):
    full_number = personal_data.decrypt(resident.id_number_encrypted)
    with chromium_page(viewport={"width": 360, "height": 740}) as page:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", cadre.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/people/")
        page.fill("#id_q", "张")
        page.click("form.inline button[type=submit]")
        row = page.locator("#results tbody tr").first
        row.wait_for()
        assert page.locator("#results tbody tr").count() == 1  # not the villager
        assert row.locator("td").first.inner_text() == "张立新"
        shown = row.locator(".id-number").inner_text()
        assert shown == resident.masked_id_number
        assert full_number not in page.content()
