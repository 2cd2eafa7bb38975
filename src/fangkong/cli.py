"""The `fangkong` console script: Django's management commands under one name.

`fangkong help`, `fangkong migrate`, `fangkong import people FILE`, ...
"""

import os
import sys


def generate_keys() -> None:
    """New SECRET_KEY, FANGKONG_DATA_KEY and FANGKONG_PASS_CODE_KEY values;
    needs no settings, since production settings refuse to load without them."""
    import base64
    import secrets

    print(f"SECRET_KEY={secrets.token_urlsafe(50)}")
    print(f"FANGKONG_DATA_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}")
    # An Ed25519 private key is any 32 random bytes (the seed).
    print(f"FANGKONG_PASS_CODE_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else ["fangkong", *argv])
    if args[1:2] == ["generate-keys"]:
        generate_keys()
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    from django.core.management import execute_from_command_line

    args[0] = "fangkong"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
