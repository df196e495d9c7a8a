"""`make run` seeds demo data once: demo customers' assessments and demo staff logins."""

from __future__ import annotations

from bot.db import build_engine, build_session_factory, utcnow
from bot.staff import service as staff_service
from bot.suitability import service as suitability_service
from scripts.demo import seed_demo
from scripts.migrate import upgrade


def test_demo_data_is_added_once_and_the_demo_staff_can_sign_in(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    monkeypatch.setenv("DEMO_STAFF_PASSWORD", "local-demo-secret")
    assert seed_demo(url) == {
        "assessments": 3,
        "staff": ["agent1", "supervisor1", "analyst1", "kbeditor1", "kbreviewer1"],
    }
    assert seed_demo(url) == {"assessments": 0, "staff": []}

    engine = build_engine(url)
    with build_session_factory(engine).begin() as session:
        staff = staff_service.authenticate(
            session=session, username="supervisor1", password="local-demo-secret", now=utcnow()
        )
        assert staff.role == "supervisor"
        standing = suitability_service.customer_standing(session=session, customer_id="D1004", now=utcnow())
        assert (standing.status, standing.customer_level) == ("valid", "C4")
    engine.dispose()
