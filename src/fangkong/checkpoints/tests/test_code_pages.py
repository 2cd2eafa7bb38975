"""Pass-code pages: issuing and reissuing, the resident's personal link,
printing A4 sheets for a household or a compound (PDF or print page)."""

from __future__ import annotations

import base64
import re

from fangkong.checkpoints import passcodes, services
from fangkong.checkpoints.models import PassCode
from fangkong.core.models import AuditEvent
from fangkong.core.testing import SYSTEM, make_person


def personal_link(cadre_client, person) -> str:
    page = cadre_client.get(f"/checkpoints/codes/person/{person.pk}/").content.decode()
    return re.search(
        r'id="link" readonly value="http://testserver(/checkpoints/code/[^"]+/)"', page
    )[1]


def test_it_issues_a_code_and_a_personal_link(cadre_client, client, resident):
    assert (
        "尚未签发" in cadre_client.get(f"/checkpoints/codes/person/{resident.pk}/").content.decode()
    )
    cadre_client.post(f"/checkpoints/codes/person/{resident.pk}/issue/")
    link = personal_link(cadre_client, resident)
    page = client.get(link)  # the resident, without an account
    assert page.status_code == 200
    text = page.content.decode()
    assert "我的通行码" in text and "张立新" in text and "<svg" in text
    png = client.get(link + "qr.png")
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert AuditEvent.objects.filter(action="checkpoints.issue_pass_code").count() == 1


def test_it_closes_the_old_link_on_reissue(cadre_client, client, resident):
    cadre_client.post(f"/checkpoints/codes/person/{resident.pk}/issue/")
    old_link = personal_link(cadre_client, resident)
    cadre_client.post(f"/checkpoints/codes/person/{resident.pk}/issue/", {"reissue": "1"})
    assert client.get(old_link).status_code == 404
    assert client.get(personal_link(cadre_client, resident)).status_code == 200
    assert PassCode.objects.get(person=resident).version == 2


def test_it_refuses_forged_links(client, resident):
    services.issue_pass_code(SYSTEM, resident)
    assert client.get("/checkpoints/code/not-a-token/").status_code == 404


def test_it_keeps_codes_of_other_units_out_of_reach(cadre_client, villager):
    assert cadre_client.get(f"/checkpoints/codes/person/{villager.pk}/").status_code == 404
    assert cadre_client.post(f"/checkpoints/codes/person/{villager.pk}/issue/").status_code == 404
    assert not PassCode.objects.exists()


def test_it_keeps_gate_staff_from_issuing_codes(gate_staff, resident):
    from fangkong.core.testing import logged_in

    assert logged_in(gate_staff).get("/checkpoints/codes/").status_code == 403


def test_it_prints_a_household_s_cards_as_a_page(cadre_client, resident, city):
    spouse = make_person(city.shenghe, "李桂兰", household="1号楼1单元01室", has_smartphone=False)
    page = cadre_client.get("/checkpoints/codes/print/", {"household": resident.household_id})
    text = page.content.decode()
    assert text.count("<svg") == 2
    assert "张立新" in text and "李桂兰" in text
    assert "@page { size: A4" in text
    assert PassCode.objects.filter(person__in=[resident, spouse]).count() == 2
    event = AuditEvent.objects.get(action="checkpoints.issue_pass_codes")
    assert event.detail == {"people": 2, "issued": 2}


def test_it_prints_a_compound_s_elders_as_pdf(cadre_client, resident, city):
    for number in range(14):
        make_person(city.shenghe, f"老人{number}", has_smartphone=False)
    response = cadre_client.get(
        "/checkpoints/codes/print/",
        {"unit": city.shenghe.code, "only_without_smartphone": "on", "format": "pdf"},
    )
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # 14 cards at 12 a page: two pages.
    assert response.content.count(b"/Type /Page\n") + response.content.count(b"/Type /Page ") >= 2
    assert PassCode.objects.count() == 14


def test_it_prints_codes_that_verify(cadre_client, client, resident):
    page = cadre_client.get(
        "/checkpoints/codes/print/", {"household": resident.household_id}
    ).content.decode()
    assert "<svg" in page
    pass_code = PassCode.objects.get(person=resident)
    assert passcodes.read(services.code_for(pass_code)).person_id == resident.pk
    # What a scanner reads off the printed card verifies with the public key
    # a gate device holds, and names this resident.
    symbols = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(symbols) == 1
    printed = read_qr(symbols[0])
    public_key = base64.b64decode(client.get("/api/v1/checkpoints/public-key").json()["public_key"])
    claims = passcodes.verify_with_public_key(printed, public_key)
    assert (claims.person_id, claims.version) == (resident.pk, pass_code.version)
    assert printed == services.code_for(pass_code)


# --- reading a printed QR symbol back ------------------------------------------


def svg_modules(svg: str) -> list[list[bool]]:
    """The dark modules of a segno SVG, quiet zone included: its path draws
    each row's runs as `h` lines, moving between them with relative `m`."""
    width = int(re.search(r'width="(\d+)"', svg)[1])
    scale = int(re.search(r"scale\((\d+)\)", svg)[1])
    path = re.search(r' d="([^"]+)"', svg)[1]
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, numbers in re.findall(r"([Mmh])([-\d. ]+)", path):
        values = [float(v) for v in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            for column in range(int(x), int(x + values[0])):
                dark.add((int(y), column))
            x += values[0]
    size = width // scale
    return [[(row, col) in dark for col in range(size)] for row in range(size)]


def read_qr(svg: str) -> str:
    """What a scanner reads off the symbol: drawn as an image and decoded
    by zxing-cpp."""
    import zxingcpp
    from PIL import Image

    modules = svg_modules(svg)
    image = Image.new("L", (len(modules), len(modules)), 255)
    image.putdata([0 if dark else 255 for row in modules for dark in row])
    image = image.resize((len(modules) * 8, len(modules) * 8), Image.NEAREST)
    [found] = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return found.text
