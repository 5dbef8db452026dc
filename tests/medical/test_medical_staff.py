"""Medical staff's pages: the review queue, a case, decisions, the access log and vehicle limits;
the tourist's self-certification; and what other staff see (a status, never details)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.medical import cases as medical
from app.models import Assessment, CaseState, MedicalAccess, Role, SelfCertification, VehicleLimits
from app.timeutil import now_utc
from tests.conftest import login, post_form
from tests.core.test_queries import queries_for
from tests.medical.test_medical import GOOD, cleared_case

S = CaseState
NOTES = "Confidential: mild asthma, inhaler before launch."


@pytest.fixture
def questionnaire(make):
    return make.questionnaire()


@pytest.fixture
def medic(make):
    return make.user(Role.MEDICAL, name="Dr. Ada Medic")


def log_rows(case=None, **where):
    query = select(MedicalAccess).order_by(MedicalAccess.id)
    if case is not None:
        query = query.where(MedicalAccess.case_id == case.id)
    for key, value in where.items():
        query = query.where(getattr(MedicalAccess, key) == value)
    return list(db.session.scalars(query))


def names_in_order(html: str, names: list[str]) -> list[str]:
    found = {n: html.find(n) for n in names if n in html}
    return sorted(found, key=found.get)


# -- who may open what -----------------------------------------------------------------------------

def test_only_medical_staff_open_the_staff_pages(app, client, make, questionnaire, medic):
    tourist = make.user()
    booking = make.booking(tourist)
    case = make.medical_case(tourist, questionnaire)
    limits = VehicleLimits(vehicle="Spaceplane SV-2", min_age=18)
    db.session.add(limits)
    db.session.commit()
    gets = ["/medical/queue", f"/medical/cases/{case.id}", f"/medical/cases/{case.id}/access-log", "/medical/vehicles"]
    posts = [f"/medical/cases/{case.id}/assessments", f"/medical/cases/{case.id}/decision", "/medical/vehicles",
             f"/medical/vehicles/{limits.id}/delete"]
    wrong = []
    for role in (Role.OPERATIONS, Role.LOGISTICS, Role.INSTRUCTOR, Role.TOURIST):
        c = app.test_client()
        login(c, tourist if role is Role.TOURIST else make.user(role))
        for url in gets:
            if (code := c.get(url).status_code) != 403:
                wrong.append(f"{role.value} GET {url}: {code}")
        for url in posts:
            if (code := post_form(c, url, {"decision": "cleared"}).status_code) != 403:
                wrong.append(f"{role.value} POST {url}: {code}")
    anonymous = app.test_client()
    for url in gets:
        response = anonymous.get(url)
        if response.status_code != 302 or not response.headers["Location"].startswith("/login"):
            wrong.append(f"anonymous GET {url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert case.state is S.SUBMITTED and db.session.get(VehicleLimits, limits.id) is not None
    assert log_rows() == []  # refused at the door: nothing medical was read

    login(client, medic)
    assert all(client.get(url).status_code == 200 for url in gets)
    assert booking.reference  # the booking made the case show in the queue


def test_the_nav_links_the_queue_for_medical_staff_only(client, make):
    login(client, make.user(Role.MEDICAL))
    assert 'href="/medical/queue"' in client.get("/flights").get_data(as_text=True)
    client.post("/logout", data={})
    ops_client = client.application.test_client()
    login(ops_client, make.user(Role.OPERATIONS))
    assert "/medical/queue" not in ops_client.get("/ops/flights").get_data(as_text=True)


# -- the queue -------------------------------------------------------------------------------------

def queue_world(make, questionnaire, medic):
    late = make.user(name="Wanda Late")
    make.booking(late, days=300)
    make.medical_case(late, questionnaire)
    soon = make.user(name="Sam Soon")
    make.booking(soon, days=40, vehicle="Capsule C-1")
    make.medical_case(soon, questionnaire)
    asked = make.user(name="Ines Asked")
    make.booking(asked, days=100)
    medical.decide(make.medical_case(asked, questionnaire), medic, S.INFO_REQUESTED, message="Your ECG, please.")
    ending = make.user(name="Erik Ending")
    make.booking(ending, days=150)
    cleared_case(make, ending, questionnaire, medic, valid_days=60)
    fine = make.user(name="Fiona Fine")
    make.booking(fine, days=100)
    cleared_case(make, fine, questionnaire, medic)
    db.session.commit()


def test_the_queue_lists_three_groups_by_launch_date(client, make, questionnaire, medic):
    queue_world(make, questionnaire, medic)
    login(client, medic)
    response = client.get("/medical/queue")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Vary" in response.headers and "HX-Request" in response.headers["Vary"]
    names = ["Wanda Late", "Sam Soon", "Ines Asked", "Erik Ending", "Fiona Fine"]
    assert names_in_order(html, names) == ["Sam Soon", "Ines Asked", "Erik Ending", "Wanda Late"]
    assert "Capsule C-1" in html and "All (4)" in html and "Waiting for review (2)" in html
    assert "Information requested (1)" in html and "Clearance ends before launch (1)" in html

    expiring = client.get("/medical/queue?group=expiring", headers={"HX-Request": "true"})
    fragment = expiring.get_data(as_text=True)
    assert "<html" not in fragment and names_in_order(fragment, names) == ["Erik Ending"]
    assert 'aria-current="page">Clearance ends before launch' in fragment
    info = client.get("/medical/queue?group=info").get_data(as_text=True)
    assert names_in_order(info, names) == ["Ines Asked"]
    assert [r.what for r in log_rows(actor_id=medic.id)] == [
        "review queue, page 1", "review queue (expiring), page 1", "review queue (info), page 1"]


def test_queue_queries_are_the_same_at_two_data_sizes(client, make, questionnaire, medic):
    def add(n):
        for i in range(n):
            tourist = make.user()
            make.booking(tourist, days=30 + i)
            if i % 3 == 0:
                cleared_case(make, tourist, questionnaire, medic, valid_days=10)
            elif i % 3 == 1:
                medical.decide(make.medical_case(tourist, questionnaire), medic, S.INFO_REQUESTED, message="?")
            else:
                make.medical_case(tourist, questionnaire)
        db.session.commit()

    add(3)
    login(client, medic)
    small = {path: queries_for(client, path) for path in ("/medical/queue", "/medical/queue?group=review")}
    add(30)
    large = {path: queries_for(client, path) for path in ("/medical/queue", "/medical/queue?group=review")}
    assert small == large
    assert "Page 1 of 2" in client.get("/medical/queue").get_data(as_text=True)


# -- a case ----------------------------------------------------------------------------------------

def test_the_case_page_shows_answers_assessments_and_history_and_is_logged(client, make, questionnaire, medic):
    tourist = make.user(name="Tess Tourist")
    booking = make.booking(tourist, vehicle="Spaceplane SV-2")
    db.session.add(VehicleLimits(vehicle="Spaceplane SV-2", min_age=18, max_height_cm=193))
    case = make.medical_case(tourist, questionnaire)
    medical.record_assessment(case, medic, {**GOOD, "notes": NOTES, "height_cm": "195"})
    db.session.commit()
    login(client, medic)
    html = client.get(f"/medical/cases/{case.id}").get_data(as_text=True)
    assert "Tess Tourist" in html and "Have you had a heart condition?" in html and ">No<" in html
    assert "Which medicines do you take?" in html and "Not answered" in html
    assert NOTES in html and "120/80 mmHg" in html and "BMI" in html and "21.3" in html
    assert "Taller than 193 cm, the maximum height for Spaceplane SV-2." in html
    assert booking.reference in html and "Submitted for review" in html
    assert 'action="/medical/cases/%d/decision"' % case.id in html and "Clear with restrictions" in html
    [row] = log_rows(case, actor_id=medic.id)
    assert (row.action, row.ip_address) == ("view", "127.0.0.1")


def test_an_unknown_case_is_404(client, medic):
    login(client, medic)
    assert client.get("/medical/cases/999999").status_code == 404


@pytest.fixture
def submitted(client, make, questionnaire, medic):
    """A tourist's case waiting for review (committed), and ``client`` logged in as the medic."""
    case = make.medical_case(make.user(), questionnaire)
    db.session.commit()
    login(client, medic)
    return case


