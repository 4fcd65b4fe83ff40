"""The action server: rasa_sdk's, bound to 127.0.0.1 by default, and answering only callers with the shared token.

Rasa sends the token as `?token=...` on every action call (endpoints.yml: `action_endpoint.token`). A call
without it, or with another, gets 401: nobody can run `action_delete_my_data` for someone else's sender id.
Usage: python -m bot.action_server [--port 5055]   (settings: ACTION_SERVER_TOKEN, ACTION_SERVER_HOST)
"""
from __future__ import annotations

import hmac
import logging
import sys
from typing import Optional

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app, create_argument_parser
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.settings import get_settings

logger = logging.getLogger(__name__)
OPEN_PATHS = ("/health",)


def protect(app: Sanic, token: str) -> Sanic:
    @app.middleware("request")
    async def require_token(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        given = request.args.get("token") or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "a valid token is required for action calls"}, status=401)
        return None

    return app


def main() -> None:
    args = create_argument_parser().parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    logging.getLogger("rasa_sdk.executor").setLevel(logging.WARNING)  # 40 "Registered function" lines per start
    settings = get_settings()
    if not settings.action_server_token:
        sys.exit("ACTION_SERVER_TOKEN is not set: the action server only answers Rasa, with a shared token "
                 "(make run sets one for you; see README, Configuration).")
    app = protect(create_app(args.actions, cors_origins=[], auto_reload=False), settings.action_server_token)
    utils.update_sanic_log_level()
    logger.info("action server on http://%s:%s (token required)", settings.action_server_host, args.port)
    app.run(settings.action_server_host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
