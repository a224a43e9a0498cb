"""The patient's account on the phone: My data downloads."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy import select

from backend.extensions import db
from backend.models import CheckIn
from tests.browser.test_patient_app import count, log_in, quick_checkin, wait_for_worker, wait_until
from tests.conftest import PASSWORD


def test_my_data_downloads_as_csv_and_json_with_my_entries(live, page, patient_world, seed):
    patient = patient_world["patient"]
    seed.checkin(patient, leg_pain=6, back_pain=2, sitting_minutes=300,
                 note="Long train ride to see my sister")
    log_in(page, patient)
    page.goto("/app/#/settings")
    section = page.get_by_role("region", name="My data")

    with page.expect_download() as info:
        section.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == "between-my-data.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert [(r["type"], r["leg_pain"], r["back_pain"], r["sitting_minutes"], r["note"])
            for r in rows] == [("checkin", "6", "2", "300", "Long train ride to see my sister")]

    with page.expect_download() as info:
        section.get_by_role("link", name="Download JSON").click()
    download = info.value
    assert download.suggested_filename == "between-my-data.json"
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["account"]["email"] == patient.email
    assert [(c["leg_pain"], c["note"]) for c in data["checkins"]] == [
        (6, "Long train ride to see my sister")]

