"""Sessions out of the database: one session as Markdown or JSON, many as CSV or JSONL.

Pure functions of the records SessionStore.session_records() returns; the coach's Export
buttons and `python -m bot export` both call them. JSON and JSONL keep everything (the AI
grade and the coach's override side by side); CSV has one row per graded answer.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from bot.delivery import Delivery, summary
from bot.grading import verdict_label
from bot.progress import final_points, final_score

FORMATS = ("md", "json", "csv", "jsonl")
SINGLE = ("md", "json")
CSV_COLUMNS = [
    "session_id", "candidate", "role", "level", "session_started_at", "turn_number", "kind", "question_id",
    "question", "answer", "ai_score", "grader", "grader_model", "coach_score", "coach", "coach_note",
    "final_score", "points_covered", "points_total", "points_not_covered", "graded_at", "overridden_at",
]


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class ExportError(ValueError):
    """The export asked for cannot be made; the message says what to ask instead."""


def _quote(text: str | None) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in (text or "").split("\n"))


def _turn_markdown(turn: dict) -> list[str]:
    kind = "Follow-up" if turn["kind"] == "follow_up" else "Question"
    out = [f"## {turn['turn_number']}. {kind} · `{turn['question_id']}`", "", _quote(turn["question"]), ""]
    if turn["answer"] is None:
        return [*out, "*Not answered.*", ""]
    out += ["**Answer**", "", _quote(turn["answer"]), ""]
    if turn["audio_path"]:
        out += [f"*Spoken answer, recording kept as `{Path(turn['audio_path']).name}`.*", ""]
    if turn["delivery"]:
        out += [f"*Delivery: {summary(Delivery(**turn['delivery']))}*", ""]
    grade, override = turn["grade"], turn["override"]
    if grade is None:
        return [*out, "*Not graded.*", ""]
    model = f", {grade['model']}" if grade["model"] else ""
    out += [f"**AI grade: {grade['score']:.1f} / 10** ({grade['grader']} grader{model})", ""]
    replaced = (override or {}).get("points") or {}
    for p in grade["points"]:
        line = f"- {verdict_label(p['verdict'])} — {p['text']}"
        if p["point_id"] in replaced:
            line += f" → coach: **{verdict_label(replaced[p['point_id']])}**"
        if p.get("evidence"):
            line += f"\n  > “{p['evidence']}”"
        out.append(line)
    if grade.get("false_claims"):
        out += ["", "**What was wrong**", *[f"- “{c['quote']}” — in fact, {c['fact']}" for c in grade["false_claims"]]]
    if grade["notices"]:
        out += ["", *[f"*Notice: {n}*" for n in grade["notices"]]]
    if grade["follow_ups"]:
        out += ["", "**Follow-ups suggested**", *[f"- {f['text']}" for f in grade["follow_ups"]]]
    if override:
        score = f"{override['score']:.1f} / 10" if override["score"] is not None else "score unchanged"
        out += ["", f"**Coach review** ({override['coach']}, {override['created_at'][:16].replace('T', ' ')}): "
                f"{score}" + (f" — {override['note']}" if override["note"] else "")]
    return [*out, ""]


def session_markdown(record: dict) -> str:
    """A readable transcript: every question, answer, grade, point verdict, follow-up and coach note."""
    scores = [s for t in record["turns"] if (s := final_score(t)) is not None]
    graded = (f"{plural(len(scores), 'answer')} graded · average **{sum(scores) / len(scores):.1f} / 10**"
              if scores else "no answers graded")
    head = [f"# Practice session · {record['candidate']} · {record['role']} · {record['level']}", "",
            f"Started {record['started_at'][:16].replace('T', ' ')} UTC"
            + (f" · ended {record['ended_at'][11:16]}" if record["ended_at"] else "")
            + f" · {graded}"
            + (" (a coach's score replaces the AI's where given)" if any(t["override"] for t in record["turns"]) else ""),
            ""]
    return "\n".join(head + [line for t in record["turns"] for line in _turn_markdown(t)]).rstrip() + "\n"


def session_json(record: dict) -> str:
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def csv_rows(records: list[dict]) -> list[dict]:
    rows = []
    for r in records:
        for t in r["turns"]:
            grade, override = t["grade"], t["override"] or {}
            if grade is None:
                continue
            points = final_points(t)
            rows.append({
                "session_id": r["session_id"], "candidate": r["candidate"], "role": r["role"], "level": r["level"],
                "session_started_at": r["started_at"], "turn_number": t["turn_number"], "kind": t["kind"],
                "question_id": t["question_id"], "question": t["question"], "answer": t["answer"],
                "ai_score": grade["score"], "grader": grade["grader"], "grader_model": grade["model"] or "",
                "coach_score": "" if override.get("score") is None else override["score"],
                "coach": override.get("coach") or "", "coach_note": override.get("note") or "",
                "final_score": final_score(t), "points_covered": sum(p["verdict"] == "covered" for p in points),
                "points_total": len(points),
                "points_not_covered": "; ".join(p["text"] for p in points if p["verdict"] != "covered"),
                "graded_at": grade["graded_at"], "overridden_at": override.get("created_at") or "",
            })
    return rows


def sessions_csv(records: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(csv_rows(records))
    return out.getvalue()


def sessions_jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def render(records: list[dict], fmt: str) -> str:
    """`records` in `fmt`; Markdown and JSON are for exactly one session."""
    if fmt not in FORMATS:
        raise ExportError(f"Choose a format from {', '.join(FORMATS)}.")
    if fmt in SINGLE:
        if len(records) != 1:
            raise ExportError(f"{len(records)} sessions match, and --format {fmt} exports one session: pass "
                              "--session ID, or use csv or jsonl for many.")
        return session_markdown(records[0]) if fmt == "md" else session_json(records[0])
    return sessions_csv(records) if fmt == "csv" else sessions_jsonl(records)


def file_name(records: list[dict], fmt: str) -> str:
    """A download name that says what is inside."""
    if fmt in SINGLE and len(records) == 1:
        r = records[0]
        name = "".join(c if c.isalnum() else "-" for c in r["candidate"]).strip("-")[:30] or "candidate"
        return f"session-{name}-{r['started_at'][:10]}-{r['session_id'][:8]}.{fmt}"
    return f"sessions-{len(records)}.{fmt}"
