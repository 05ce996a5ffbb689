"""Crafted query strings answer 4xx, never 5xx (issue 14 items 6 and 8), and the API schema documents the filters
and the error answers behind a login (item 10).

The fuzz walks every URL pattern of the portal (``django.urls.get_resolver()``, the admin aside), fills its ids from
the demo (``setup_portal --demo``: a published round with results, appraisal parts, scores), GETs each one once as
the coordinator while recording which query parameters the view reads (the request's ``GET`` is replaced by a
recording ``QueryDict``), then sends each parameter it read three hostile values — a NUL byte always, two more
chosen deterministically from ``HOSTILE`` by the pair's position — and asserts no 5xx and, for a refusal, a 400 in
Vietnamese that names the parameter. PDFs are left out of the walk (WeasyPrint takes seconds; their print pages,
the same views' HTML, are in).
"""

import json
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import URLResolver, get_resolver, reverse

from parindex import params

#: Hostile values of a query parameter (NUL is sent to every parameter; two of these in turn).
HOSTILE = [
    "²",  # passes str.isdigit(), not int()
    "١٢",  # Arabic-indic digits: str.isdecimal() but not ASCII
    "1" + "0" * 30,  # 10^30
    "-1",
    "",
    "😀",
    "q" * 5000,
    "2026\x07",
]

#: Parameters read by the views that the first pass may not reach with an empty query (e.g. read only when
#: another one is present): sent to every URL of their app's prefix as well.
EXTRA = {
    "ket-qua/": ["q", "group", "page", "sort", "cho", "field", "top"],
    "appraisal/": ["round", "group", "unit"],
}


#: The query parameters the portal's own views read through ``parindex.params`` (a NUL in any of them: 400).
OURS = {"q", "group", "year", "unit", "page", "round", "status", "sort", "field", "top", "cho"}


def is_ours(url: str, name: str) -> bool:
    """A parameter read through ``parindex.params`` (the API's ``page`` is DRF's paginator's: a bad one is 404)."""
    return name in OURS and not (url.startswith("/api/") and name == "page")


class RecordingQueryDict(QueryDict):
    """A ``QueryDict`` that notes the names a view asks for (``get``, ``[]``, ``in``, ``getlist``)."""

    def __init__(self, *args, **kwargs):
        self.read: set[str] = set()
        super().__init__(*args, **kwargs)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self.read.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


READ: list[set[str]] = []


class RecordParams:
    """Test middleware: the request's ``GET`` becomes a ``RecordingQueryDict``; its names go to ``READ``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = RecordingQueryDict(request.META.get("QUERY_STRING", ""))
        request.GET = query
        READ.append(query.read)
        return self.get_response(request)


def walk(patterns=None, prefix: str = "", namespace: str = ""):
    """(route, URL name, converter names) of every pattern under the root resolver, the admin left out."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern) == "admin/":
                continue
            ns = p.namespace or namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif p.name:
            yield (
                prefix + str(p.pattern),
                f"{namespace}:{p.name}" if namespace else p.name,
                list(p.pattern.converters),
            )


@pytest.fixture
def demo(setup_portal, coordinator):
    """Ids from the demo for the URL kwargs: a published assessment with its round, set, part, scores, result."""
    from assessments.models import Assessment, FieldAppraisal, RoundState, Score
    from assessments.selectors.appraisal import part_leaf_ids
    from reports.models import Result

    setup_portal(demo=True)
    assessment = (
        Assessment.objects.filter(round__state=RoundState.PUBLISHED)
        .select_related("round", "unit__group")
        .first()
    )
    part = FieldAppraisal.objects.filter(assessment=assessment).first()
    score = Score.objects.filter(assessment=assessment, criterion_id__in=part_leaf_ids(part)).first()
    return {
        "assessment": assessment.pk,
        "round": assessment.round_id,
        "year": assessment.round.year,
        "set": assessment.criteria_set_id,
        "part": part.pk,
        "score": score.pk,
        "criterion": score.criterion_id,
        "group": assessment.unit.group.code,
        "unit": assessment.unit_id,
        "result": Result.objects.filter(assessment=assessment).values_list("pk", flat=True).first() or 1,
    }


def kwarg(route: str, name: str, ids: dict):
    """The demo id of the URL kwarg ``name`` of ``route``."""
    if name == "pk":
        for start, key in (
            ("criteria/", "set"),
            ("api/criteria/", "set"),
            ("rounds/", "round"),
            ("appraisal/parts/", "part"),
            ("thong-bao/", None),
            ("don-vi/", "unit"),
        ):
            if route.startswith(start):
                return ids[key] if key else 1
        return ids["assessment"]
    return {
        "round_pk": ids["round"],
        "set_pk": ids["set"],
        "score_pk": ids["score"],
        "criterion_id": ids["criterion"],
        "result_pk": ids["result"],
        "assessment_pk": ids["assessment"],
        "group_code": ids["group"],
        "code": "ABCDEFGH",  # an online survey code (unknown: the page says so)
        "year": ids["year"],
        "evidence_id": 1,
        "job_pk": 1,
        "uidb64": "MQ",
        "token": "x",
        "kind": "merge",
    }[name]


def get_urls(ids: dict) -> list[str]:
    urls = []
    for route, name, converters in walk():
        if route.endswith(".pdf"):
            continue
        urls.append(reverse(name, kwargs={c: kwarg(route, c, ids) for c in converters}))
    return urls