def test_an_assessment_through_the_form(client, submitted, medic):
    case = submitted
    url = f"/medical/cases/{case.id}/assessments"
    refused = post_form(client, url, {**GOOD, "height_cm": "300"}, page=f"/medical/cases/{case.id}")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Enter a height between 100 and 250 cm." in html
    assert 'aria-invalid="true"' in html and db.session.scalars(select(Assessment)).all() == []
    assert log_rows(case, action="change")[-1].what == "assessment (refused)"

    response = post_form(client, url, GOOD)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/medical/cases/{case.id}#assessments")
    [a] = db.session.scalars(select(Assessment)).all()
    assert a.recorded_by_id == medic.id and a.notes == GOOD["notes"]
    assert log_rows(case, action="change")[-1].what == "assessment recorded"


def test_decisions_through_the_forms(client, submitted, medic):
    case = submitted
    url = f"/medical/cases/{case.id}/decision"
    assert client.post(url, data={"decision": "not_cleared", "reason": "x"}).status_code == 400  # no CSRF token

    refused = post_form(client, url, {"decision": "cleared", "valid_days": "365"})
    assert refused.status_code == 422 and "Record an assessment before clearing." in refused.get_data(as_text=True)
    refused = post_form(client, url, {"decision": "info_requested", "message": ""})
    assert refused.status_code == 422 and "Write what the tourist should tell you" in refused.get_data(as_text=True)

    response = post_form(client, url, {"decision": "info_requested", "message": "Please upload your ECG."})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.state is S.INFO_REQUESTED and case.info_request == "Please upload your ECG."

    from app.medical import questionnaires

    questionnaires.answer_info_request(case, case.user, "Uploaded.")
    medical.record_assessment(case, medic, GOOD)
    db.session.commit()
    response = post_form(client, url, {"decision": "restricted", "restrictions": "No flights above 4 g.",
                                       "valid_days": "90"})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.state is S.RESTRICTED and case.valid_until == now_utc().date() + timedelta(days=90)
    assert [r.what for r in log_rows(case, action="decide")] == [
        "decision: cleared (refused)", "decision: info_requested (refused)", "decision: info_requested",
        "decision: restricted"]
    html = client.get(f"/medical/cases/{case.id}").get_data(as_text=True)
    assert "No flights above 4 g." in html and "Cleared with restrictions through" in html


