"""'What needs me': the caller's to-do list in the JSON API."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel, Field

from showcase.api import bp, responses, spec
from showcase.home.todo import actionable, todo_for


class TodoItemOut(BaseModel):
    kind: str = Field(description="tag_sent_back, review_signature, review_due, marking, …")
    text: str = Field(description="What to do, in one line.")
    whose: str = Field(description="The learner it concerns, or who it is from.")
    url: str = Field(description="The page where it is done (absolute).")
    urgency: str = Field(description="overdue, soon, normal or info (news, not work).")
    due: dt.date | None = None
    since: dt.date | None = None
    when: str = Field(description='"overdue by 3 days", "due in 5 days", "12 days ago"…')
    detail: str = ""
    apprenticeship_id: int | None = None


class TodoOut(BaseModel):
    #: Items that are work (not news): the navigation's count.
    count: int
    items: list[TodoItemOut]


@bp.get("/me/todo")
@spec.validate(resp=responses(HTTP_200=TodoOut), tags=["home"])
def get_my_todo() -> TodoOut:
    """What needs the caller now, most pressing first (the list on their home page)."""
    today = dt.date.today()
    items = todo_for(current_user, today)
    return TodoOut(
        count=actionable(items),
        items=[
            TodoItemOut(
                kind=i.kind,
                text=i.text,
                whose=i.whose,
                url=current_app.config["BASE_URL"].rstrip("/") + i.url,
                urgency=i.urgency.label,
                due=i.due,
                since=i.since,
                when=i.when(today),
                detail=i.detail,
                apprenticeship_id=i.apprenticeship_id,
            )
            for i in items
        ],
    )
