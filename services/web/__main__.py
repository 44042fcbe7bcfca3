"""``python -m services.web``: the web app on WEB_HOST:WEB_PORT (default 127.0.0.1:18080)."""

from __future__ import annotations

import uvicorn

from services.common.logs import configure
from services.web.app import create_app
from services.web.settings import WebSettings


def main() -> None:
    settings = WebSettings()
    configure("web")
    uvicorn.run(
        create_app(settings),
        host=settings.web_host,
        port=settings.web_port,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
        log_config=None,
    )


if __name__ == "__main__":
    main()
