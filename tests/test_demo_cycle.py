"""A new user finishes the demo cycle with the printed demo accounts only (issue 12 item 11, "Done when" bullet 3).

``setup_portal --demo`` is run as ``make run`` runs it; the accounts and their password are read from what it
printed, never from the code. Every step is a login through the login form and the same GET/POST requests the
portal's pages make (URLs and field names read from the pages' links and forms), on the day the demo is built
(the round's deadlines are counted from today, so no clock is moved):

1. ``canbo`` (officer, Sở Công Thương) scores every leaf of the unit's current assessment on the scoring page;
2. ``thutruong`` (head) submits it;
3. every owner agency's demo appraiser opens the unit's parts from their queue, accepts the self scores and ends
   round 1; Sở Tư pháp's appraiser first asks for an explanation on one leaf;
4. the officer answers the question, the head sends the explanation, Sở Tư pháp's appraiser accepts in round 2 and
   finishes the part — the assessment is then appraised;
5. ``dieuphoi`` (coordinator) publishes the round from its overview;
6. ``lanhdao`` (leader) sees Sở Công Thương with its published index on the round's rankings page.
"""

import io
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.test import Client

from assessments.models import Assessment, AssessmentState, FieldAppraisal, PartState
from reports.models import Result

ANSWER = "Văn bản lưu tại Văn phòng Sở Công Thương, xuất trình khi thẩm định."
QUESTION = "Đề nghị bổ sung văn bản chứng minh."


class Forms(HTMLParser):
    """The page's forms: ``action``, ``method``, ``classes``, the named controls (``(tag, type, name, value,
    checked)``, textareas with their text, selects with their option values) and the buttons' ``formaction``s."""

    def __init__(self, html: str):
        super().__init__()
        self.forms, self.links, self._form, self._textarea, self._select = [], [], None, None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "classes": a.get("class", ""),
                "controls": [],
                "formactions": [],
            }
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "input" and a.get("name"):
            self._form["controls"].append(
                ("input", a.get("type", "text"), a["name"], a.get("value", ""), "checked" in a)
            )
        elif tag == "textarea" and a.get("name"):
            self._textarea = ["textarea", "textarea", a["name"], "", False]
            self._form["controls"].append(self._textarea)
        elif tag == "select" and a.get("name"):
            self._select = ["select", "select", a["name"], [], False]
            self._form["controls"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select[3].append(a.get("value", ""))
        elif tag == "button" and a.get("formaction"):
            self._form["formactions"].append(a["formaction"])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[3] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def printed_accounts(output: str) -> list[dict]:
    """The rows of the accounts table ``setup_portal --demo`` printed: user name, role, unit, password."""
    rows = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in output.splitlines()
        if line.strip().startswith("|")
    ]
    header, *body = rows
    assert header == ["Tên đăng nhập", "Vai trò", "Đơn vị", "Mật khẩu"]
    return [dict(zip(("username", "role", "unit", "password"), r, strict=True)) for r in body]


def log_in(account: dict) -> Client:
    """A fresh browser that logs in through the login form with the printed user name and password."""
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    response = client.post(
        "/accounts/login/",
        {
            "username": account["username"],
            "password": account["password"],
            "csrfmiddlewaretoken": page.cookies["csrftoken"].value
            if "csrftoken" in page.cookies
            else client.cookies["csrftoken"].value,
        },
    )
    assert response.status_code == 302, f"{account['username']} could not log in"
    return client


def csrf(client: Client) -> str:
    return client.cookies["csrftoken"].value


def post(client: Client, url: str, data: dict, expect=302):
    response = client.post(url, {**data, "csrfmiddlewaretoken": csrf(client)})
    assert response.status_code == expect, (
        url,
        response.status_code,
        re.findall(r'class="[^"]*(?:error|alert)[^"]*"[^>]*>([^<]+)', response.content.decode())[:5],
    )
    return response


def page(client: Client, url: str) -> tuple[str, Forms]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.content.decode()
    return html, Forms(html)


def form_with(forms: Forms, action_part: str) -> dict:
    matches = [f for f in forms.forms if action_part in f["action"]]
    assert matches, f"no form posting to …{action_part}"
    return matches[0]


def self_score_data(form: dict) -> dict:
    """What a user types in one leaf's scoring form: the first option, "Có" for yes/no, 1 of 1 for a ratio, 0 in a
    value box; an explanation in place of evidence (the unit has uploaded none)."""
    data = {}
    for tag, kind, name, value, _ in form["controls"]:
        if name == "csrfmiddlewaretoken":
            continue
        if kind == "radio":
            data.setdefault(name, value)  # the first one: the first option, or "Có" (full points)
        elif name in ("numerator", "denominator"):
            data[name] = "1"
        elif name == "value":
            data[name] = "0"
        elif name == "explanation":
            data[name] = ANSWER
        elif kind == "hidden" or tag == "textarea":
            data[name] = value
    return data


def hidden(form: dict) -> dict:
    return {
        name: value
        for _, kind, name, value, _ in form["controls"]
        if kind == "hidden" and name != "csrfmiddlewaretoken"
    }