def test_the_access_log_page_lists_who_did_what(client, submitted):
    case = submitted
    client.get(f"/medical/cases/{case.id}")
    html = client.get(f"/medical/cases/{case.id}/access-log").get_data(as_text=True)
    assert "Dr. Ada Medic" in html and "case: questionnaire, assessments, decisions" in html
    assert "127.0.0.1" in html and "Medical staff" in html
    assert [r.what for r in log_rows(case)] == ["case: questionnaire, assessments, decisions", "access log"]


# -- other staff see a status ----------------------------------------------------------------------

def test_operations_see_the_medical_status_of_a_booking_and_nothing_more(app, client, make, questionnaire, medic):
    tourist = make.user()
    booking = make.booking(tourist)
    cleared_case(make, tourist, questionnaire, medic, decision=S.RESTRICTED, notes=NOTES)
    db.session.commit()
    login(client, make.user(Role.OPERATIONS))
    html = client.get(f"/ops/bookings/{booking.reference}").get_data(as_text=True)
    assert "Medical status:" in html and "Cleared with restrictions through" in html
    assert "4 g" not in html and NOTES not in html and "120/80" not in html
    assert log_rows() == []


# -- the tourist's self-certification --------------------------------------------------------------

def test_the_tourist_self_certifies_on_their_own_booking(app, client, make, questionnaire, medic):
    tourist = make.user()
    booking = make.booking(tourist, days=10)
    case = cleared_case(make, tourist, questionnaire, medic)
    db.session.commit()
    url = f"/medical/self-certification/{booking.reference}"

    other = app.test_client()
    login(other, make.user())
    assert other.get(url).status_code == 404
    staff = app.test_client()
    login(staff, medic)
    assert staff.get(url).status_code == 403

    login(client, tourist)
    html = client.get(url).get_data(as_text=True)
    assert "Has anything about your health changed" in html
    assert log_rows(case, actor_id=tourist.id)[-1].what == f"self-certification for {booking.reference}"
    journey = client.get("/journey").get_data(as_text=True)
    assert url in journey  # the readiness gate links here

    refused = post_form(client, url, {"changed": "yes", "details": ""}, page=url)
    assert refused.status_code == 422 and "Tell the medical team what has changed." in refused.get_data(as_text=True)
    response = post_form(client, url, {"changed": "yes", "details": "New blood pressure medicine."}, page=url)
    assert response.status_code == 302 and response.headers["Location"] == "/journey"
    [row] = db.session.scalars(select(SelfCertification)).all()
    assert row.changed and row.details == "New blood pressure medicine."
    db.session.refresh(case)
    assert case.state is S.SUBMITTED
    assert "The medical team is reviewing your clearance" in client.get(url).get_data(as_text=True)


def test_outside_the_window_there_is_nothing_to_confirm(client, make, questionnaire, medic):
    tourist = make.user()
    booking = make.booking(tourist, days=100)
    cleared_case(make, tourist, questionnaire, medic)
    db.session.commit()
    login(client, tourist)
    url = f"/medical/self-certification/{booking.reference}"
    assert "You can confirm from" in client.get(url).get_data(as_text=True)
    assert post_form(client, url, {"changed": "no"}, page=url).status_code == 422
    assert db.session.scalars(select(SelfCertification)).all() == []


# -- vehicle limits --------------------------------------------------------------------------------

