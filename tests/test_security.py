"""The action server answers only Rasa: a forged action call without the shared token changes nothing."""
import requests
from sqlalchemy import text

from bot.storage import UserStore, make_engine
from tests.conftest import Servers, new_sender


def forged_call(sender: str, action: str) -> dict:
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": {"sender_id": sender, "slots": {}, "latest_message": {}, "events": [], "paused": False,
                    "followup_action": None, "active_loop": {}, "latest_action_name": None},
        "domain": {},
        "version": "3.6.0",
    }


def test_a_forged_delete_without_the_token_is_refused_and_deletes_nothing(servers: Servers) -> None:
    sender = new_sender()
    servers.chat(sender, "hallo, ik ben er")
    engine = make_engine(servers.app_database_url)
    UserStore(engine).record_consent("web", sender.split(":", 1)[1])  # a profile to protect
    count = "SELECT count(*) FROM users WHERE channel_user_id = :id"
    with engine.connect() as connection:
        assert connection.execute(text(count), {"id": sender.split(":", 1)[1]}).scalar_one() == 1
    for params in ({}, {"token": "guess"}):
        for action in ("action_delete_my_data", "action_export_my_data", "action_detect_language"):
            response = requests.post(f"{servers.action_url}/webhook", params=params,
                                     json=forged_call(sender, action), timeout=10)
            assert response.status_code == 401, (action, params, response.text)
            assert "token" in response.json()["error"]
    with engine.connect() as connection:
        assert connection.execute(text(count), {"id": sender.split(":", 1)[1]}).scalar_one() == 1
    engine.dispose()


def test_the_action_list_is_not_open_either_but_health_is(servers: Servers) -> None:
    assert requests.get(f"{servers.action_url}/actions", timeout=10).status_code == 401
    assert requests.get(f"{servers.action_url}/health", timeout=10).status_code == 200
    listed = requests.get(f"{servers.action_url}/actions", params={"token": servers.env["ACTION_SERVER_TOKEN"]}, timeout=10)
    assert {"name": "action_delete_my_data"} in listed.json()


def test_rasas_http_api_needs_its_token(servers: Servers) -> None:
    assert requests.post(f"{servers.rasa_url}/model/parse", json={"text": "hoi"}, timeout=10).status_code == 401
