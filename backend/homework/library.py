"""The exercise library shipped with Between: gentle stretches, nerve glides and self-care.

Wording is plain and cautious and never promises a cure. Each item's caution is the safety
text of DOMAIN.md that applies to it (heat and ice, nerve glides, leaning back and spinal
stenosis, pregnancy, a hip replacement), then what to do if it makes things worse. The
patient always sees it, on Today and on the exercise page.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Exercise

STOP_IF = (
    "If it makes your pain worse or your leg pain spreads further down, stop this exercise "
    "and tap “Worse” or “Pain spreading”: leave it until your practitioner has looked. "
    "New numbness or weakness: contact your practitioner or doctor today."
)
# The safety text, one sentence per situation (DOMAIN.md, homework).
HEAT_ICE = (
    "Use it for 15-20 minutes at a time, always through a cloth, never straight on the skin. "
    "Never use it on skin that feels numb. If you have diabetes or poor circulation, ask your "
    "practitioner first."
)
GLIDE = (
    "Nerve glides are gentle, flowing movements: never hold them, and never push into pain. "
    "A mild pull is fine; tingling that lingers means do less."
)
LEANING_BACK = (
    "Leaning back can aggravate spinal stenosis: skip that part if it brings on leg pain."
)
ON_BACK = "If you are pregnant, avoid lying flat on your back after the first trimester."
HIP = (
    "After a hip replacement, avoid deep bending and crossing your legs unless your surgeon "
    "has said it is safe."
)
CAUTIONS: dict[str, list[str]] = {
    "piriformis-stretch": [
        ON_BACK,
        "After a hip replacement, don't do this cross-leg stretch unless your surgeon has "
        "said it is safe.",
    ],
    "knee-to-chest": [ON_BACK, HIP],
    "sciatic-nerve-glide": [GLIDE],
    "hamstring-stretch": [ON_BACK, "Keep it gentle: a stretch, never pain down the leg."],
    "cat-cow": [LEANING_BACK],
    "childs-pose": [HIP],
    "pelvic-tilt": [ON_BACK],
    "heat": [HEAT_ICE],
    "ice": [HEAT_ICE],
    "walking-break": [],
    "standing-break": [LEANING_BACK],
    "posture-sitting": [],
}


def caution_for(slug: str) -> str:
    return " ".join([*CAUTIONS.get(slug, []), STOP_IF])


EXERCISES: list[dict] = [
    dict(
        slug="piriformis-stretch",
        name="Piriformis stretch",
        category="stretch",
        summary="Eases the muscle deep in the buttock that can press on the sciatic nerve.",
        instructions=[
            "Lie on your back with both knees bent and feet flat.",
            "Cross the ankle of the sore side over the opposite knee.",
            "Hold the thigh of the other leg and gently draw it towards your chest.",
            "Feel a stretch deep in the buttock; breathe slowly.",
            "Release slowly and repeat.",
        ],
        sets=1,
        reps=3,
        hold_seconds=30,
        times_per_day=2,
        days_per_week=7,
    ),
    dict(
        slug="knee-to-chest",
        name="Knee-to-chest stretch",
        category="stretch",
        summary="A gentle stretch for the lower back and buttock.",
        instructions=[
            "Lie on your back with both knees bent.",
            "Bring one knee towards your chest, holding behind the thigh.",
            "Keep the other foot on the floor and your back relaxed.",
            "Hold, then lower slowly and switch sides.",
        ],
        sets=1,
        reps=3,
        hold_seconds=20,
        times_per_day=2,
        days_per_week=7,
    ),
    dict(
        slug="sciatic-nerve-glide",
        name="Sciatic nerve glide",
        category="nerve_glide",
        summary="Helps the nerve move freely. It should feel like a mild pull, not pain.",
        instructions=[
            "Sit tall on the edge of a chair.",
            "Slowly straighten the knee of the sore leg while lifting your head to look up.",
            "Then bend the knee back while bringing your chin down.",
            "Move smoothly, without holding at the end.",
        ],
        sets=2,
        reps=10,
        hold_seconds=None,
        times_per_day=2,
        days_per_week=7,
    ),
    dict(
        slug="hamstring-stretch",
        name="Hamstring stretch",
        category="stretch",
        summary="Stretches the back of the thigh without loading the spine.",
        instructions=[
            "Lie on your back with a towel around the sole of one foot.",
            "Keep the other knee bent, foot flat.",
            "Gently raise the straight leg with the towel until you feel a stretch "
            "behind the thigh.",
            "Hold, breathing slowly, then lower and switch sides.",
        ],
        sets=1,
        reps=3,
        hold_seconds=30,
        times_per_day=1,
        days_per_week=7,
    ),
    dict(
        slug="cat-cow",
        name="Cat-cow",
        category="mobility",
        summary="Gently moves the spine through a comfortable range.",
        instructions=[
            "Start on hands and knees, hands under shoulders, knees under hips.",
            "Breathe in and let your belly sink, lifting your head gently.",
            "Breathe out and round your back up, tucking your chin.",
            "Move slowly within what is comfortable.",
        ],
        sets=1,
        reps=10,
        hold_seconds=None,
        times_per_day=1,
        days_per_week=7,
    ),
    dict(
        slug="childs-pose",
        name="Child's pose",
        category="stretch",
        summary="A resting stretch for the lower back.",
        instructions=[
            "Kneel, then sit back towards your heels.",
            "Walk your hands forward and rest your forehead down.",
            "Let your lower back relax and breathe slowly.",
            "Come up slowly, using your hands.",
        ],
        sets=1,
        reps=3,
        hold_seconds=30,
        times_per_day=1,
        days_per_week=7,
    ),
    dict(
        slug="pelvic-tilt",
        name="Pelvic tilt",
        category="strength",
        summary="Wakes up the deep tummy muscles that support the lower back.",
        instructions=[
            "Lie on your back with knees bent and feet flat.",
            "Gently flatten your lower back into the floor by tightening your tummy.",
            "Hold, breathing normally, then relax.",
        ],
        sets=2,
        reps=10,
        hold_seconds=5,
        times_per_day=2,
        days_per_week=7,
    ),
    dict(
        slug="heat",
        name="Heat",
        category="self_care",
        summary="Warmth can ease muscle tension around the lower back.",
        instructions=[
            "Use a warm (not hot) pack or hot-water bottle wrapped in a towel.",
            "Place it on the lower back or buttock for 15-20 minutes, through the towel.",
            "Check your skin; never sleep on a heat pack.",
        ],
        sets=None,
        reps=None,
        hold_seconds=None,
        times_per_day=2,
        days_per_week=7,
    ),
    dict(
        slug="ice",
        name="Ice",
        category="self_care",
        summary="Cold can calm a flare-up in the first days.",
        instructions=[
            "Wrap an ice pack or frozen peas in a damp towel.",
            "Hold it on the sore area for 15-20 minutes, through the towel.",
            "Never put ice directly on the skin.",
        ],
        sets=None,
        reps=None,
        hold_seconds=None,
        times_per_day=3,
        days_per_week=7,
    ),
    dict(
        slug="walking-break",
        name="Walking break",
        category="activity",
        summary="Short, easy walks keep the back moving.",
        instructions=[
            "Walk at an easy pace on level ground for 10 minutes.",
            "Stand tall and let your arms swing.",
            "Slow down or stop if leg pain builds.",
        ],
        sets=None,
        reps=None,
        hold_seconds=None,
        times_per_day=2,
        days_per_week=7,
    ),
    dict(
        slug="standing-break",
        name="Stand-up break",
        category="activity",
        summary="Long sitting loads the lower back. Stand and move every 30-45 minutes.",
        instructions=[
            "Stand up from your chair.",
            "Walk around, or gently lean back with hands on your hips a few times "
            "(skip leaning back if it brings on leg pain).",
            "Sit back down with your back supported.",
        ],
        sets=None,
        reps=None,
        hold_seconds=None,
        times_per_day=6,
        days_per_week=5,
    ),
    dict(
        slug="posture-sitting",
        name="Sitting posture",
        category="self_care",
        summary="Small changes make sitting easier on the back.",
        instructions=[
            "Sit with your hips slightly higher than your knees, feet flat.",
            "Use a small cushion or rolled towel in the curve of your lower back.",
            "Keep screens at eye level and change position often.",
        ],
        sets=None,
        reps=None,
        hold_seconds=None,
        times_per_day=1,
        days_per_week=5,
    ),
]


def seed_library() -> int:
    """Add any shipped exercise that is missing, and bring the shipped ones' wording up to
    date (their safety text above all). Safe to run at every start. Does not commit."""
    existing = {
        e.slug: e for e in db.session.scalars(select(Exercise).where(Exercise.clinic_id.is_(None)))
    }
    added = 0
    for item in EXERCISES:
        caution = caution_for(item["slug"])
        shipped = existing.get(item["slug"])
        if shipped is not None:
            shipped.caution = caution
            shipped.instructions = item["instructions"]
            shipped.summary = item["summary"]
            continue
        db.session.add(
            Exercise(clinic_id=None, caution=caution, image=f"exercises/{item['slug']}.svg", **item)
        )
        added += 1
    return added