def test_medical_staff_set_vehicle_limits(client, make, medic):
    make.flight(vehicle="Capsule C-1")
    db.session.commit()
    login(client, medic)
    html = client.get("/medical/vehicles").get_data(as_text=True)
    assert "Capsule C-1" in html and "no limits recorded" in html

    refused = post_form(client, "/medical/vehicles", {"vehicle": "Capsule C-1", "min_age": "18",
                                                      "min_height_cm": "190", "max_height_cm": "152"})
    assert refused.status_code == 422 and "The minimum height is above the maximum." in refused.get_data(as_text=True)
    response = post_form(client, "/medical/vehicles", {"vehicle": "Capsule C-1", "min_age": "18",
                                                       "min_height_cm": "152", "max_height_cm": "193",
                                                       "min_weight_kg": "50", "max_weight_kg": "101"})
    assert response.status_code == 302
    [limits] = db.session.scalars(select(VehicleLimits)).all()
    assert (limits.vehicle, float(limits.min_height_cm), float(limits.max_weight_kg)) == ("Capsule C-1", 152.0, 101.0)
    html = client.get("/medical/vehicles").get_data(as_text=True)
    assert re.search(r'name="max_height_cm"[^>]*value="193"', html)
    assert post_form(client, f"/medical/vehicles/{limits.id}/delete").status_code == 302
    assert db.session.scalars(select(VehicleLimits)).all() == []
    assert [r.what for r in log_rows(action="change")] == [
        "vehicle limits (refused)", "vehicle limits: Capsule C-1", "vehicle limits removed: Capsule C-1"]


def test_the_case_page_checks_the_newest_assessment_against_a_vehicle_booked_since(client, make, questionnaire, medic):
    tourist = make.user()
    make.booking(tourist, vehicle="Spaceplane SV-2")
    db.session.add(VehicleLimits(vehicle="Capsule C-1", max_height_cm=175))
    case = make.medical_case(tourist, questionnaire, medic=medic, assessment=GOOD)  # 180 cm
    [assessment] = medical.assessments_of(case)
    assert assessment.flags == []  # nothing to flag on the spaceplane
    db.session.commit()
    login(client, medic)
    html = client.get(f"/medical/cases/{case.id}").get_data(as_text=True)
    assert "Outside the vehicle&#39;s limits" not in html and "Outside the vehicle's limits" not in html

    make.booking(tourist, days=300, vehicle="Capsule C-1")  # booked after the assessment
    db.session.commit()
    html = client.get(f"/medical/cases/{case.id}").get_data(as_text=True)
    assert medical.describe_flag("height_above_max:Capsule C-1:175") in html


# -- implausible values, all at once ---------------------------------------------------------------

def test_every_implausible_measurement_gets_its_own_error(client, submitted, medic):
    from tests.fielderrors import field_error

    case = submitted
    refused = post_form(client, f"/medical/cases/{case.id}/assessments", {
        **GOOD, "systolic_mmhg": "400", "diastolic_mmhg": "abc", "heart_rate_bpm": "9",
        "height_cm": "20", "weight_kg": "", "centrifuge_g": "99", "ecg_result": "",
    }, page=f"/medical/cases/{case.id}")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "systolic pressure between 70 and 250" in field_error(page, "systolic_mmhg")
    assert "diastolic pressure between 40 and 150" in field_error(page, "diastolic_mmhg")
    assert "heart rate between 30 and 220" in field_error(page, "heart_rate_bpm")
    assert "height between 100 and 250" in field_error(page, "height_cm")
    assert "weight between 30 and 250" in field_error(page, "weight_kg")
    assert "centrifuge tolerance between 0 and 15" in field_error(page, "centrifuge_g")
    assert "Choose the ECG result." in field_error(page, "ecg_result")
    assert db.session.scalars(select(Assessment)).all() == []


def test_a_diastolic_abc_is_refused_at_its_field_beside_a_good_systolic(client, submitted, medic):
    from tests.fielderrors import field_error

    case = submitted
    refused = post_form(client, f"/medical/cases/{case.id}/assessments", {**GOOD, "diastolic_mmhg": "abc"},
                        page=f"/medical/cases/{case.id}")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "diastolic pressure between 40 and 150" in field_error(page, "diastolic_mmhg")
    assert field_error(page, "systolic_mmhg") == ""
    assert db.session.scalars(select(Assessment)).all() == []


def test_vehicle_limits_show_every_problem_at_once(client, make, medic):
    from tests.fielderrors import field_error

    login(client, medic)
    refused = post_form(client, "/medical/vehicles", {
        "vehicle": "Capsule C-1", "min_age": "12", "min_height_cm": "abc", "max_height_cm": "900",
        "min_weight_kg": "120", "max_weight_kg": "60",
    })
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Between 18 and 99." in field_error(page, "min_age-new")
    assert "height between" in field_error(page, "min_height_cm-new")
    assert "height between" in field_error(page, "max_height_cm-new")
    assert "The minimum weight is above the maximum." in field_error(page, "max_weight_kg-new")
    assert db.session.scalars(select(VehicleLimits)).all() == []
