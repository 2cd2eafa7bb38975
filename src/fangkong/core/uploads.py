"""Import pages: an uploaded file streamed to disk for the importer, and the
row-level error report kept for its uploader to download (CSV and XLSX)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404

from fangkong.core.importing import RowError, write_report

T = TypeVar("T")


def _user_dir(user: Any, kind: str) -> Path:
    directory = Path(settings.VAR_DIR) / kind / str(user.pk)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def with_uploaded_file(user: Any, upload: UploadedFile, use: Callable[[Path], T]) -> T:
    """Stream the upload to a private file, hand its path to `use` (an
    importer reads by path), and remove the file afterwards."""
    suffix = ".xlsx" if (upload.name or "").lower().endswith((".xlsx", ".xlsm")) else ".csv"
    stored = _user_dir(user, "imports") / f"{uuid.uuid4().hex}{suffix}"
    with stored.open("wb") as destination:
        for chunk in upload.chunks():
            destination.write(chunk)
    try:
        return use(stored)
    finally:
        stored.unlink(missing_ok=True)


def keep_error_report(user: Any, errors: Iterable[RowError]) -> str:
    """Write the report in both formats; the name is what the download asks for."""
    name = uuid.uuid4().hex
    errors = list(errors)
    for fmt in ("csv", "xlsx"):
        with (_user_dir(user, "reports") / f"{name}.{fmt}").open("wb") as out:
            write_report(errors, out, fmt)
    return name


def error_report_response(user: Any, name: str, fmt: str, filename: str) -> FileResponse:
    """The user's own report; anyone else's, or a made-up name, is 404."""
    if fmt not in ("csv", "xlsx") or not name.isalnum():
        raise Http404
    path = _user_dir(user, "reports") / f"{name}.{fmt}"
    if not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{filename}.{fmt}")
