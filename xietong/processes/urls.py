from xietong.processes.views import cases, catalogue

app_name = "processes"
urlpatterns = catalogue.urlpatterns + cases.urlpatterns
