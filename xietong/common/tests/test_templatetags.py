from django.template import Context, Template
from django.test import RequestFactory


def test_page_url_keeps_the_filters_and_sets_the_page():
    # given
    request = RequestFactory().get("/processes/cases/", {"process": "ORDER", "page": "2", "overdue": "1"})
    template = Template("{% load xt %}{% page_url 3 %}")
    # when
    url = template.render(Context({"request": request}))
    # then
    assert url == "?process=ORDER&amp;page=3&amp;overdue=1"
