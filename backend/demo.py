"""A demo clinic: a practitioner and patients with six weeks of realistic data."""

from __future__ import annotations

import json
import random
import urllib.request
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, select

from .auth.passwords import hash_password
from .course.questionnaires import seed_questionnaires
from .extensions import db
from .homework.library import seed_library
from .models import (
    RED_FLAGS,
    Alert,
    AlertKind,
    Appointment,
    AppointmentStatus,
    Assignment,
    CheckIn,
    Clinic,
    Completion,
    Course,
    Exercise,
    PushSubscription,
    Questionnaire,
    QuestionnaireResponse,
    Role,
    User,
)
from .timeutil import zone

DEMO_PASSWORD = "between-demo"
PRACTITIONER_EMAIL = "dr.lee@demo.between.example"
TZ = "Europe/London"
DEMO_PHONE = "Demo phone (local push stand-in)"  # how the demo's own subscriptions are known
DAYS = 42

# name, email, leg pain at start and now, adherence (0-1), how the story goes
PATIENTS = [
    ("Ana Costa", "ana@demo.between.example", 7, 3, 0.9, "improving"),
    ("Ben Okafor", "ben@demo.between.example", 5, 7, 0.35, "worsening"),
    ("Carla Jensen", "carla@demo.between.example", 6, 5, 0.7, "red_flag"),
    ("Dev Patel", "dev@demo.between.example", 6, 5, 0.5, "gone_quiet"),
]
HOMEWORK = ["piriformis-stretch", "sciatic-nerve-glide", "standing-break"]
NO_FLAGS = {flag: False for flag in RED_FLAGS}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), zone(TZ)).astimezone(UTC)


def _patient(clinic: Clinic, practitioner: User, name: str, email: str) -> User:
    patient = User(
        clinic=clinic,
        role=Role.PATIENT,
        practitioner=practitioner,
        email=email,
        display_name=name,
        password_hash=hash_password(DEMO_PASSWORD),
        timezone=TZ,
    )
    db.session.add(patient)
    return patient


