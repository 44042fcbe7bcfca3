"""Downloads of the insights pages."""

from __future__ import annotations

from starlette.responses import Response


def csv_download(filename: str, text: str) -> Response:
    return Response(
        text.encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def html_download(filename: str, text: str) -> Response:
    return Response(
        text.encode("utf-8"),
        media_type="text/html; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
