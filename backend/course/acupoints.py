"""Reading the acupoints a practitioner writes in a session note.

Practitioners write WHO codes (GB30, gb 34, BL-57), extra points (EX-B2, EX B2), pinyin with
or without spaces (Huantiao, Huan Tiao), a side (L, R, left, right, bilateral) and free text
("Ashi: tender spot mid-calf"). Entries are separated by commas, semicolons or new lines,
and a new code or name starts a new point ("GB30 L GB34 BL57"). Each entry is kept as one readable
string: the code or name in a standard form, then the side, then any words.
A code followed by its own pinyin name stays one point ("EX-B2 Huatuojiaji").
"""

from __future__ import annotations

import re

# WHO standard meridian abbreviations, and the older ones still written in clinics.
MERIDIANS = {
    **{m: m for m in ("LU", "LI", "ST", "SP", "HT", "SI", "BL", "KI", "PC", "TE", "GB", "LR")},
    **{"GV": "GV", "CV": "CV", "UB": "BL", "KD": "KI", "SJ": "TE", "TW": "TE", "TB": "TE"},
    **{"LIV": "LR", "LV": "LR", "DU": "GV", "REN": "CV", "HE": "HT", "P": "PC"},
}
CODE = re.compile(r"^(?P<m>[A-Z]{1,3})-?(?P<n>\d{1,2})$")
EXTRA = re.compile(r"^EX-?(?P<r>HN|CA|B|UE|LE)-?(?P<n>\d{1,2})$")
# Pinyin names written in the seeds' clinics, with their code where they have one;
# "Huan Tiao" is read as Huantiao, and "GB30 Huantiao" stays one point.
NAMES: dict[str, tuple[str, str | None]] = {
    name.lower(): (name, code)
    for name, code in (
        ("Huantiao", "GB30"), ("Yanglingquan", "GB34"), ("Chengshan", "BL57"),
        ("Zusanli", "ST36"), ("Weizhong", "BL40"), ("Shenshu", "BL23"), ("Dachangshu", "BL25"),
        ("Kunlun", "BL60"), ("Zhibian", "BL54"), ("Chengfu", "BL36"), ("Yinmen", "BL37"),
        ("Fengshi", "GB31"), ("Xuanzhong", "GB39"), ("Sanyinjiao", "SP6"), ("Taixi", "KI3"),
        ("Huatuojiaji", "EX-B2"), ("Yaoyan", "EX-B7"), ("Yaoyangguan", "GV3"), ("Mingmen", "GV4"),
        ("Qihaishu", "BL24"), ("Guanyuanshu", "BL26"), ("Ciliao", "BL32"), ("Zhiyin", "BL67"),
        ("Taichong", "LR3"), ("Hegu", "LI4"), ("Baihui", "GV20"), ("Yintang", None),
        ("Baliao", None), ("Ashi", None),
    )
}  # fmt: skip
SIDES = {"l": "L", "left": "L", "r": "R", "right": "R", "bilateral": "bilateral"}
SIDES |= {"bilat": "bilateral", "both": "bilateral", "b/l": "bilateral"}
SPLIT = re.compile(r"[,;\n]+|\s{2,}")
MAX_ENTRY = 80
MAX_ENTRIES = 40


def _code(words: list[str]) -> tuple[str, int] | None:
    """The point code made of the first 1-3 words, and how many words it took."""
    for take in (3, 2, 1):
        if len(words) < take:
            continue
        joined = "".join(words[:take]).upper()
        extra = EXTRA.match(joined)
        if extra:
            return f"EX-{extra['r']}{int(extra['n'])}", take
        code = CODE.match(joined)
        if code and code["m"] in MERIDIANS:
            return f"{MERIDIANS[code['m']]}{int(code['n'])}", take
    return None


def _name(words: list[str]) -> tuple[str, str | None, int] | None:
    """A pinyin name made of the first 1-3 words: (name, its code, words taken)."""
    for take in (3, 2, 1):
        if len(words) >= take:
            joined = "".join(words[:take]).lower().replace("-", "").replace("'", "")
            if joined in NAMES:
                return (*NAMES[joined], take)
    return None


def _side(word: str) -> str | None:
    return SIDES.get(word.strip("()[].").lower())


class _Entry:
    def __init__(self, point: str | None = None, code: str | None = None):
        self.point: str | None = point
        self.code: str | None = code
        self.side: str | None = None
        self.words: list[str] = []

    def text(self) -> str:
        rest = " ".join(self.words).strip(" :-")
        if self.point is None:
            return " ".join(filter(None, [rest, self.side]))  # free text, as written
        side = f" {self.side}" if self.side else ""
        return f"{self.point}{side}: {rest}" if rest else f"{self.point}{side}"


def read_chunk(chunk: str) -> list[str]:
    """One comma-separated chunk: "gb 30 left Huan Tiao R" -> ["GB30 L", "Huantiao R"]."""
    words = chunk.split()
    entries: list[_Entry] = []
    leading_side = None
    i = 0
    while i < len(words):
        current = entries[-1] if entries else None
        side = _side(words[i])
        if side:
            following = words[i + 1 :]
            if current and current.point and not current.words and not current.side:
                current.side = side
                i += 1
                continue
            if following and (_code(following) or _name(following)):
                leading_side = side
                i += 1
                continue
        code = _code(words[i:])
        if code:
            entry = _Entry(code[0], code[0])
            entry.side, leading_side = leading_side, None
            entries.append(entry)
            i += code[1]
            continue
        name = _name(words[i:])
        if name:
            point, named_code, used = name
            if current and current.code and current.code == named_code and not current.words:
                current.point = f"{current.point} {point}"  # "EX-B2 Huatuojiaji"
            else:
                entry = _Entry(point, named_code)
                entry.side, leading_side = leading_side, None
                entries.append(entry)
            i += used
            continue
        if current is None:
            current = _Entry()
            entries.append(current)
        current.words.append(words[i])
        i += 1
    return [e.text() for e in entries if e.text()]


def parse_acupoints(raw: str) -> tuple[list[str], list[str]]:
    """The entries of a note's acupoints field, and what is wrong with it (if anything)."""
    points: list[str] = []
    problems: list[str] = []
    for chunk in SPLIT.split(raw or ""):
        chunk = " ".join(chunk.split())
        if len(chunk) > MAX_ENTRY:
            problems.append(f"each entry at most {MAX_ENTRY} characters (“{chunk[:20]}…”)")
            continue
        for entry in read_chunk(chunk):
            if entry not in points:
                points.append(entry)
    if len(points) > MAX_ENTRIES:
        problems.append(f"at most {MAX_ENTRIES} points")
    return points, problems