def _story(
    rng: random.Random,
    patient: User,
    start: date,
    today: date,
    spec: tuple,
    practitioner: User,
    exercises: dict[str, Exercise],
) -> None:
    _, _, leg_start, leg_now, adherence, story = spec
    course = Course(
        patient_id=patient.id,
        practitioner_id=practitioner.id,
        planned_sessions=10,
        start_date=start,
        weeks=5,
        title="Acupuncture for sciatica",
    )
    db.session.add(course)
    db.session.flush()
    # Two sessions a week; the last few still ahead.
    for number in range(10):
        day = start + timedelta(days=3 * number + (number // 2))
        status = AppointmentStatus.ATTENDED if day < today else AppointmentStatus.SCHEDULED
        if story == "gone_quiet" and number == 7 and day < today:
            status = AppointmentStatus.MISSED
        db.session.add(
            Appointment(
                patient_id=patient.id,
                practitioner_id=practitioner.id,
                course_id=course.id,
                starts_at=_at(day, 10 + number % 6),
                status=status,
                note="Needled GB30, GB34 and BL57; patient tolerated well."
                if status is AppointmentStatus.ATTENDED
                else None,
                acupoints=["GB30", "GB34", "BL57", "Ashi"]
                if status is AppointmentStatus.ATTENDED
                else [],
            )
        )
    assignments = []
    for slug in HOMEWORK:
        ex = exercises[slug]
        a = Assignment(
            patient_id=patient.id,
            exercise_id=ex.id,
            assigned_by_id=practitioner.id,
            sets=ex.sets,
            reps=ex.reps,
            hold_seconds=ex.hold_seconds,
            times_per_day=ex.times_per_day if slug != "standing-break" else 4,
            days_per_week=ex.days_per_week,
            start_date=start,
        )
        db.session.add(a)
        assignments.append(a)
    db.session.flush()

    last_day = today - timedelta(days=6) if story == "gone_quiet" else today
    sitting_yesterday = 300
    day = start
    while day <= last_day:
        progress = (day - start).days / DAYS
        # Long sitting yesterday makes today's leg pain a little worse.
        leg = leg_start + (leg_now - leg_start) * progress + (sitting_yesterday - 300) / 150
        leg = max(0, min(10, round(leg + rng.uniform(-1, 1))))
        back = max(0, min(10, round(leg * 0.7 + rng.uniform(-1, 1.5))))
        sitting = int(max(60, min(720, rng.gauss(330 if day.weekday() < 5 else 180, 80))))
        flags = dict(NO_FLAGS)
        if story == "red_flag" and day == today - timedelta(days=1):
            flags["saddle_numbness"] = True
        for entry in range(1 if rng.random() < 0.8 else 2):
            recorded = _at(day, 20 if entry == 0 else 8, rng.randint(0, 50))
            checkin = CheckIn(
                patient_id=patient.id,
                recorded_at=recorded,
                local_date=day,
                leg_pain=leg,
                back_pain=back,
                locations=["lower_back", "buttock", "thigh", "calf"][: 2 + leg // 4],
                side="left",
                sensations=["shooting", "tingling"] if leg >= 5 else ["tingling"],
                sitting_minutes=sitting if entry == 0 else None,
                note="Long drive today." if sitting > 450 else None,
                red_flag_answers=flags,
                has_red_flag=any(flags.values()),
            )
            db.session.add(checkin)
            if checkin.has_red_flag and entry == 0:
                db.session.flush()
                db.session.add(
                    Alert(
                        patient_id=patient.id,
                        kind=AlertKind.RED_FLAG,
                        check_in_id=checkin.id,
                        created_at=recorded,
                        details={"red_flags": checkin.red_flags},
                    )
                )
        for a in assignments:
            for n in range(a.times_per_day):
                if rng.random() < adherence:
                    feeling = rng.choice(["better", "same", "same", None])
                    if story == "worsening" and day >= today - timedelta(days=3) and n == 0:
                        feeling = "worse"
                    c = Completion(
                        assignment_id=a.id,
                        patient_id=patient.id,
                        completed_at=_at(day, 9 + 3 * n),
                        local_date=day,
                        feeling=feeling,
                    )
                    db.session.add(c)
                    if feeling == "worse":
                        db.session.flush()
                        db.session.add(
                            Alert(
                                patient_id=patient.id,
                                kind=AlertKind.WORSE_AFTER_EXERCISE,
                                completion_id=c.id,
                                created_at=c.completed_at,
                                details={"exercise": a.exercise.name, "feeling": feeling},
                            )
                        )
        sitting_yesterday = sitting
        day += timedelta(days=1)

    sbi = db.session.scalars(select(Questionnaire).filter_by(slug="sbi", clinic_id=None)).one()
    for timepoint, when, level in (
        ("start", start, leg_start),
        ("mid", start + timedelta(days=17), (leg_start + leg_now) / 2),
    ):
        item = max(0, min(6, round(level * 0.6)))
        answers = {
            "leg_pain": item,
            "numbness_tingling": max(0, item - 1),
            "weakness": max(0, item - 2),
            "sitting_pain": item,
        }
        db.session.add(
            QuestionnaireResponse(
                questionnaire_id=sbi.id,
                patient_id=patient.id,
                timepoint=timepoint,
                answers=answers,
                score=float(sum(answers.values())),
                completed_at=_at(when, 10),
            )
        )


def seed_demo(today: date | None = None, seed: int = 42) -> dict:
    """Create the demo clinic (once). Commits. Returns the logins to print."""
    if db.session.scalar(select(User).filter_by(email=PRACTITIONER_EMAIL)):
        return {
            "practitioner": PRACTITIONER_EMAIL,
            "patients": [p[1] for p in PATIENTS],
            "password": DEMO_PASSWORD,
            "created": False,
        }
    seed_library()
    seed_questionnaires()
    rng = random.Random(seed)
    today = today or datetime.now(zone(TZ)).date()
    start = today - timedelta(days=DAYS)
    clinic = Clinic(name="Riverside Acupuncture & Physio (demo)", timezone=TZ)
    practitioner = User(
        clinic=clinic,
        role=Role.PRACTITIONER,
        email=PRACTITIONER_EMAIL,
        display_name="Dr Sam Lee",
        is_owner=True,  # runs the demo clinic: the team and settings pages are theirs
        password_hash=hash_password(DEMO_PASSWORD),
        timezone=TZ,
    )
    db.session.add_all([clinic, practitioner])
    db.session.flush()
    exercises = {
        e.slug: e for e in db.session.scalars(select(Exercise).where(Exercise.clinic_id.is_(None)))
    }
    for spec in PATIENTS:
        patient = _patient(clinic, practitioner, spec[0], spec[1])
        db.session.flush()
        _story(rng, patient, start, today, spec, practitioner, exercises)
    db.session.commit()
    return {
        "practitioner": PRACTITIONER_EMAIL,
        "patients": [p[1] for p in PATIENTS],
        "password": DEMO_PASSWORD,
        "created": True,
    }


def give_demo_phones(push_origin: str) -> dict[str, str]:
    """Give each demo patient a phone on the local push stand-in (``push_origin``).

    Reminders and "new homework" pushes then really go out in the demo, and each lands,
    decrypted, where anyone can read it. Returns, per patient's email, that address. The
    stand-in keeps its keys in memory, so the phones of an earlier run are replaced.
    """
    phones = {}
    for _, email, *_ in PATIENTS:
        patient = db.session.scalar(select(User).filter_by(email=email))
        if patient is None:
            continue
        request = urllib.request.Request(f"{push_origin}/subscribers", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=5) as answer:
            info = json.load(answer)
        db.session.execute(
            delete(PushSubscription).where(
                PushSubscription.user_id == patient.id, PushSubscription.user_agent == DEMO_PHONE
            )
        )
        db.session.add(
            PushSubscription(
                user_id=patient.id,
                endpoint=info["endpoint"],
                p256dh=info["keys"]["p256dh"],
                auth=info["keys"]["auth"],
                user_agent=DEMO_PHONE,
            )
        )
        token = info["endpoint"].rsplit("/", 1)[1]
        phones[email] = f"{push_origin}/received/{token}"
    db.session.commit()
    return phones