@pytest.mark.django_db(transaction=True)  # the results are refigured on commit, as in the portal
def test_a_new_user_takes_the_demo_unit_from_draft_to_published_with_the_printed_accounts_only():
    out = io.StringIO()
    call_command("setup_portal", "--demo", stdout=out)
    accounts = printed_accounts(out.getvalue())

    def account(role: str, unit_code: str) -> dict:
        found = [a for a in accounts if a["role"] == role and a["unit"].endswith(f"({unit_code})")]
        assert found, f"no printed {role} account of {unit_code}"
        return found[0]

    officer = log_in(account("Cán bộ CCHC", "SCT"))
    head = log_in(account("Thủ trưởng đơn vị", "SCT"))

    # 1. The officer finds the unit's assessment and scores every leaf.
    _, forms = page(officer, "/assessments/")
    scoring_url = next(href for href in forms.links if re.fullmatch(r"/assessments/\d+/", href))
    html, forms = page(officer, scoring_url)
    leaf_forms = [f for f in forms.forms if "score-form" in f["classes"]]
    assert len(leaf_forms) > 50
    for form in leaf_forms:
        post(officer, form["action"], self_score_data(form))
    assessment = Assessment.objects.get(pk=int(scoring_url.strip("/").split("/")[-1]))
    assert assessment.unit.code == "SCT" and assessment.state == AssessmentState.DRAFT

    # 2. The head submits from the submission page linked on the scoring page.
    submit_url = f"{scoring_url}submit/"
    assert submit_url in page(head, scoring_url)[1].links or submit_url in html
    html, forms = page(head, submit_url)
    post(head, submit_url, {})
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.SUBMITTED

    # 3. Every appraiser printed takes the unit's parts from their queue through round 1.
    appraisers = [a for a in accounts if a["role"] == "Thẩm định viên"]
    owners = set(FieldAppraisal.objects.filter(assessment=assessment).values_list("owner__code", flat=True))
    assert owners <= {a["unit"].rsplit("(", 1)[1].rstrip(")") for a in appraisers}, (
        "an owner has no demo appraiser"
    )
    flagged_part = None
    for acc in appraisers:
        client = log_in(acc)
        _, queue = page(client, "/appraisal/?unit=SCT")
        part_urls = sorted({h for h in queue.links if re.fullmatch(r"/appraisal/parts/\d+/", h)})
        code = acc["unit"].rsplit("(", 1)[1].rstrip(")")
        assert (
            len(part_urls) == FieldAppraisal.objects.filter(assessment=assessment, owner__code=code).count()
        )
        for url in part_urls:
            _, forms = page(client, url)
            if code == "STP" and flagged_part is None:
                leaf = next(f for f in forms.forms if "appraisal-form" in f["classes"])
                post(
                    client, leaf["action"], {**hidden(leaf), "flag": "1", "question": QUESTION, "comment": ""}
                )
                flagged_part = (client, url)
            post(client, form_with(forms, "/accept-all/")["action"], {})
            post(client, form_with(forms, "/close-round-1/")["action"], {})
    assert flagged_part is not None
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.EXPLANATION

    # 4. The unit answers the question; the head sends; Sở Tư pháp accepts in round 2 and finishes.
    explanation_url = f"{scoring_url}explanation/"
    html, forms = page(officer, explanation_url)
    assert QUESTION in html
    answer = next(f for f in forms.forms if "answer-form" in f["classes"])
    post(officer, answer["action"], {**hidden(answer), "answer": ANSWER})
    _, forms = page(head, explanation_url)
    post(head, form_with(forms, "/explanation/send/")["action"], {})
    client, url = flagged_part
    _, forms = page(client, url)
    leaf = next(f for f in forms.forms if "appraisal-form" in f["classes"] and f["formactions"])
    post(client, leaf["formactions"][0], hidden(leaf))
    post(client, form_with(forms, "/finalise/")["action"], {})
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.APPRAISED
    assert not FieldAppraisal.objects.filter(assessment=assessment).exclude(state=PartState.FINAL).exists()

    # 5. The coordinator publishes the round from its overview.
    coordinator = log_in(account("Điều phối (Sở Nội vụ)", "SNV"))
    overview_url = f"/rounds/{assessment.round_id}/overview/"
    html, forms = page(coordinator, overview_url)
    assert 'id="publish" disabled' not in html
    post(coordinator, form_with(forms, "/publish/")["action"], {})
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.PUBLISHED

    # 6. The leader sees the published result on the rankings page.
    leader = log_in(account("Lãnh đạo", "UBNDT"))
    _, forms = page(leader, "/ket-qua/")
    rankings_url = f"/ket-qua/{assessment.round_id}/xep-hang/?group={assessment.unit.group.code}"
    assert rankings_url in forms.links
    html, _ = page(leader, rankings_url)
    result = Result.objects.get(round=assessment.round, unit=assessment.unit)
    assert not result.provisional and result.par_index > 0
    assert assessment.unit.name in html
    index = f"{result.par_index:.2f}".replace(".", ",")
    assert index in html, index
