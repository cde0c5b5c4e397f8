from reviews.models import Application


def application_payload(application: Application, language: str = "zh-hans") -> dict:
    photo = application.photos.exclude(reason="replaced").first()
    key = "en" if language.startswith("en") else "zh-hans"
    return {
        "id": str(application.pk),
        "status": application.status,
        "submitted_at": application.submitted_at.isoformat(),
        "due_at": application.due_at.isoformat() if application.due_at else None,
        "decided_at": application.decided_at.isoformat() if application.decided_at else None,
        "reason": application.reason or None,
        "calendar_unknown": application.calendar_unknown,
        "photo": None
        if photo is None
        else {
            "status": photo.status,  # the PhotoStatus values are the API's strings
            "problems": [
                {"code": p["code"], "message": p["message"][key], "value": p.get("value")} for p in photo.problems
            ],
        },
        "timeline": [{"at": t.at.isoformat(), "status": t.status, "note": t.note} for t in application.timeline.all()],
    }
