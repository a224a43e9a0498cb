"""The clinic's exercise library: the shipped exercises and the clinic's own.

Each action checks the patient belongs to the practitioner's clinic (``patient_or_404``),
validates the whole form (``Form``: a 422 page listing what to fix, nothing saved), writes
an audit event and commits once.
"""

import re

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import audit
from ..access import practitioner_required
from ..extensions import db
from ..models import Exercise
from . import bp
from .forms import Form


@bp.get("/exercises")
@practitioner_required
def exercises():
    items = list(
        db.session.scalars(
            select(Exercise)
            .where((Exercise.clinic_id.is_(None)) | (Exercise.clinic_id == current_user.clinic_id))
            .order_by(Exercise.clinic_id.is_not(None), Exercise.name)
        )
    )
    return render_template("panel/exercises.html", exercises=items, pictures=_pictures())


def _pictures() -> dict[str, str]:
    """The shipped drawings a clinic's own exercise can reuse: image path -> what it shows."""
    rows = db.session.execute(
        select(Exercise.image, Exercise.name)
        .where(Exercise.clinic_id.is_(None), Exercise.image.is_not(None))
        .order_by(Exercise.name)
    )
    return {image: name for image, name in rows if image}


def read_dosage(form: Form) -> dict:
    return dict(
        sets=form.integer("sets", "Sets", 1, 20),
        reps=form.integer("reps", "Reps", 1, 100),
        hold_seconds=form.integer("hold_seconds", "Hold (seconds)", 1, 600),
        times_per_day=form.integer("times_per_day", "Times a day", 1, 12, required=True),
        days_per_week=form.integer("days_per_week", "Days a week", 1, 7, required=True),
    )


@bp.post("/exercises")
@practitioner_required
def add_exercise():
    """A clinic's own exercise: name, plain steps (one a line) and a default dosage."""
    form = Form()
    name = form.text("name", "Name", 120, required=True)
    summary = form.text("summary", "Summary", 300)
    steps = [
        line.strip()
        for line in form.text("instructions", "Instructions", 4000, required=True).splitlines()
        if line.strip()
    ]
    caution = form.text("caution", "Caution", 1000)
    image = form.choice("image", "Picture", _pictures(), required=False)
    dosage = read_dosage(form)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:70] or "exercise"
    form.check(
        db.session.scalar(
            select(Exercise.id).where(
                Exercise.clinic_id == current_user.clinic_id, Exercise.slug == slug
            )
        )
        is None,
        "Name",
        "your clinic already has an exercise with this name",
    )
    form.done()
    exercise = Exercise(
        clinic_id=current_user.clinic_id,
        slug=slug,
        name=name,
        category="clinic",
        summary=summary,
        instructions=steps,
        caution=caution,
        image=image,
        **dosage,
    )
    db.session.add(exercise)
    db.session.flush()
    audit.record("exercise.add", target=f"exercise:{exercise.id}", name=name)
    db.session.commit()
    flash(f"Added “{name}” to your clinic's library.")
    return redirect(url_for("panel.exercises"), code=303)
