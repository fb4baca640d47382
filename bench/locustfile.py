"""The simulated people of ``bench/load.py`` (run by locust; not on its own).

Every role does what it does in a working day: apprentices browse their pages, upload small
files and tag them; tutors open their to-do list and marking queue and accept tags; line
managers look at their learners and sign reviews; assessors and quality assurers browse. Pages go
through a signed-in session (the form, with its CSRF token); changes go through the API with
each person's token. The data file written by ``bench/load.py`` says who is who
(``LOAD_PEOPLE``).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
from pathlib import Path

from locust import HttpUser, between, task

PEOPLE = json.loads(Path(os.environ["LOAD_PEOPLE"]).read_text())
PASSWORD = PEOPLE["password"]
_counters = {role: itertools.count() for role in PEOPLE["people"]}
_lock = threading.Lock()
#: A small real photo (the tests' sample PNG): uploads go through the same content checks as
#: any other, so the file must be one they accept.
PNG = (Path(__file__).resolve().parents[1] / "tests" / "samples" / "sample.png").read_bytes()


def _next(role: str) -> dict:
    with _lock:
        people = PEOPLE["people"][role]
        return people[next(_counters[role]) % len(people)]


class Person(HttpUser):
    abstract = True
    role = ""
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.me = _next(self.role)
        self.api = {"Authorization": f"Bearer {self.me['token']}"}
        page = self.client.get("/sign-in", name="GET /sign-in").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        self.client.post(
            "/sign-in",
            data={
                "csrf_token": token.group(1) if token else "",
                "email": self.me["email"],
                "password": PASSWORD,
            },
            name="POST /sign-in",
        )

    def page(self, path: str, name: str) -> None:
        self.client.get(path, name=name)


class Apprentice(Person):
    role = "apprentice"
    weight = 50

    @task(5)
    def browse(self) -> None:
        a = self.me["apprenticeship"]
        self.page("/", "page: home")
        self.page(f"/apprenticeships/{a}/evidence", "page: evidence list")
        self.page(f"/apprenticeships/{a}/coverage", "page: coverage")

    @task(2)
    def upload_and_tag(self) -> None:
        a = self.me["apprenticeship"]
        answer = self.client.post(
            f"/api/v1/apprenticeships/{a}/evidence",
            data=PNG,
            headers={**self.api, "X-Filename": "photo.png", "Content-Type": "image/png"},
            name="api: upload a small file",
        )
        if answer.status_code != 201:
            return
        item = answer.json()["id"]
        self.client.post(
            f"/api/v1/evidence/{item}/tags",
            json={"ref": random.choice(self.me["refs"]), "justification": "It shows it here."},
            headers=self.api,
            name="api: tag an item",
        )


class Tutor(Person):
    role = "tutor"
    weight = 20

    @task(3)
    def browse(self) -> None:
        self.page("/", "page: home")
        self.page("/marking", "page: marking queue")
        self.page(f"/apprenticeships/{random.choice(self.me['apprenticeships'])}", "page: learner")

    @task(2)
    def accept(self) -> None:
        queue = self.client.get("/api/v1/marking", headers=self.api, name="api: marking queue")
        rows = queue.json().get("items", []) if queue.status_code == 200 else []
        if not rows:
            return
        tag = random.choice(rows[:10])["tag_id"]
        with self.client.post(
            f"/api/v1/tags/{tag}/review",
            json={"accept": True},
            headers=self.api,
            name="api: accept a tag",
            catch_response=True,
        ) as answer:
            # Two tutors' sessions may race for one tag: a 409 "already decided" is an answer.
            if answer.status_code in (200, 409):
                answer.success()


class LineManager(Person):
    role = "manager"
    weight = 15

    @task(3)
    def browse(self) -> None:
        self.page("/", "page: home")
        self.page(f"/apprenticeships/{random.choice(self.me['apprenticeships'])}", "page: learner")

    @task(1)
    def sign(self) -> None:
        a = random.choice(self.me["apprenticeships"])
        with self.client.post(
            f"/api/v1/apprenticeships/{a}/reviews/3/sign",
            headers=self.api,
            name="api: sign a review",
            catch_response=True,
        ) as answer:
            # Signed already (by this manager before) is a 409 with its reason: not an error.
            # "Write your section first" would be: bench/load.py wrote every manager's section.
            if answer.status_code == 200 or (
                answer.status_code == 409 and "review_section_missing" not in answer.text
            ):
                answer.success()


class Assessor(Person):
    role = "assessor"
    weight = 8

    @task
    def browse(self) -> None:
        self.page("/", "page: home")
        self.page("/notifications", "page: notifications")


class QualityAssurer(Person):
    role = "quality_assurer"
    weight = 7

    @task
    def browse(self) -> None:
        self.page("/", "page: home")
