"""Settings, the console script, the OpenAPI document, personal-data keys, the demo."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from fangkong.core.personal_data import DataKeyring

REPO = Path(__file__).resolve().parents[4]
OPENAPI = REPO / "docs" / "openapi.json"


def run_cli(*args, env_update=None, unset=()):
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(env_update or {})
    return subprocess.run(
        [sys.executable, "-m", "fangkong", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_it_refuses_to_start_in_production_without_keys():
    done = run_cli("check", unset=("SECRET_KEY", "FANGKONG_DATA_KEY", "DEBUG"))
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr
    done = run_cli("check", unset=("FANGKONG_DATA_KEY", "DEBUG"))
    assert "FANGKONG_DATA_KEY must be set" in done.stderr


def test_it_starts_in_development_with_default_keys(tmp_path):
    done = run_cli(
        "check",
        env_update={"DEBUG": "1", "FANGKONG_VAR_DIR": str(tmp_path)},
        unset=("SECRET_KEY", "FANGKONG_DATA_KEY"),
    )
    assert done.returncode == 0, done.stderr


def test_it_lists_fangkong_commands_in_help():
    done = run_cli("help")
    assert done.returncode == 0
    for command in ("import", "demo", "device-token", "ensure-admin"):
        assert command in done.stdout


def test_it_generates_production_keys_without_settings():
    done = run_cli("generate-keys", unset=("SECRET_KEY", "FANGKONG_DATA_KEY", "DEBUG"))
    assert done.returncode == 0
    assert "SECRET_KEY=" in done.stdout and "FANGKONG_DATA_KEY=" in done.stdout


def test_it_keeps_the_committed_openapi_document_equal_to_the_code():
    from fangkong.api import api

    committed = json.loads(OPENAPI.read_text())
    generated = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))
    assert committed == generated, "run `make openapi` and commit docs/openapi.json"


def test_it_decrypts_with_an_old_key_after_rotation():
    old = DataKeyring("old-key-material-0123456789abcdef", [])
    token = old.encrypt("411602199001011234")
    rotated = DataKeyring(
        "new-key-material-0123456789abcdef", ["old-key-material-0123456789abcdef"]
    )
    assert rotated.decrypt(token) == "411602199001011234"
    with pytest.raises(ValueError, match="unknown key"):
        DataKeyring("new-key-material-0123456789abcdef", []).decrypt(token)
    assert old.lookup_hash("id", "x") != rotated.lookup_hash("id", "x")


def test_it_builds_the_demo_city_deterministically(db, tmp_path):
    from fangkong.core.demo_support import DemoContext
    from fangkong.people.demo import write_residents
    from fangkong.people.models import Person, Status
    from fangkong.regions.models import Unit

    out = io.StringIO()
    call_command("demo", "--people", "300", "--seed", "7", "--password", "pw-demo-2021", stdout=out)
    assert Unit.objects.filter(kind__in=["district", "county", "county_city", "zone"]).count() == 13
    for name in [
        "盛和家园",
        "书香门第",
        "张埠口村",
        "联盟新城",
        "崔桥镇",
        "三所楼村",
        "杨集村",
        "大营村",
        "袁吴徐村",
    ]:
        assert Unit.objects.filter(name=name).exists(), name
    # 300 from the registry import; other apps' demos may add named people of the page.
    assert "300 residents" in out.getvalue()
    assert Person.objects.filter(is_resident=True).count() >= 300
    assert Person.objects.filter(has_smartphone=False).exists()
    assert set(Person.objects.values_list("status", flat=True)) >= {
        Status.POSITIVE,
        Status.CLOSE_CONTACT,
        Status.HOME_QUARANTINE,
        Status.RECOVERED,
    }
    assert "cadre_shenghe" in out.getvalue() and "pw-demo-2021" in out.getvalue()

    def residents_file(seed, name):
        context = DemoContext(seed=seed, people=300, password=None, log=lambda _m: None)
        write_residents(context, tmp_path / name)
        return (tmp_path / name).read_bytes()

    assert residents_file(7, "a.csv") == residents_file(7, "b.csv")
    assert residents_file(7, "a.csv") != residents_file(8, "c.csv")