def refused_in_vietnamese(response, name: str) -> bool:
    text = response.content.decode()
    if response["Content-Type"].startswith("application/json"):
        text = json.loads(text)["detail"]
    return f"Tham số “{name}”" in text


@pytest.fixture
def recording(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_crafted_inputs.RecordParams"]
    READ.clear()
    yield
    READ.clear()


def test_no_get_parameter_of_any_url_answers_a_server_error(client, demo, coordinator, recording):
    client.force_login(coordinator)
    urls = get_urls(demo)
    assert len(urls) > 60  # the walk found the portal's pages, not a handful
    recorded: dict[str, set[str]] = {}
    for url in urls:
        READ.clear()
        response = client.get(url)
        assert response.status_code < 500, url
        recorded[url] = set().union(*READ)
    ours = sorted((url, name) for url, names in recorded.items() for name in names if is_ours(url, name))
    extra = sorted(
        (url, name)
        for url in urls
        for prefix, names in EXTRA.items()
        if url.startswith("/" + prefix)
        for name in names
        if name not in recorded[url]
    )
    # parameters the framework reads (DRF's ``format``, the login page's ``next``): a NUL each
    others = sorted(
        (url, name) for url, names in recorded.items() for name in names if not is_ours(url, name)
    )
    assert len(ours) >= 15 and {"q", "group", "year", "unit", "page"} <= {n for _, n in ours}
    for i, (url, name) in enumerate(ours + extra):
        for value in ("\x00", HOSTILE[i % len(HOSTILE)], HOSTILE[(i + 3) % len(HOSTILE)]):
            response = client.get(f"{url}?{urlencode({name: value})}")
            assert response.status_code < 500, (url, name, value[:20])
            if response.status_code == 400:
                assert refused_in_vietnamese(response, name), (url, name, value[:20])
            elif value == "\x00" and i < len(ours):  # a parameter the view reads refuses a NUL
                pytest.fail(f"{url} ?{name}=NUL answered {response.status_code}")
    for url, name in others:
        assert client.get(f"{url}?{urlencode({name: chr(0)})}").status_code < 500, (url, name)


@pytest.mark.parametrize(
    "url_name,query,param",
    [
        ("criteria:set_list", {"year": "²"}, "year"),
        ("criteria:set_list", {"group": "S\x00O"}, "group"),
        ("api-criteria-set-list", {"year": "²"}, "year"),
        ("api-criteria-set-list", {"group": "\x00"}, "group"),
        ("assessments:appraisal_queue", {"unit": "\x00"}, "unit"),
        ("assessments:appraisal_queue", {"round": "١"}, "round"),
        ("notifications:list", {"page": "1" + "0" * 30}, "page"),
    ],
)
def test_the_known_crafted_values_answer_a_vietnamese_400(client, coordinator, units, url_name, query, param):
    client.force_login(coordinator)
    response = client.get(reverse(url_name), query)
    assert response.status_code == 400 and refused_in_vietnamese(response, param)


def test_the_rankings_search_refuses_a_nul_for_any_reader(client, demo, make_user):
    client.force_login(make_user("leader", "UBNDT"))
    url = reverse("reports:rankings", args=[demo["round"]])
    assert client.get(url).status_code == 200
    response = client.get(url, {"q": "Sở\x00"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Yêu cầu không hợp lệ" in html and "Tham số “q” chứa ký tự điều khiển" in html
    assert client.get(url, {"q": "x" * (params.MAX_SEARCH + 1)}).status_code == 400
    assert client.get(url, {"q": "Sở 😀"}).status_code == 200


@pytest.mark.parametrize(
    "raw,ok",
    [
        ("2026", True),
        ("0", True),
        ("²", False),
        ("١", False),
        ("-1", False),
        (" 7", False),
        ("1" * 10, False),
    ],
)
def test_ints_are_ascii_digits_only(raw, ok):
    if ok:
        assert params.parse_int(raw, "year") == int(raw)
    else:
        with pytest.raises(params.BadParameter):
            params.parse_int(raw, "year")


# ---------------------------------------------------------------- the API schema


@pytest.mark.parametrize("name", ["api-schema", "api-docs", "api-redoc"])
def test_the_schema_and_its_pages_need_a_login(client, db, name):
    assert client.get(reverse(name)).status_code in (401, 403)


def test_the_schema_lists_the_filters_and_the_error_answers(client, coordinator):
    client.force_login(coordinator)
    schema = json.loads(client.get(reverse("api-schema"), {"format": "json"}).content)
    assert schema["components"]["schemas"]["Error"]["properties"]["detail"]["type"] == "string"
    sets = schema["paths"]["/api/criteria/sets/"]["get"]
    query = {p["name"]: p["schema"]["type"] for p in sets["parameters"] if p["in"] == "query"}
    assert query["year"] == "integer" and query["group"] == "string"
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method != "get":
                assert {"400", "409"} <= codes, (method, path)
            error = operation["responses"]["403"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}
    assert "400" in sets["responses"]


def test_redoc_uses_local_assets_only(client, coordinator):
    client.force_login(coordinator)
    html = client.get(reverse("api-redoc")).content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/" in html
    assert "googleapis" not in html and "cdn" not in html.lower() and "<script>" not in html
