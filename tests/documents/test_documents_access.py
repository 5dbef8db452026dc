"""Every documents route that changes something, against every role: only the tourist whose
booking it is signs, acknowledges or asks; only operations create, publish, archive and remind
(questions are answered at the desk: tests/desk). A refused request changes nothing. (Who may read which page: tests/core/test_access.py.)"""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Acceptance,
    Conversation,
    Document,
    DocumentEvent,
    DocumentKind,
    DocumentVersion,
    OutboundMessage,
    Role,
)
from tests.conftest import login, post_form

ROLES = ("medical", "instructor", "logistics", "operations")
TABLES = (Acceptance, Document, DocumentVersion, DocumentEvent, Conversation, OutboundMessage)


def _counts() -> dict[str, int]:
    return {t.__tablename__: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def test_only_the_right_role_may_change_documents(app, make):
    booking = make.booking()
    version = make.document(DocumentKind.PROHIBITED_ITEMS)
    staff = {name: make.user(Role(name)) for name in ROLES}
    other = make.user()
    db.session.commit()
    clients = {"anonymous": app.test_client(), "other tourist": app.test_client(), "tourist": app.test_client()}
    login(clients["other tourist"], other)
    login(clients["tourist"], booking.user)
    for name, user in staff.items():
        clients[name] = app.test_client()
        login(clients[name], user)
    read = f"/bookings/{booking.reference}/documents/{version.document_id}"
    routes = {
        read: ({"tourist"}, {"version_id": version.id, "language": "en", "read": "y"}),
        read + "/questions": ({"tourist"}, {"question": "Is a phone allowed on board?"}),
        "/ops/documents": ({"operations"}, {"kind": "waiver", "scope": "all", "default_language": "en",
                                            "flight_id": "0"}),
        f"/ops/documents/{version.document_id}": ({"operations"}, {
            "title_en": "Items", "body_en": "No knives, no lighters.", "material": "material", "based_on": "1",
            "confirmed": "yes"}),
        f"/ops/documents/{version.document_id}/archive": ({"operations"}, {}),
        f"/ops/flights/{booking.flight_id}/documents/remind": ({"operations"}, {}),
    }
    for path, (allowed, data) in routes.items():
        for who, client in clients.items():
            if who in allowed:
                continue
            before = _counts()
            code = post_form(client, path, data, page="/account" if who != "anonymous" else "/login").status_code
            expected = {"anonymous": 302, "other tourist": 404 if path.startswith("/bookings/") else 403}.get(who, 403)
            assert code == expected, (path, who, code)
            assert _counts() == before, (path, who)
    # The allowed ones go through (the archive last: it stops the others).
    archive = f"/ops/documents/{version.document_id}/archive"
    for path in [p for p in routes if p != archive] + [archive]:
        allowed, data = routes[path]
        (who,) = allowed
        code = post_form(clients[who], path, data, page=path if path.startswith("/ops/documents/") else "/account")
        assert code.status_code in (200, 302), (path, code.status_code)
